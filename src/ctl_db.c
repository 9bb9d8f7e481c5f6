#include <stdio.h>

#include "ctl_db.h"

int
ctl_db_exec(PGconn *db, const char *sql, int count, const char **params,
    PGresult **out)
{
	PGresult	*res;
	int		 status;

	res = PQexecParams(db, sql, count, NULL, params, NULL, NULL, 0);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		fprintf(stderr, "orgoctl: database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return (0);
}
