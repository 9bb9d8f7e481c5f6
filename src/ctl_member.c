/*
 * Member administration from the command line. Every change is one
 * transaction with an audit record; output is text by default and JSON
 * with --json. Passwords come from standard input (--password-stdin) or
 * are generated and printed once; they never appear in arguments.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_member.h"
#include "email.h"
#include "member_names.h"
#include "password.h"
#include "ctl_db.h"
#include "util.h"

#define CTL_LIST_MAX	16

struct member_args {
	const char	*email;
	const char	*name;
	const char	*roles[CTL_LIST_MAX];
	int		 role_count;
	const char	*groups[CTL_LIST_MAX];
	int		 group_count;
	int		 password_stdin;
	int		 verified;
	int		 json;
};

static int
ctl_begin(PGconn *db)
{
	return (ctl_db_exec(db, "BEGIN", 0, NULL, NULL));
}

static int
ctl_finish(PGconn *db, int ok)
{
	if (!ok) {
		(void)ctl_db_exec(db, "ROLLBACK", 0, NULL, NULL);
		return (1);
	}
	return (ctl_db_exec(db, "COMMIT", 0, NULL, NULL) == 0 ? 0 : 1);
}

static int
ctl_parse(int argc, char **argv, struct member_args *a)
{
	static const struct option	options[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "group", required_argument, NULL, 'g' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "verified", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int				c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'e':
			a->email = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'r':
			if (a->role_count == CTL_LIST_MAX) {
				fprintf(stderr, "orgoctl: at most %d --role\n",
				    CTL_LIST_MAX);
				return (-1);
			}
			if (!member_role_valid(optarg, strlen(optarg))) {
				fprintf(stderr, "orgoctl: invalid role \"%s\": "
				    "%s\n", optarg, MEMBER_ROLE_RULE);
				return (-1);
			}
			a->roles[a->role_count++] = optarg;
			break;
		case 'g':
			if (a->group_count == CTL_LIST_MAX) {
				fprintf(stderr, "orgoctl: at most %d --group\n",
				    CTL_LIST_MAX);
				return (-1);
			}
			if (!member_group_valid(optarg, strlen(optarg))) {
				fprintf(stderr, "orgoctl: invalid group \"%s\": "
				    "%s\n", optarg, MEMBER_GROUP_RULE);
				return (-1);
			}
			a->groups[a->group_count++] = optarg;
			break;
		case 'p':
			a->password_stdin = 1;
			break;
		case 'v':
			a->verified = 1;
			break;
		case 'j':
			a->json = 1;
			break;
		default:
			return (-1);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "orgoctl: unexpected argument '%s'\n",
		    argv[optind]);
		return (-1);
	}
	return (0);
}

/* Read a password from standard input (one line) or generate one. */
static int
ctl_password(int from_stdin, char *out, size_t out_len, int *generated)
{
	char	error[128];
	size_t	len;

	*generated = 0;
	if (!from_stdin) {
		if (out_len < PASSWORD_GENERATED_LEN + 1 ||
		    password_generate(out) == -1)
			return (-1);
		*generated = 1;
		return (0);
	}

	if (fgets(out, (int)out_len, stdin) == NULL) {
		fprintf(stderr, "orgoctl: no password on standard input\n");
		return (-1);
	}
	len = strcspn(out, "\r\n");
	if (out[len] == '\0' && len == out_len - 1) {
		fprintf(stderr, "orgoctl: password longer than %d bytes\n",
		    PASSWORD_MAX_LEN);
		return (-1);
	}
	out[len] = '\0';
	if (password_acceptable(out, len, error, sizeof(error)) == -1) {
		fprintf(stderr, "orgoctl: %s\n", error);
		return (-1);
	}
	return (0);
}

static int
ctl_add_role(PGconn *db, const char *member_id, const char *role)
{
	const char	*params[2] = { member_id, role };

	if (ctl_db_exec(db, "INSERT INTO roles (name) VALUES ($1) "
	    "ON CONFLICT (name) DO NOTHING", 1, &params[1], NULL) == -1)
		return (-1);
	return (ctl_db_exec(db, "INSERT INTO member_roles (member_id, role_id) "
	    "SELECT $1, id FROM roles WHERE name = $2 ON CONFLICT DO NOTHING",
	    2, params, NULL));
}

