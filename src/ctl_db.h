/* Database helper shared by the orgoctl commands. */
#ifndef ORGO_CTL_DB_H
#define ORGO_CTL_DB_H

#include <libpq-fe.h>

/*
 * Run 'sql' with text parameters. On failure print PostgreSQL's message
 * to standard error and return -1. With 'out' the caller gets the result
 * and PQclear()s it.
 */
int	ctl_db_exec(PGconn *db, const char *sql, int count,
	    const char **params, PGresult **out);

#endif
