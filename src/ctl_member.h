/* orgoctl member ... and orgoctl bootstrap-admin. */
#ifndef ORGO_CTL_MEMBER_H
#define ORGO_CTL_MEMBER_H

#include <libpq-fe.h>

int	ctl_member(PGconn *db, int argc, char **argv);
int	ctl_bootstrap_admin(PGconn *db, int argc, char **argv);

#endif