static int
ctl_add_group(PGconn *db, const char *member_id, const char *group)
{
	const char	*params[2] = { member_id, group };

	if (ctl_db_exec(db, "INSERT INTO groups (name) VALUES ($1) "
	    "ON CONFLICT (name) DO NOTHING", 1, &params[1], NULL) == -1)
		return (-1);
	return (ctl_db_exec(db, "INSERT INTO member_groups (member_id, group_id) "
	    "SELECT $1, id FROM groups WHERE name = $2 ON CONFLICT DO NOTHING",
	    2, params, NULL));
}

static int
ctl_audit(PGconn *db, const char *action, const char *member_id,
    const char *details_json)
{
	const char	*params[3] = { action, member_id, details_json };

	return (ctl_db_exec(db, "INSERT INTO audit_log (action, target, details) "
	    "VALUES ($1, 'member:' || $2, $3::jsonb || '{\"via\":\"orgoctl\"}')",
	    3, params, NULL));
}

/* Insert a member. On success, write its id to 'id_out'. */
static int
ctl_insert_member(PGconn *db, const struct member_args *a,
    const char *password, char *id_out, size_t id_len)
{
	PGresult	*res;
	const char	*params[6];
	char		 hash[PASSWORD_HASH_MAX], subject[32], *key;
	uint8_t		 raw[16];
	char		 error[256];
	int		 i, rc;

	if (email_valid(a->email, strlen(a->email), error, sizeof(error)) ==
	    -1) {
		fprintf(stderr, "orgoctl: --email: %s\n", error);
		return (-1);
	}
	if (a->name == NULL || a->name[0] == '\0' || strlen(a->name) > 200) {
		fprintf(stderr, "orgoctl: --name must be 1 to 200 "
		    "characters\n");
		return (-1);
	}
	if ((key = email_key(a->email, strlen(a->email))) == NULL)
		return (-1);
	if (password_hash(password, strlen(password), hash) == -1 ||
	    util_random(raw, sizeof(raw)) == -1) {
		free(key);
		fprintf(stderr, "orgoctl: cannot hash the password\n");
		return (-1);
	}
	util_b64url_encode(raw, sizeof(raw), subject);

	params[0] = subject;
	params[1] = a->email;
	params[2] = key;
	params[3] = a->verified ? "true" : "false";
	params[4] = a->name;
	params[5] = hash;
	rc = ctl_db_exec(db, "INSERT INTO members (subject, email, email_key, "
	    "email_verified, name, password_hash) VALUES ($1, $2, $3, $4, $5, "
	    "$6) ON CONFLICT (email_key) DO NOTHING RETURNING id", 6, params,
	    &res);
	free(key);
	util_wipe(hash, sizeof(hash));
	if (rc == -1)
		return (-1);
	if (PQntuples(res) != 1) {
		PQclear(res);
		fprintf(stderr, "orgoctl: a member with email '%s' already "
		    "exists\n", a->email);
		return (-1);
	}
	snprintf(id_out, id_len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	if (ctl_add_role(db, id_out, "MEMBER") == -1)
		return (-1);
	for (i = 0; i < a->role_count; i++) {
		if (ctl_add_role(db, id_out, a->roles[i]) == -1)
			return (-1);
	}
	for (i = 0; i < a->group_count; i++) {
		if (ctl_add_group(db, id_out, a->groups[i]) == -1)
			return (-1);
	}
	return (ctl_audit(db, "member_created", id_out, "{}"));
}

static void
ctl_print_created(const struct member_args *a, const char *id,
    const char *password, int generated)
{
	json_t	*out;
	char	*text;

	if (a->json) {
		out = json_pack("{s:s, s:s, s:s}", "id", id, "email", a->email,
		    "name", a->name);
		if (generated)
			json_object_set_new(out, "password",
			    json_string(password));
		text = json_dumps(out, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
		json_decref(out);
		return;
	}
	printf("created member %s <%s> (id %s)\n", a->name, a->email, id);
	if (generated)
		printf("password (shown once): %s\n", password);
}

static int
ctl_member_add(PGconn *db, int argc, char **argv)
{
	struct member_args	a;
	char			password[PASSWORD_MAX_LEN + 2], id[32];
	int			generated, ok;

	if (ctl_parse(argc, argv, &a) == -1)
		return (2);
	if (a.email == NULL || a.name == NULL) {
		fprintf(stderr, "usage: orgoctl member add --email E --name N "
		    "[--role R]... [--group G]... [--verified] "
		    "[--password-stdin] [--json]\n");
		return (2);
	}
	if (ctl_password(a.password_stdin, password, sizeof(password),
	    &generated) == -1)
		return (1);

	if (ctl_begin(db) == -1)
		return (1);
	ok = ctl_insert_member(db, &a, password, id, sizeof(id)) == 0;
	if (ctl_finish(db, ok) != 0) {
		util_wipe(password, sizeof(password));
		return (1);
	}
	ctl_print_created(&a, id, password, generated);
	util_wipe(password, sizeof(password));
	return (0);
}

static const char	ctl_list_sql[] =
    "SELECT m.id, m.subject, m.email, m.name, m.status, m.email_verified,"
    " COALESCE((SELECT json_agg(r.name ORDER BY r.name) FROM member_roles mr"
    " JOIN roles r ON r.id = mr.role_id WHERE mr.member_id = m.id), '[]'),"
    " COALESCE((SELECT json_agg(g.name ORDER BY g.name) FROM member_groups mg"
    " JOIN groups g ON g.id = mg.group_id WHERE mg.member_id = m.id), '[]')"
    " FROM members m ORDER BY m.id";

static int
ctl_member_list(PGconn *db, int argc, char **argv)
{
	struct member_args	 a;
	PGresult		*res;
	json_t			*list, *item;
	char			*text;
	int			 i;

	if (ctl_parse(argc, argv, &a) == -1)
		return (2);
	if (ctl_db_exec(db, ctl_list_sql, 0, NULL, &res) == -1)
		return (1);

	list = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		item = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:o, s:o}",
		    "id", (json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10),
		    "subject", PQgetvalue(res, i, 1),
		    "email", PQgetvalue(res, i, 2),
		    "name", PQgetvalue(res, i, 3),
		    "status", PQgetvalue(res, i, 4),
		    "email_verified", PQgetvalue(res, i, 5)[0] == 't',
		    "roles", json_loads(PQgetvalue(res, i, 6), 0, NULL),
		    "groups", json_loads(PQgetvalue(res, i, 7), 0, NULL));
		if (a.json) {
			json_array_append_new(list, item);
			continue;
		}
		printf("%-6s %-32s %-24s %-8s roles=%s groups=%s\n",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		    PQgetvalue(res, i, 6), PQgetvalue(res, i, 7));
		json_decref(item);
	}
	if (a.json) {
		text = json_dumps(list, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
	}
	json_decref(list);
	PQclear(res);
	return (0);
}

