/*
 * orgoctl audit tail: the last records of the audit log, oldest first, one
 * a line as text or JSON, and with --follow every new record as it is
 * committed, until SIGINT or SIGTERM. Details pass through the same
 * redaction as the audit log page, so no secret-named value is printed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit_format.h"
#include "ctl_audit.h"
#include "ctl_db.h"

#define CTL_AUDIT_LIMIT_DEFAULT	20
#define CTL_AUDIT_LIMIT_MAX	1000
#define CTL_AUDIT_ACTION_MAX	64
#define CTL_AUDIT_DETAILS_MAX	16384	/* bytes of details text a line shows */
#define CTL_AUDIT_POLL_ROWS	1000	/* rows one poll of --follow reads */

/* A number macro as a string literal, for constant SQL. */
#define CTL_AUDIT_TEXT(x)	CTL_AUDIT_TEXT_(x)
#define CTL_AUDIT_TEXT_(x)	#x

/*
 * Ids are taken from the sequence when a row is inserted but become
 * visible when its transaction commits, so a lower id can appear after a
 * higher one was printed. --follow queries each id it skipped again for
 * CTL_AUDIT_GAP_SECONDS, after which the id is taken to belong to a
 * rolled-back insert.
 * NOTE: only CTL_AUDIT_GAPS_MAX skipped ids are tracked at a time; a row
 * committed in a larger gap, or later than CTL_AUDIT_GAP_SECONDS after a
 * higher id, is not printed.
 */
#define CTL_AUDIT_GAPS_MAX	1024
#define CTL_AUDIT_GAP_SECONDS	60

struct ctl_audit_args {
	long		 limit;
	const char	*action;
	int		 follow;
	int		 json;
};

struct ctl_audit_gap {
	long long	id;
	time_t		since;
};

struct ctl_audit_follow {
	long long		last;		/* highest id printed or seen */
	struct ctl_audit_gap	gaps[CTL_AUDIT_GAPS_MAX];
	size_t			count;
};

enum ctl_audit_column {
	CTL_COL_ID, CTL_COL_AT, CTL_COL_AT_ISO, CTL_COL_ACTOR_ID,
	CTL_COL_ACTOR_EMAIL, CTL_COL_ACTOR_NAME, CTL_COL_ACTION,
	CTL_COL_TARGET, CTL_COL_ADDRESS, CTL_COL_DETAILS, CTL_COL_WANTED,
};

#define CTL_AUDIT_COLUMNS						\
    "a.id, to_char(a.at AT TIME ZONE 'UTC',"				\
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at_text,"			\
    " to_char(a.at AT TIME ZONE 'UTC',"				\
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at_iso,"			\
    " a.actor_member_id, m.email AS actor_email, m.name AS actor_name,"	\
    " a.action, a.target, a.address, a.details::text AS details,"	\
    " ($1::text IS NULL OR a.action = $1) AS wanted"			\
    " FROM audit_log a LEFT JOIN members m ON m.id = a.actor_member_id"

/* $1 action or NULL, $2 how many, $3 the highest id to include. */
static const char	ctl_audit_tail_sql[] =
    "SELECT * FROM (SELECT " CTL_AUDIT_COLUMNS
    " WHERE a.id <= $3::bigint AND ($1::text IS NULL OR a.action = $1)"
    " ORDER BY a.id DESC LIMIT $2::int) r ORDER BY r.id";

/*
 * Every row after $2 and the skipped ids $3, so that skipped ids are
 * known. 'wanted' is true for the rows that match the action filter $1.
 */
static const char	ctl_audit_poll_sql[] =
    "SELECT " CTL_AUDIT_COLUMNS
    " WHERE a.id > $2::bigint OR a.id = ANY($3::bigint[])"
    " ORDER BY a.id LIMIT " CTL_AUDIT_TEXT(CTL_AUDIT_POLL_ROWS);

/* The highest id, and the ids below it that no visible row has yet. */
static const char	ctl_audit_start_sql[] =
    "WITH top AS (SELECT COALESCE(max(id), 0) AS id FROM audit_log)"
    " SELECT top.id, s.id FROM top LEFT JOIN LATERAL (SELECT g AS id"
    " FROM generate_series(GREATEST(top.id - "
    CTL_AUDIT_TEXT(CTL_AUDIT_GAPS_MAX) ", 1), top.id - 1) g"
    " WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE id = g)) s ON true"
    " ORDER BY s.id";

static volatile sig_atomic_t	ctl_audit_stop;

static void
ctl_audit_usage(void)
{
	fprintf(stderr, "usage: orgoctl audit tail [--limit N] [--action NAME] "
	    "[--follow] [--json]\n"
	    "  --limit N       print the last N records, 1 to %d (default %d)\n"
	    "  --action NAME   only records of this action, such as "
	    "sign_in_failed\n"
	    "  --follow        keep printing new records until interrupted\n"
	    "  --json          one JSON object a line instead of text\n",
	    CTL_AUDIT_LIMIT_MAX, CTL_AUDIT_LIMIT_DEFAULT);
}

static int
ctl_audit_action_valid(const char *s)
{
	size_t	i;

	if (s[0] < 'a' || s[0] > 'z')
		return (0);
	for (i = 1; s[i] != '\0'; i++) {
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			return (0);
	}
	return (i <= CTL_AUDIT_ACTION_MAX);
}

/* Parse --limit: digits only, 1 to CTL_AUDIT_LIMIT_MAX. */
static int
ctl_audit_limit(const char *text, long *out)
{
	char	*end;
	long	 value;

	if (text[0] < '0' || text[0] > '9')
		return (-1);
	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || value < 1 ||
	    value > CTL_AUDIT_LIMIT_MAX)
		return (-1);
	*out = value;
	return (0);
}

