/*
 * Runtime settings. Every variable has a default so that `make run` works
 * with none set; a value that is set but invalid stops start-up with a
 * message naming the variable, the value's problem and the allowed range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "util.h"

enum setting_kind { SETTING_URL, SETTING_STRING, SETTING_SECONDS,
    SETTING_COUNT };

struct setting {
	const char		*name;
	enum setting_kind	 kind;
	const char		*default_value;		/* NULL: required */
	long			 min;
	long			 max;
	size_t			 offset;
	const char		*help;
};

#define FIELD(f)	offsetof(struct settings, f)

static const struct setting setting_table[] = {
	{ "ORGO_ISSUER", SETTING_URL, "https://localhost:8443", 0, 0,
	    FIELD(issuer), "issuer URL put in tokens and discovery" },
	{ "ORGO_DATABASE", SETTING_STRING, NULL, 0, 0,
	    FIELD(database), "libpq connection string (use host=127.0.0.1)" },
	{ "ORGO_MIGRATIONS_DIR", SETTING_STRING, "migrations", 0, 0,
	    FIELD(migrations_dir), "folder of numbered SQL migrations" },
	{ "ORGO_ASSETS_DIR", SETTING_STRING, "assets", 0, 0,
	    FIELD(assets_dir), "folder of templates, CSS and docs" },
	{ "ORGO_MASTER_KEY_FILE", SETTING_STRING, "var/master.key", 0, 0,
	    FIELD(master_key_file), "file with the 256-bit key (64 hex "
	    "characters) that seals signing keys in the database" },
	{ "ORGO_ACCESS_TOKEN_TTL", SETTING_SECONDS, "600", 60, 86400,
	    FIELD(access_token_ttl), "access token lifetime, seconds" },
	{ "ORGO_CODE_TTL", SETTING_SECONDS, "60", 10, 600,
	    FIELD(code_ttl), "authorization code lifetime, seconds" },
	{ "ORGO_DEVICE_CODE_TTL", SETTING_SECONDS, "600", 60, 1800,
	    FIELD(device_code_ttl), "device code and user code lifetime, "
	    "seconds" },
	{ "ORGO_REFRESH_TOKEN_TTL", SETTING_SECONDS, "2592000", 300, 31536000,
	    FIELD(refresh_token_ttl), "refresh token absolute lifetime, seconds" },
	{ "ORGO_REFRESH_TOKEN_IDLE", SETTING_SECONDS, "604800", 300, 31536000,
	    FIELD(refresh_token_idle), "refresh token idle timeout, seconds" },
	{ "ORGO_SESSION_IDLE", SETTING_SECONDS, "3600", 60, 2592000,
	    FIELD(session_idle), "sign-in session idle timeout, seconds" },
	{ "ORGO_SESSION_MAX", SETTING_SECONDS, "43200", 300, 31536000,
	    FIELD(session_max), "sign-in session absolute lifetime, seconds" },
	{ "ORGO_KEY_ROTATION_DAYS", SETTING_COUNT, "90", 0, 3650,
	    FIELD(key_rotation_days), "rotate the token signing key after "
	    "this many days (0: only with orgoctl keys rotate)" },
	{ "ORGO_HOUSEKEEPING_INTERVAL", SETTING_SECONDS, "60", 1, 3600,
	    FIELD(housekeeping_interval), "seconds between purges of "
	    "expired codes, tokens and sessions" },
	{ "ORGO_TOKEN_RATE_LIMIT", SETTING_COUNT, "50", 0, 1000000,
	    FIELD(token_rate_limit), "requests per second per client_id at "
	    "the token, revocation and introspection endpoints (0: no limit)" },
	{ "ORGO_DB_CONNECTIONS", SETTING_COUNT, "4", 1, 256,
	    FIELD(db_connections), "PostgreSQL connections per worker" },
};

#define SETTING_COUNT_ALL	(sizeof(setting_table) / sizeof(setting_table[0]))

static int	setting_parse(const struct setting *, const char *,
		    struct settings *, char *, size_t);
static int	setting_check_url(const char *, char *, size_t);

