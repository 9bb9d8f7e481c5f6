/* Blocking libpq helper for start-up code and orgoctl, never a request. */
#ifndef ORGO_PQ_H
#define ORGO_PQ_H

#include <stddef.h>

#include <libpq-fe.h>

/*
 * Run 'sql' with text parameters. Returns 0, or -1 with PostgreSQL's
 * message in 'error'. With 'out' the caller gets the result and
 * PQclear()s it.
 */
int	pq_exec(PGconn *db, const char *sql, int count, const char **params,
	    PGresult **out, char *error, size_t error_len);

#endif
