#include <stdio.h>

#include "ctl_db.h"
#include "pq.h"

int
ctl_db_exec(PGconn *db, const char *sql, int count, const char **params,
    PGresult **out)
{
	char	error[2048];

	if (pq_exec(db, sql, count, params, out, error, sizeof(error)) == -1) {
		fprintf(stderr, "orgoctl: database error: %s", error);
		return (-1);
	}
	return (0);
}