int
settings_load(struct settings *s, settings_lookup lookup, char *error,
    size_t error_len)
{
	size_t		 i;
	const char	*value;

	memset(s, 0, sizeof(*s));

	for (i = 0; i < SETTING_COUNT_ALL; i++) {
		value = lookup(setting_table[i].name);
		if (value == NULL || *value == '\0')
			value = setting_table[i].default_value;
		if (value == NULL) {
			snprintf(error, error_len, "%s is not set (%s)",
			    setting_table[i].name, setting_table[i].help);
			settings_free(s);
			return (-1);
		}
		if (setting_parse(&setting_table[i], value, s,
		    error, error_len) == -1) {
			settings_free(s);
			return (-1);
		}
	}

	if (s->refresh_token_idle > s->refresh_token_ttl) {
		snprintf(error, error_len, "ORGO_REFRESH_TOKEN_IDLE (%ld) is "
		    "longer than ORGO_REFRESH_TOKEN_TTL (%ld)",
		    s->refresh_token_idle, s->refresh_token_ttl);
		settings_free(s);
		return (-1);
	}
	if (s->session_idle > s->session_max) {
		snprintf(error, error_len, "ORGO_SESSION_IDLE (%ld) is longer "
		    "than ORGO_SESSION_MAX (%ld)", s->session_idle,
		    s->session_max);
		settings_free(s);
		return (-1);
	}

	return (0);
}

void
settings_free(struct settings *s)
{
	free(s->issuer);
	if (s->database != NULL) {
		util_wipe(s->database, strlen(s->database));
		free(s->database);
	}
	free(s->migrations_dir);
	free(s->assets_dir);
	free(s->master_key_file);
	memset(s, 0, sizeof(*s));
}

void
settings_describe(void (*print)(const char *))
{
	size_t		i;
	char		line[256];

	for (i = 0; i < SETTING_COUNT_ALL; i++) {
		snprintf(line, sizeof(line), "%-27s %-23s %s",
		    setting_table[i].name,
		    setting_table[i].default_value ?
		    setting_table[i].default_value : "(required)",
		    setting_table[i].help);
		print(line);
	}
}

static int
setting_parse(const struct setting *def, const char *value,
    struct settings *s, char *error, size_t error_len)
{
	char		*end, **str;
	long		 number, *target;

	switch (def->kind) {
	case SETTING_URL:
		if (setting_check_url(value, error, error_len) == -1) {
			/* Prefix the variable's name to the reason. */
			char	reason[SETTINGS_ERROR_MAX];

			snprintf(reason, sizeof(reason), "%s", error);
			snprintf(error, error_len, "%s: invalid URL '%s': %s",
			    def->name, value, reason);
			return (-1);
		}
		/* FALLTHROUGH */
	case SETTING_STRING:
		if (strlen(value) > 4096) {
			snprintf(error, error_len, "%s is longer than 4096 bytes",
			    def->name);
			return (-1);
		}
		str = (char **)((char *)s + def->offset);
		if ((*str = strdup(value)) == NULL) {
			snprintf(error, error_len, "%s: out of memory",
			    def->name);
			return (-1);
		}
		return (0);
	case SETTING_SECONDS:
	case SETTING_COUNT:
		errno = 0;
		number = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    number < def->min || number > def->max) {
			snprintf(error, error_len, "%s: invalid value '%.64s', "
			    "expected an integer from %ld to %ld%s",
			    def->name, value, def->min, def->max,
			    def->kind == SETTING_SECONDS ? " (seconds)" : "");
			return (-1);
		}
		target = (long *)((char *)s + def->offset);
		*target = number;
		return (0);
	}

	return (-1);
}

/*
 * The issuer is an https URL with no query, fragment or trailing slash
 * (OpenID Connect Discovery 1.0 section 3). Plain http is accepted only
 * for loopback hosts, for local development.
 */
static int
setting_check_url(const char *value, char *error, size_t error_len)
{
	const char	*rest;
	size_t		 len;

	if (strncmp(value, "https://", 8) == 0) {
		rest = value + 8;
	} else if (strncmp(value, "http://localhost", 16) == 0 ||
	    strncmp(value, "http://127.0.0.1", 16) == 0) {
		rest = value + 7;
	} else {
		snprintf(error, error_len, "must start with https://");
		return (-1);
	}

	len = strlen(value);
	if (*rest == '\0' || *rest == '/') {
		snprintf(error, error_len, "has no host");
		return (-1);
	}
	if (strpbrk(value, "?# \t\r\n") != NULL) {
		snprintf(error, error_len,
		    "must not contain a query, fragment or whitespace");
		return (-1);
	}
	if (value[len - 1] == '/') {
		snprintf(error, error_len, "must not end with '/'");
		return (-1);
	}

	return (0);
}