static int
ctl_audit_parse(int argc, char **argv, struct ctl_audit_args *a)
{
	static const struct option	options[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "action", required_argument, NULL, 'a' },
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int				c;

	memset(a, 0, sizeof(*a));
	a->limit = CTL_AUDIT_LIMIT_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (ctl_audit_limit(optarg, &a->limit) == -1) {
				fprintf(stderr, "orgoctl: --limit must be a "
				    "whole number from 1 to %d, not '%s'\n",
				    CTL_AUDIT_LIMIT_MAX, optarg);
				return (-1);
			}
			break;
		case 'a':
			if (!ctl_audit_action_valid(optarg)) {
				fprintf(stderr, "orgoctl: --action must be an "
				    "action name such as sign_in_failed: a "
				    "lowercase letter, then lowercase letters, "
				    "digits and _, at most %d\n",
				    CTL_AUDIT_ACTION_MAX);
				return (-1);
			}
			a->action = optarg;
			break;
		case 'f':
			a->follow = 1;
			break;
		case 'j':
			a->json = 1;
			break;
		default:
			ctl_audit_usage();
			return (-1);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "orgoctl: unexpected argument '%s'\n",
		    argv[optind]);
		ctl_audit_usage();
		return (-1);
	}
	return (0);
}

static PGresult *
ctl_audit_query(PGconn *db, const char *sql, int count, const char **params)
{
	PGresult	*res;

	if (ctl_db_exec(db, sql, count, params, &res) == -1)
		return (NULL);
	return (res);
}

static const char *
ctl_audit_value(PGresult *res, int row, int col)
{
	return (PQgetisnull(res, row, col) ? NULL :
	    PQgetvalue(res, row, col));
}

/*
 * Print a text field, or "-" when it is NULL or empty. Control bytes
 * become '?' so that a field cannot move the cursor or end the line.
 */
static void
ctl_audit_print_field(const char *value)
{
	const unsigned char	*p;

	if (value == NULL || value[0] == '\0') {
		fputc('-', stdout);
		return;
	}
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, stdout);
}

/* Parse and redact the details column, or return {} if it is unreadable. */
static json_t *
ctl_audit_details(PGresult *res, int row)
{
	json_t		*details;
	json_error_t	 error;

	details = json_loads(PQgetvalue(res, row, CTL_COL_DETAILS), 0, &error);
	if (details == NULL) {
		fprintf(stderr, "orgoctl: audit record %s: details are not "
		    "valid JSON: %s\n", PQgetvalue(res, row, CTL_COL_ID),
		    error.text);
		details = json_object();
	}
	if (details != NULL)
		audit_format_redact(details);
	return (details);
}

static int
ctl_audit_print_text(PGresult *res, int row, json_t *details)
{
	char	*text;
	int	 truncated;

	if ((text = malloc(CTL_AUDIT_DETAILS_MAX)) == NULL ||
	    details == NULL || audit_format_details(details, text,
	    CTL_AUDIT_DETAILS_MAX, &truncated) == -1) {
		free(text);
		fprintf(stderr, "orgoctl: out of memory\n");
		return (-1);
	}

	ctl_audit_print_field(ctl_audit_value(res, row, CTL_COL_AT));
	fputs("  ", stdout);
	ctl_audit_print_field(ctl_audit_value(res, row, CTL_COL_ACTION));
	fputs("  ", stdout);
	ctl_audit_print_field(ctl_audit_value(res, row, CTL_COL_ACTOR_EMAIL));
	fputs("  ", stdout);
	ctl_audit_print_field(ctl_audit_value(res, row, CTL_COL_TARGET));
	fputs("  ", stdout);
	ctl_audit_print_field(ctl_audit_value(res, row, CTL_COL_ADDRESS));
	fputs("  ", stdout);
	/* audit_format_details() escapes every control character. */
	fputs(text[0] != '\0' ? text : "-", stdout);
	fputc('\n', stdout);
	free(text);
	return (0);
}

