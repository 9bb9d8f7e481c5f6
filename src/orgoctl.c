/*
 * orgoctl: the operator's command-line tool. It reads the same ORGO_*
 * settings as the server and talks to PostgreSQL directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ctl_app.h"
#include "ctl_audit.h"
#include "ctl_keys.h"
#include "ctl_member.h"
#include "migrate.h"
#include "orgo.h"
#include "settings.h"

struct settings	orgo_settings;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: orgoctl <command> [options]\n"
	    "\n"
	    "commands:\n"
	    "  migrate           apply pending database migrations\n"
	    "  member ...        add, list and change members "
	    "(orgoctl member for help)\n"
	    "  app ...           register and manage OAuth applications "
	    "(orgoctl app for help)\n"
	    "  keys list|rotate  show or rotate the token signing keys\n"
	    "  audit tail        print the last audit records, or follow new "
	    "ones (orgoctl audit for help)\n"
	    "  bootstrap-admin   create the first administrator if there is "
	    "no member\n"
	    "  version           print the version\n"
	    "  settings          list the ORGO_* environment variables\n");
}

static const char *
ctl_getenv(const char *name)
{
	return (getenv(name));
}

static void
ctl_print_line(const char *line)
{
	printf("%s\n", line);
}

static void
ctl_report_migration(const char *file)
{
	printf("applied %s\n", file);
}

static int
ctl_settings(void)
{
	char		error[SETTINGS_ERROR_MAX];

	if (settings_load(&orgo_settings, ctl_getenv, error,
	    sizeof(error)) == -1) {
		fprintf(stderr, "orgoctl: invalid setting: %s\n", error);
		return (-1);
	}
	return (0);
}

static int
ctl_migrate(void)
{
	PGconn		*db;
	char		 error[1024];
	int		 applied;

	if (ctl_settings() == -1)
		return (1);

	db = PQconnectdb(orgo_settings.database);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "orgoctl: cannot connect to ORGO_DATABASE: %s",
		    PQerrorMessage(db));
		PQfinish(db);
		return (1);
	}

	if (migrate_apply(db, orgo_settings.migrations_dir, &applied,
	    ctl_report_migration, error, sizeof(error)) == -1) {
		fprintf(stderr, "orgoctl: %s\n", error);
		PQfinish(db);
		return (1);
	}
	PQfinish(db);

	printf("%d migration(s) applied\n", applied);
	return (0);
}

/* Connect for a command that needs the database; NULL after a message. */
static PGconn *
ctl_connect(void)
{
	PGconn	*db;

	if (ctl_settings() == -1)
		return (NULL);
	db = PQconnectdb(orgo_settings.database);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "orgoctl: cannot connect to ORGO_DATABASE: %s",
		    PQerrorMessage(db));
		PQfinish(db);
		return (NULL);
	}
	return (db);
}

static int
ctl_with_db(int (*command)(PGconn *, int, char **), int argc, char **argv)
{
	PGconn	*db;
	int	 rc;

	if ((db = ctl_connect()) == NULL)
		return (1);
	rc = command(db, argc, argv);
	PQfinish(db);
	return (rc);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return (2);
	}

	if (strcmp(argv[1], "version") == 0) {
		printf("orgoctl %s\n", ORGO_VERSION);
		return (0);
	}
	if (strcmp(argv[1], "migrate") == 0)
		return (ctl_migrate());
	if (strcmp(argv[1], "member") == 0)
		return (ctl_with_db(ctl_member, argc - 1, argv + 1));
	if (strcmp(argv[1], "keys") == 0)
		return (ctl_with_db(ctl_keys, argc - 1, argv + 1));
	if (strcmp(argv[1], "audit") == 0)
		return (ctl_with_db(ctl_audit_log, argc - 1, argv + 1));
	if (strcmp(argv[1], "app") == 0)
		return (ctl_with_db(ctl_app, argc - 1, argv + 1));
	if (strcmp(argv[1], "bootstrap-admin") == 0)
		return (ctl_with_db(ctl_bootstrap_admin, argc - 1, argv + 1));
	if (strcmp(argv[1], "settings") == 0) {
		settings_describe(ctl_print_line);
		return (0);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return (0);
	}

	fprintf(stderr, "orgoctl: unknown command '%s'\n", argv[1]);
	usage();
	return (2);
}
