/* orgoctl app ...: OAuth applications from the command line. */
#ifndef ORGO_CTL_APP_H
#define ORGO_CTL_APP_H

#include <libpq-fe.h>

int	ctl_app(PGconn *db, int argc, char **argv);

#endif