static int
ctl_audit_print_json(PGresult *res, int row, json_t *details)
{
	json_t	*line;
	char	*text;

	if (details == NULL)
		return (-1);
	line = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:O}",
	    "id", PQgetvalue(res, row, CTL_COL_ID),
	    "at", PQgetvalue(res, row, CTL_COL_AT_ISO),
	    "action", PQgetvalue(res, row, CTL_COL_ACTION),
	    "actor_id", ctl_audit_value(res, row, CTL_COL_ACTOR_ID),
	    "actor_email", ctl_audit_value(res, row, CTL_COL_ACTOR_EMAIL),
	    "actor_name", ctl_audit_value(res, row, CTL_COL_ACTOR_NAME),
	    "target", ctl_audit_value(res, row, CTL_COL_TARGET),
	    "address", ctl_audit_value(res, row, CTL_COL_ADDRESS),
	    "details", details);
	if (line == NULL ||
	    (text = json_dumps(line, JSON_COMPACT)) == NULL) {
		json_decref(line);
		fprintf(stderr, "orgoctl: audit record %s could not be "
		    "written as JSON\n", PQgetvalue(res, row, CTL_COL_ID));
		return (-1);
	}
	printf("%s\n", text);
	free(text);
	json_decref(line);
	return (0);
}

static int
ctl_audit_print(PGresult *res, int row, int json)
{
	json_t	*details;
	int	 rc;

	details = ctl_audit_details(res, row);
	rc = json ? ctl_audit_print_json(res, row, details) :
	    ctl_audit_print_text(res, row, details);
	json_decref(details);
	return (rc);
}

/* ---- --follow -------------------------------------------------------- */

static void
ctl_audit_signal(int signo)
{
	(void)signo;
	ctl_audit_stop = 1;
}

/* Without SA_RESTART, so that a signal ends the sleep between polls. */
static void
ctl_audit_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_audit_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
}

static time_t
ctl_audit_now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static void
ctl_audit_gap_add(struct ctl_audit_follow *fw, long long id, time_t now)
{
	if (fw->count == CTL_AUDIT_GAPS_MAX)
		return;
	fw->gaps[fw->count].id = id;
	fw->gaps[fw->count].since = now;
	fw->count++;
}

/* Forget a skipped id whose row has now been read. */
static void
ctl_audit_gap_remove(struct ctl_audit_follow *fw, long long id)
{
	size_t	i;

	for (i = 0; i < fw->count; i++) {
		if (fw->gaps[i].id == id) {
			fw->gaps[i] = fw->gaps[--fw->count];
			return;
		}
	}
}

/* Forget skipped ids older than CTL_AUDIT_GAP_SECONDS. */
static void
ctl_audit_gap_expire(struct ctl_audit_follow *fw, time_t now)
{
	size_t	i, remaining;

	remaining = 0;
	for (i = 0; i < fw->count; i++) {
		if (now - fw->gaps[i].since <= CTL_AUDIT_GAP_SECONDS)
			fw->gaps[remaining++] = fw->gaps[i];
	}
	fw->count = remaining;
}

/* The skipped ids as a PostgreSQL array literal, such as {7,9}. */
static char *
ctl_audit_gap_array(const struct ctl_audit_follow *fw)
{
	char	*text;
	size_t	 size, used, i;
	int	 n;

	size = 3 + fw->count * 21;
	if ((text = malloc(size)) == NULL)
		return (NULL);
	used = 0;
	text[used++] = '{';
	for (i = 0; i < fw->count; i++) {
		n = snprintf(text + used, size - used, "%s%lld", i > 0 ? "," :
		    "", fw->gaps[i].id);
		if (n < 0 || (size_t)n >= size - used) {
			free(text);
			return (NULL);
		}
		used += (size_t)n;
	}
	text[used++] = '}';
	text[used] = '\0';
	return (text);
}

/*
 * Find the highest id and the ids below it that may still commit. Rows
 * up to 'last' are the ones the tail prints.
 */