/* Find a member's id by email; prints an error when there is none. */
static int
ctl_member_id(PGconn *db, const char *email, char *id, size_t id_len)
{
	PGresult	*res;
	const char	*params[1];
	char		*key;

	if (email == NULL) {
		fprintf(stderr, "orgoctl: --email is required\n");
		return (-1);
	}
	if ((key = email_key(email, strlen(email))) == NULL) {
		fprintf(stderr, "orgoctl: --email is not valid UTF-8\n");
		return (-1);
	}
	params[0] = key;
	if (ctl_db_exec(db, "SELECT id FROM members WHERE email_key = $1", 1,
	    params, &res) == -1) {
		free(key);
		return (-1);
	}
	free(key);
	if (PQntuples(res) != 1) {
		PQclear(res);
		fprintf(stderr, "orgoctl: no member with email '%s'\n", email);
		return (-1);
	}
	snprintf(id, id_len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return (0);
}

static int
ctl_member_set_password(PGconn *db, int argc, char **argv)
{
	struct member_args	a;
	char			password[PASSWORD_MAX_LEN + 2], id[32];
	char			hash[PASSWORD_HASH_MAX];
	const char		*params[2];
	int			generated, ok;

	if (ctl_parse(argc, argv, &a) == -1)
		return (2);
	if (ctl_member_id(db, a.email, id, sizeof(id)) == -1)
		return (1);
	if (ctl_password(a.password_stdin, password, sizeof(password),
	    &generated) == -1)
		return (1);
	if (password_hash(password, strlen(password), hash) == -1) {
		util_wipe(password, sizeof(password));
		return (1);
	}

	params[0] = id;
	params[1] = hash;
	if (ctl_begin(db) == -1)
		return (1);
	/* A new password ends every session of the member. */
	ok = ctl_db_exec(db, "UPDATE members SET password_hash = $2, "
	    "updated_at = now() WHERE id = $1", 2, params, NULL) == 0 &&
	    ctl_db_exec(db, "DELETE FROM sessions WHERE member_id = $1", 1,
	    params, NULL) == 0 &&
	    ctl_audit(db, "member_password_set", id, "{}") == 0;
	util_wipe(hash, sizeof(hash));
	if (ctl_finish(db, ok) != 0) {
		util_wipe(password, sizeof(password));
		return (1);
	}
	if (a.json) {
		json_t	*out = json_pack("{s:s, s:s}", "id", id, "email",
		    a.email);
		char	*text;

		if (generated)
			json_object_set_new(out, "password",
			    json_string(password));
		text = json_dumps(out, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
		json_decref(out);
	} else {
		printf("password changed for %s\n", a.email);
		if (generated)
			printf("password (shown once): %s\n", password);
	}
	util_wipe(password, sizeof(password));
	return (0);
}

static int
ctl_member_status(PGconn *db, int argc, char **argv, const char *status)
{
	struct member_args	a;
	const char		*params[2];
	char			id[32];
	int			ok;

	if (ctl_parse(argc, argv, &a) == -1)
		return (2);
	if (ctl_member_id(db, a.email, id, sizeof(id)) == -1)
		return (1);

	params[0] = id;
	params[1] = status;
	if (ctl_begin(db) == -1)
		return (1);
	ok = ctl_db_exec(db, "UPDATE members SET status = $2, updated_at = now() "
	    "WHERE id = $1", 2, params, NULL) == 0 &&
	    (strcmp(status, "active") == 0 || ctl_db_exec(db, "DELETE FROM "
	    "sessions WHERE member_id = $1", 1, params, NULL) == 0) &&
	    ctl_audit(db, strcmp(status, "active") == 0 ? "member_enabled" :
	    "member_disabled", id, "{}") == 0;
	if (ctl_finish(db, ok) != 0)
		return (1);
	printf(a.json ? "{\"id\":\"%s\",\"status\":\"%s\"}\n" :
	    "member %s is now %s\n", a.json ? id : a.email, status);
	return (0);
}

/* add-role, remove-role, add-group, remove-group. */
static int
ctl_member_link(PGconn *db, int argc, char **argv, int add, int role)
{
	struct member_args	 a;
	const char		*params[2], *names[CTL_LIST_MAX];
	char			 id[32];
	int			 i, count, ok;

	if (ctl_parse(argc, argv, &a) == -1)
		return (2);
	count = role ? a.role_count : a.group_count;
	if (count == 0) {
		fprintf(stderr, "orgoctl: give at least one %s\n",
		    role ? "--role" : "--group");
		return (2);
	}
	if (ctl_member_id(db, a.email, id, sizeof(id)) == -1)
		return (1);
	for (i = 0; i < count; i++)
		names[i] = role ? a.roles[i] : a.groups[i];

	if (ctl_begin(db) == -1)
		return (1);
	ok = 1;
	for (i = 0; ok && i < count; i++) {
		params[0] = id;
		params[1] = names[i];
		if (add && role)
			ok = ctl_add_role(db, id, names[i]) == 0;
		else if (add)
			ok = ctl_add_group(db, id, names[i]) == 0;
		else if (role)
			ok = ctl_db_exec(db, "DELETE FROM member_roles WHERE "
			    "member_id = $1 AND role_id = (SELECT id FROM roles "
			    "WHERE name = $2)", 2, params, NULL) == 0;
		else
			ok = ctl_db_exec(db, "DELETE FROM member_groups WHERE "
			    "member_id = $1 AND group_id = (SELECT id FROM "
			    "groups WHERE name = $2)", 2, params, NULL) == 0;
	}
	if (ok) {
		json_t	*details = json_pack("{s:s}", role ? "role" : "group",
		    names[0]);
		char	*text = json_dumps(details, JSON_COMPACT);

		ok = ctl_audit(db, add ? (role ? "member_role_added" :
		    "member_group_added") : (role ? "member_role_removed" :
		    "member_group_removed"), id, text) == 0;
		free(text);
		json_decref(details);
	}
	if (ctl_finish(db, ok) != 0)
		return (1);
	printf("updated %s\n", a.email);
	return (0);
}

int
ctl_member(PGconn *db, int argc, char **argv)
{
	const char	*verb;

	if (argc < 2) {
		fprintf(stderr, "usage: orgoctl member add|list|set-password|"
		    "disable|enable|add-role|remove-role|add-group|remove-group"
		    " [options]\n");
		return (2);
	}
	verb = argv[1];
	argc--;
	argv++;

	if (strcmp(verb, "add") == 0)
		return (ctl_member_add(db, argc, argv));
	if (strcmp(verb, "list") == 0)
		return (ctl_member_list(db, argc, argv));
	if (strcmp(verb, "set-password") == 0)
		return (ctl_member_set_password(db, argc, argv));
	if (strcmp(verb, "disable") == 0)
		return (ctl_member_status(db, argc, argv, "disabled"));
	if (strcmp(verb, "enable") == 0)
		return (ctl_member_status(db, argc, argv, "active"));
	if (strcmp(verb, "add-role") == 0)
		return (ctl_member_link(db, argc, argv, 1, 1));
	if (strcmp(verb, "remove-role") == 0)
		return (ctl_member_link(db, argc, argv, 0, 1));
	if (strcmp(verb, "add-group") == 0)
		return (ctl_member_link(db, argc, argv, 1, 0));
	if (strcmp(verb, "remove-group") == 0)
		return (ctl_member_link(db, argc, argv, 0, 0));

	fprintf(stderr, "orgoctl: unknown member command '%s'\n", verb);
	return (2);
}

/*
 * Create the first administrator when there is no member yet, and print
 * the generated password once. Does nothing on later runs.
 */
int
ctl_bootstrap_admin(PGconn *db, int argc, char **argv)
{
	struct member_args	 a;
	PGresult		*res;
	char			 password[PASSWORD_MAX_LEN + 2], id[32];
	int			 generated, ok, empty;

	if (ctl_parse(argc, argv, &a) == -1)
		return (2);
	if (a.email == NULL)
		a.email = "admin@orgo.test";
	if (a.name == NULL)
		a.name = "Administrator";

	if (ctl_begin(db) == -1)
		return (1);
	/* Serialise concurrent starts: one of them creates the admin. */
	if (ctl_db_exec(db, "LOCK TABLE members IN SHARE ROW EXCLUSIVE MODE", 0,
	    NULL, NULL) == -1 || ctl_db_exec(db, "SELECT NOT EXISTS (SELECT 1 "
	    "FROM members)", 0, NULL, &res) == -1) {
		(void)ctl_finish(db, 0);
		return (1);
	}
	empty = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!empty) {
		(void)ctl_finish(db, 1);
		return (0);
	}

	a.roles[a.role_count++] = "ADMIN_TENANT";
	a.verified = 1;
	if (ctl_password(0, password, sizeof(password), &generated) == -1) {
		(void)ctl_finish(db, 0);
		return (1);
	}
	ok = ctl_insert_member(db, &a, password, id, sizeof(id)) == 0;
	if (ctl_finish(db, ok) != 0)
		return (1);

	printf("first administrator created\n"
	    "  email:    %s\n"
	    "  password: %s   (shown once: store it now)\n", a.email, password);
	util_wipe(password, sizeof(password));
	return (0);
}
