/*
 * Migrations. Several server instances may start at once against one
 * database, so the whole run holds a PostgreSQL advisory lock; each file
 * and its schema_migrations row commit together or not at all.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

/* Arbitrary constant shared by every instance: "orgo" in ASCII. */
#define MIGRATE_LOCK_ID		"1869768559"
#define MIGRATE_FILE_MAX	(1024 * 1024)
#define MIGRATE_FILES_MAX	1000

static int	migrate_name_valid(const char *);
static int	migrate_compare(const void *, const void *);
static char	*migrate_read(const char *, const char *, char *, size_t);
static int	migrate_exec(PGconn *, const char *, char *, size_t);
static int	migrate_file(PGconn *, const char *, const char *, int *,
		    char *, size_t);

int
migrate_apply(PGconn *db, const char *dir, int *applied,
    void (*report)(const char *), char *error, size_t error_len)
{
	DIR		*d;
	struct dirent	*entry;
	char		**names;
	size_t		 count, i;
	int		 rc, done;

	*applied = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(error, error_len, "cannot open migrations folder "
		    "'%s': %s", dir, strerror(errno));
		return (-1);
	}

	names = calloc(MIGRATE_FILES_MAX, sizeof(*names));
	count = 0;
	while (names != NULL && (entry = readdir(d)) != NULL) {
		if (!migrate_name_valid(entry->d_name))
			continue;
		if (count == MIGRATE_FILES_MAX)
			break;
		names[count++] = strdup(entry->d_name);
	}
	closedir(d);
	if (names == NULL) {
		snprintf(error, error_len, "out of memory");
		return (-1);
	}
	qsort(names, count, sizeof(*names), migrate_compare);

	/* "already exists, skipping" notices are not news to an operator. */
	rc = migrate_exec(db, "SET client_min_messages TO warning", error,
	    error_len);
	if (rc == 0)
		rc = migrate_exec(db, "CREATE TABLE IF NOT EXISTS "
		    "schema_migrations (version text PRIMARY KEY, "
		    "applied_at timestamptz NOT NULL DEFAULT now())", error,
		    error_len);
	if (rc == 0)
		rc = migrate_exec(db, "SELECT pg_advisory_lock("
		    MIGRATE_LOCK_ID ")", error, error_len);

	for (i = 0; rc == 0 && i < count; i++) {
		if (names[i] == NULL) {
			snprintf(error, error_len, "out of memory");
			rc = -1;
			break;
		}
		rc = migrate_file(db, dir, names[i], &done, error, error_len);
		if (rc == 0 && done) {
			(*applied)++;
			if (report != NULL)
				report(names[i]);
		}
	}

	(void)PQclear(PQexec(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_ID
	    ")"));
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);

	return (rc);
}

/* NNNN_words.sql, with four digits and no path characters. */
static int
migrate_name_valid(const char *name)
{
	size_t		len, i;

	len = strlen(name);
	if (len < 10 || strcmp(name + len - 4, ".sql") != 0)
		return (0);
	for (i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return (0);
	}
	return (name[4] == '_');
}

static int
migrate_compare(const void *a, const void *b)
{
	const char	*x = *(const char *const *)a;
	const char	*y = *(const char *const *)b;

	if (x == NULL || y == NULL)
		return ((x == NULL) - (y == NULL));
	return (strcmp(x, y));
}

static char *
migrate_read(const char *dir, const char *name, char *error, size_t error_len)
{
	FILE		*fp;
	char		 path[4096], *sql;
	size_t		 len;
	struct stat	 st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) == -1) {
		snprintf(error, error_len, "%s: %s", name, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return (NULL);
	}
	if (st.st_size > MIGRATE_FILE_MAX) {
		snprintf(error, error_len, "%s: larger than %d bytes", name,
		    MIGRATE_FILE_MAX);
		fclose(fp);
		return (NULL);
	}
	if ((sql = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(error, error_len, "%s: out of memory", name);
		fclose(fp);
		return (NULL);
	}
	len = fread(sql, 1, (size_t)st.st_size, fp);
	sql[len] = '\0';
	fclose(fp);

	return (sql);
}

static int
migrate_exec(PGconn *db, const char *sql, char *error, size_t error_len)
{
	PGresult	*res;
	int		 status;

	res = PQexec(db, sql);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		snprintf(error, error_len, "%s", PQerrorMessage(db));
		error[strcspn(error, "\n")] = '\0';
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	return (0);
}

/* Apply one file unless already recorded. Sets *done when it ran. */
static int
migrate_file(PGconn *db, const char *dir, const char *name, int *done,
    char *error, size_t error_len)
{
	PGresult	*res;
	const char	*params[1];
	char		*sql, reason[512];
	int		 known;

	*done = 0;
	params[0] = name;
	res = PQexecParams(db, "SELECT 1 FROM schema_migrations "
	    "WHERE version = $1", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(error, error_len, "%s: %s", name, PQerrorMessage(db));
		PQclear(res);
		return (-1);
	}
	known = PQntuples(res) > 0;
	PQclear(res);
	if (known)
		return (0);

	if ((sql = migrate_read(dir, name, error, error_len)) == NULL)
		return (-1);

	if (migrate_exec(db, "BEGIN", reason, sizeof(reason)) == -1 ||
	    migrate_exec(db, sql, reason, sizeof(reason)) == -1) {
		free(sql);
		(void)PQclear(PQexec(db, "ROLLBACK"));
		snprintf(error, error_len, "migration %s failed: %s", name,
		    reason);
		return (-1);
	}
	free(sql);

	res = PQexecParams(db, "INSERT INTO schema_migrations (version) "
	    "VALUES ($1)", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(error, error_len, "migration %s failed: %s", name,
		    PQerrorMessage(db));
		PQclear(res);
		(void)PQclear(PQexec(db, "ROLLBACK"));
		return (-1);
	}
	PQclear(res);

	if (migrate_exec(db, "COMMIT", reason, sizeof(reason)) == -1) {
		snprintf(error, error_len, "migration %s failed at commit: %s",
		    name, reason);
		return (-1);
	}

	*done = 1;
	return (0);
}
