/* orgoctl audit ...: read the audit log. */
#ifndef ORGO_CTL_AUDIT_H
#define ORGO_CTL_AUDIT_H

#include <libpq-fe.h>

int	ctl_audit_log(PGconn *db, int argc, char **argv);

#endif
