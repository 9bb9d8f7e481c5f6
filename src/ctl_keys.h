/* orgoctl keys ...: token signing keys. */
#ifndef ORGO_CTL_KEYS_H
#define ORGO_CTL_KEYS_H

#include <libpq-fe.h>

int	ctl_keys(PGconn *db, int argc, char **argv);

#endif
