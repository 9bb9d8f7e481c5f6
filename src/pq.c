#include <stdio.h>

#include "pq.h"

int
pq_exec(PGconn *db, const char *sql, int count, const char **params,
    PGresult **out, char *error, size_t error_len)
{
	PGresult	*res;
	int		 status;

	res = PQexecParams(db, sql, count, NULL, params, NULL, NULL, 0);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		snprintf(error, error_len, "%s", PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return (0);
}
