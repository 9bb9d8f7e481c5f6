/* Schema migrations: numbered SQL files applied once each, in order. */
#ifndef ORGO_MIGRATE_H
#define ORGO_MIGRATE_H

#include <stddef.h>
#include <libpq-fe.h>

/*
 * Apply every file NNNN_name.sql in 'dir' that the schema_migrations table
 * does not list, in name order, each in its own transaction. Stops at the
 * first failure, which is rolled back, and describes it in 'error'.
 * 'applied' receives the number of files applied. Returns 0 or -1.
 */
int	migrate_apply(PGconn *db, const char *dir, int *applied,
	    void (*report)(const char *file), char *error, size_t error_len);

#endif
