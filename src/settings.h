/* Runtime settings read from ORGO_* environment variables at start-up. */
#ifndef ORGO_SETTINGS_H
#define ORGO_SETTINGS_H

#include <stddef.h>

#define SETTINGS_ERROR_MAX	256

struct settings {
	char		*issuer;		/* no trailing slash */
	char		*database;		/* libpq conninfo */
	char		*migrations_dir;
	char		*assets_dir;
	char		*master_key_file;
	long		 access_token_ttl;	/* seconds */
	long		 code_ttl;
	long		 device_code_ttl;	/* device authorization */
	long		 refresh_token_ttl;
	long		 refresh_token_idle;
	long		 session_idle;
	long		 session_max;
	long		 db_connections;	/* per worker */
	long		 key_rotation_days;	/* 0: manual only */
	long		 housekeeping_interval;	/* seconds */
	long		 token_rate_limit;	/* per client per second */
};

/* Source of variables: getenv() in production, a table in unit tests. */
typedef const char	*(*settings_lookup)(const char *name);

/*
 * Fill 's' from 'lookup', applying defaults to unset variables. Returns 0,
 * or -1 with a message naming the variable in 'error'.
 */
int	settings_load(struct settings *s, settings_lookup lookup,
	    char *error, size_t error_len);
void	settings_free(struct settings *s);

/* Print the table of variables with their defaults and ranges. */
void	settings_describe(void (*print)(const char *line));

#endif