static int
ctl_audit_follow_start(PGconn *db, struct ctl_audit_follow *fw)
{
	PGresult	*res;
	time_t		 now;
	int		 i;

	memset(fw, 0, sizeof(*fw));
	if ((res = ctl_audit_query(db, ctl_audit_start_sql, 0, NULL)) == NULL)
		return (-1);
	now = ctl_audit_now();
	fw->last = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	for (i = 0; i < PQntuples(res); i++) {
		if (!PQgetisnull(res, i, 1))
			ctl_audit_gap_add(fw, strtoll(PQgetvalue(res, i, 1),
			    NULL, 10), now);
	}
	PQclear(res);
	return (0);
}

/* One poll: print new and late rows. Returns rows read, or -1. */
static int
ctl_audit_poll(PGconn *db, const struct ctl_audit_args *a,
    struct ctl_audit_follow *fw)
{
	PGresult	*res;
	const char	*params[3];
	char		 last[32], *gaps;
	long long	 id, skipped;
	time_t		 now;
	int		 i, rows;

	snprintf(last, sizeof(last), "%lld", fw->last);
	if ((gaps = ctl_audit_gap_array(fw)) == NULL) {
		fprintf(stderr, "orgoctl: out of memory\n");
		return (-1);
	}
	params[0] = a->action;
	params[1] = last;
	params[2] = gaps;
	res = ctl_audit_query(db, ctl_audit_poll_sql, 3, params);
	free(gaps);
	if (res == NULL)
		return (-1);

	now = ctl_audit_now();
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		id = strtoll(PQgetvalue(res, i, CTL_COL_ID), NULL, 10);
		if (id > fw->last) {
			for (skipped = fw->last + 1; skipped < id &&
			    fw->count < CTL_AUDIT_GAPS_MAX; skipped++)
				ctl_audit_gap_add(fw, skipped, now);
			fw->last = id;
		} else {
			ctl_audit_gap_remove(fw, id);
		}
		if (PQgetvalue(res, i, CTL_COL_WANTED)[0] == 't' &&
		    ctl_audit_print(res, i, a->json) == -1) {
			PQclear(res);
			return (-1);
		}
	}
	PQclear(res);
	ctl_audit_gap_expire(fw, now);
	fflush(stdout);
	return (rows);
}

/* Poll every second until SIGINT or SIGTERM. */
static int
ctl_audit_follow(PGconn *db, const struct ctl_audit_args *a,
    struct ctl_audit_follow *fw)
{
	struct timespec	second = { 1, 0 };
	int		rows;

	while (!ctl_audit_stop) {
		if ((rows = ctl_audit_poll(db, a, fw)) == -1)
			return (1);
		/* A full batch means more rows are waiting: no sleep. */
		if (rows == CTL_AUDIT_POLL_ROWS)
			continue;
		if (!ctl_audit_stop)
			(void)nanosleep(&second, NULL);
	}
	return (0);
}

/* ---- tail ------------------------------------------------------------ */

static int
ctl_audit_tail(PGconn *db, int argc, char **argv)
{
	struct ctl_audit_args	 a;
	struct ctl_audit_follow	*fw;
	PGresult		*res;
	const char		*params[3];
	char			 limit[16], last[32];
	int			 i, rc;

	if (ctl_audit_parse(argc, argv, &a) == -1)
		return (2);
	if (a.follow)
		ctl_audit_signals();

	if ((fw = malloc(sizeof(*fw))) == NULL) {
		fprintf(stderr, "orgoctl: out of memory\n");
		return (1);
	}
	if (ctl_audit_follow_start(db, fw) == -1) {
		free(fw);
		return (1);
	}

	snprintf(limit, sizeof(limit), "%ld", a.limit);
	snprintf(last, sizeof(last), "%lld", fw->last);
	params[0] = a.action;
	params[1] = limit;
	params[2] = last;
	if ((res = ctl_audit_query(db, ctl_audit_tail_sql, 3, params)) ==
	    NULL) {
		free(fw);
		return (1);
	}
	rc = 0;
	for (i = 0; i < PQntuples(res) && rc == 0; i++)
		rc = ctl_audit_print(res, i, a.json) == -1 ? 1 : 0;
	PQclear(res);
	fflush(stdout);

	if (rc == 0 && a.follow)
		rc = ctl_audit_follow(db, &a, fw);
	free(fw);
	return (rc);
}

int
ctl_audit_log(PGconn *db, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "tail") == 0)
		return (ctl_audit_tail(db, argc - 1, argv + 1));
	ctl_audit_usage();
	return (2);
}
