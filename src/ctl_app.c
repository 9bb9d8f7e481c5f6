/*
 * OAuth applications from the command line, with the same validation and
 * messages as the admin pages (client_form.c) and the same audit records.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_form.h"
#include "ctl_app.h"
#include "scopes.h"
#include "ctl_db.h"
#include "util.h"

#define CTL_APP_LIST_MAX	20

struct app_args {
	const char	*name;
	const char	*description;
	const char	*redirects[CTL_APP_LIST_MAX];
	size_t		 redirect_count;
	int		 too_many_redirects;
	const char	*logouts[CTL_APP_LIST_MAX];
	size_t		 logout_count;
	const char	*scopes[8];
	size_t		 scope_count;
	const char	*client_id;
	int		 is_public;
	int		 device_grant;		/* --grant device_code */
	int		 help;
	int		 json;
};

static int
app_parse(int argc, char **argv, struct app_args *a, int want_id)
{
	static const struct option	options[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "description", required_argument, NULL, 'd' },
		{ "redirect-uri", required_argument, NULL, 'r' },
		{ "post-logout-redirect-uri", required_argument, NULL, 'l' },
		{ "scope", required_argument, NULL, 's' },
		{ "public", no_argument, NULL, 'p' },
		{ "grant", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int				c;

	memset(a, 0, sizeof(*a));
	a->description = "";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			a->name = optarg;
			break;
		case 'd':
			a->description = optarg;
			break;
		case 'r':
			/* app_add reports this with the other field errors. */
			if (a->redirect_count == CTL_APP_LIST_MAX) {
				a->too_many_redirects = 1;
				break;
			}
			a->redirects[a->redirect_count++] = optarg;
			break;
		case 'l':
			if (a->logout_count == CTL_APP_LIST_MAX) {
				fprintf(stderr, "orgoctl: at most %d post-logout "
				    "redirect URIs are allowed\n",
				    CTL_APP_LIST_MAX);
				return (-1);
			}
			a->logouts[a->logout_count++] = optarg;
			break;
		case 's':
			if (a->scope_count == 8) {
				fprintf(stderr, "orgoctl: too many --scope\n");
				return (-1);
			}
			a->scopes[a->scope_count++] = optarg;
			break;
		case 'p':
			a->is_public = 1;
			break;
		case 'g':
			if (strcmp(optarg, "device_code") != 0) {
				fprintf(stderr, "orgoctl: --grant: unknown "
				    "grant '%s': device_code is the only "
				    "grant to add (authorization_code is "
				    "always allowed)\n", optarg);
				return (-1);
			}
			a->device_grant = 1;
			break;
		case 'h':
			a->help = 1;
			break;
		case 'j':
			a->json = 1;
			break;
		default:
			return (-1);
		}
	}
	if (want_id) {
		if (optind + 1 != argc) {
			fprintf(stderr, "orgoctl: give one client_id\n");
			return (-1);
		}
		a->client_id = argv[optind];
	} else if (optind != argc) {
		fprintf(stderr, "orgoctl: unexpected argument '%s'\n",
		    argv[optind]);
		return (-1);
	}
	return (0);
}

static void
app_print_json(json_t *value)
{
	char	*text;

	text = json_dumps(value, JSON_COMPACT);
	printf("%s\n", text);
	free(text);
	json_decref(value);
}

/* Print each field error of 'in' the way the form shows them. */
static void
app_print_errors(const struct client_input *in)
{
	if (in->name_error[0])
		fprintf(stderr, "orgoctl: --name: %s\n", in->name_error);
	if (in->description_error[0])
		fprintf(stderr, "orgoctl: --description: %s\n",
		    in->description_error);
	if (in->redirect_error[0])
		fprintf(stderr, "orgoctl: --redirect-uri: %s\n",
		    in->redirect_error);
	if (in->logout_error[0])
		fprintf(stderr, "orgoctl: --post-logout-redirect-uri: %s\n",
		    in->logout_error);
	if (in->scopes_error[0])
		fprintf(stderr, "orgoctl: --scope: %s\n", in->scopes_error);
	if (in->type_error[0])
		fprintf(stderr, "orgoctl: %s\n", in->type_error);
}

/* Printed by app add --help, and on stderr when --name is missing. */
static const char	app_add_usage[] =
    "usage: orgoctl app add --name N [--redirect-uri U]..."
    " [--scope S]... [--public] [--grant device_code]"
    " [--post-logout-redirect-uri U]... [--description D] [--json]\n"
    "\n"
    "  --name N                 name members see, 1 to 100 characters\n"
    "  --redirect-uri U         where codes are sent, up to 20, compared\n"
    "                           character for character: https, http only\n"
    "                           on 127.0.0.1, [::1] or localhost, or a\n"
    "                           private-use scheme such as\n"
    "                           com.example.app:/callback. On 127.0.0.1 and\n"
    "                           [::1] any port matches, for desktop and\n"
    "                           command-line apps: register\n"
    "                           http://127.0.0.1/callback and the app may\n"
    "                           use http://127.0.0.1:PORT/callback. Path and\n"
    "                           query must match; localhost gets no such\n"
    "                           exception. A public app needs one unless\n"
    "                           it has --grant device_code.\n"
    "  --scope S                profile, email, groups or roles (openid is\n"
    "                           always allowed); repeat for several\n"
    "  --public                 no client secret, PKCE required: for\n"
    "                           single-page, mobile and desktop apps\n"
    "  --grant device_code      allow the device flow (RFC 8628) for apps\n"
    "                           without a browser; members enter the code\n"
    "                           at /device\n"
    "  --post-logout-redirect-uri U\n"
    "                           where /oauth/logout may send members, same\n"
    "                           rules as --redirect-uri, up to 20\n"
    "  --description D          text for administrators, up to 1000\n"
    "                           characters\n"
    "  --json                   print the result as JSON\n";

static const char	app_insert_sql[] =
    "WITH app AS (INSERT INTO clients (client_id, name, description,"
    " client_type, secret_hash, redirect_uris, allowed_scopes,"
    " post_logout_redirect_uris, allowed_device_grant) VALUES ($1, $2, $3,"
    " $4, $5, string_to_array($6, E'\\n'), $7, string_to_array($8,"
    " E'\\n'), $9) RETURNING client_id, name, client_type, redirect_uris,"
    " allowed_scopes, allowed_device_grant)"
    " INSERT INTO audit_log (action, target, details)"
    " SELECT 'client_created', 'client:' || client_id,"
    " jsonb_strip_nulls(jsonb_build_object('name', name, 'client_type',"
    " client_type, 'redirect_uris', to_jsonb(redirect_uris),"
    " 'allowed_scopes', allowed_scopes, 'allowed_device_grant', CASE WHEN"
    " allowed_device_grant THEN true END, 'via', 'orgoctl')) FROM app"
    " RETURNING id";

static int
app_add(PGconn *db, int argc, char **argv)
{
	struct app_args		a;
	struct client_input	in;
	const char		*params[9];
	char			*text, *logout_text, *joined, *logout;
	char			 client_id[32], secret[UTIL_TOKEN_LEN + 1];
	char			hash[65], scopes[SCOPES_FORMAT_MAX];
	json_t			*out;
	int			rc;

	if (app_parse(argc, argv, &a, 0) == -1)
		return (2);
	if (a.help) {
		fputs(app_add_usage, stdout);
		return (0);
	}
	if (a.name == NULL) {
		fputs(app_add_usage, stderr);
		return (2);
	}
	if ((text = client_redirects_join((char *const *)a.redirects,
	    a.redirect_count)) == NULL)
		return (1);
	if ((logout_text = client_redirects_join((char *const *)a.logouts,
	    a.logout_count)) == NULL) {
		free(text);
		return (1);
	}
	rc = client_input_check(&in, a.name, a.description, text, logout_text,
	    a.scopes, a.scope_count, a.is_public ? "public" : "confidential",
	    a.device_grant);
	free(text);
	free(logout_text);
	/* The same message client_form.c gives for more than 20 lines. */
	if (a.too_many_redirects && in.redirect_error[0] == '\0') {
		snprintf(in.redirect_error, sizeof(in.redirect_error),
		    "at most %d redirect URIs are allowed",
		    CLIENT_REDIRECT_URIS_MAX);
		rc = -1;
	}
	if (rc == -1) {
		app_print_errors(&in);
		client_input_free(&in);
		return (1);
	}

	if (client_id_new(client_id) == -1 || util_token_new(secret) == -1) {
		client_input_free(&in);
		return (1);
	}
	util_sha256_hex(secret, UTIL_TOKEN_LEN, hash);
	(void)scopes_format(in.scopes, scopes, sizeof(scopes));
	joined = client_redirects_join(in.redirect_uris, in.redirect_count);
	logout = client_redirects_join(in.logout_uris, in.logout_count);

	params[0] = client_id;
	params[1] = in.name;
	params[2] = in.description;
	params[3] = in.is_public ? "public" : "confidential";
	params[4] = in.is_public ? NULL : hash;
	params[5] = joined;
	params[6] = scopes;
	params[7] = logout;
	params[8] = a.device_grant ? "true" : "false";
	rc = ctl_db_exec(db, app_insert_sql, 9, params, NULL);
	free(joined);
	free(logout);
	if (rc == -1) {
		client_input_free(&in);
		util_wipe(secret, sizeof(secret));
		return (1);
	}

	if (a.json) {
		out = json_pack("{s:s, s:s, s:s, s:s}", "client_id", client_id,
		    "name", in.name, "client_type", params[3],
		    "allowed_scopes", scopes);
		if (!in.is_public)
			json_object_set_new(out, "client_secret",
			    json_string(secret));
		app_print_json(out);
	} else {
		printf("created application %s\nclient_id:     %s\n", in.name,
		    client_id);
		if (!in.is_public)
			printf("client_secret: %s   (shown once: store it "
			    "now)\n", secret);
	}
	util_wipe(secret, sizeof(secret));
	client_input_free(&in);
	return (0);
}

static const char	app_list_sql[] =
    "SELECT client_id, name, client_type, array_to_json(redirect_uris),"
    " allowed_scopes, description, to_char(created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), COALESCE(to_char(last_used_at AT"
    " TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
    " allowed_device_grant FROM clients"
    " WHERE $1::text IS NULL OR client_id = $1"
    " ORDER BY created_at, id";

static json_t *
app_row_json(PGresult *res, int i)
{
	return (json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s?, s:b}",
	    "client_id", PQgetvalue(res, i, 0),
	    "name", PQgetvalue(res, i, 1),
	    "client_type", PQgetvalue(res, i, 2),
	    "redirect_uris", json_loads(PQgetvalue(res, i, 3), 0, NULL),
	    "allowed_scopes", PQgetvalue(res, i, 4),
	    "description", PQgetvalue(res, i, 5),
	    "created_at", PQgetvalue(res, i, 6),
	    "last_used_at", PQgetvalue(res, i, 7)[0] ?
	    PQgetvalue(res, i, 7) : NULL,
	    "allowed_device_grant", PQgetvalue(res, i, 8)[0] == 't'));
}

static int
app_list(PGconn *db, int argc, char **argv, int show)
{
	struct app_args	 a;
	PGresult	*res;
	const char	*params[1];
	json_t		*list;
	int		 i;

	if (app_parse(argc, argv, &a, show) == -1)
		return (2);
	params[0] = a.client_id;
	if (ctl_db_exec(db, app_list_sql, 1, params, &res) == -1)
		return (1);
	if (show && PQntuples(res) != 1) {
		fprintf(stderr, "orgoctl: no application with client_id "
		    "'%s'\n", a.client_id);
		PQclear(res);
		return (1);
	}

	if (a.json) {
		if (show) {
			app_print_json(app_row_json(res, 0));
		} else {
			list = json_array();
			for (i = 0; i < PQntuples(res); i++)
				json_array_append_new(list,
				    app_row_json(res, i));
			app_print_json(list);
		}
	} else {
		/* On stderr, so stdout stays one line per application. */
		if (PQntuples(res) == 0)
			fprintf(stderr, "orgoctl: no applications registered\n");
		for (i = 0; i < PQntuples(res); i++) {
			printf("%-24s %-13s %-30s scopes=%s redirect_uris=%s\n",
			    PQgetvalue(res, i, 0), PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 4),
			    PQgetvalue(res, i, 3));
		}
	}
	PQclear(res);
	return (0);
}

static int
app_rotate(PGconn *db, int argc, char **argv)
{
	struct app_args	 a;
	PGresult	*res;
	const char	*params[2];
	char		 secret[UTIL_TOKEN_LEN + 1], hash[65];
	int		 found;

	if (app_parse(argc, argv, &a, 1) == -1)
		return (2);
	if (util_token_new(secret) == -1)
		return (1);
	util_sha256_hex(secret, UTIL_TOKEN_LEN, hash);
	params[0] = a.client_id;
	params[1] = hash;
	if (ctl_db_exec(db, "WITH app AS (UPDATE clients SET secret_hash = $2,"
	    " secret_rotated_at = now(), updated_at = now() WHERE client_id ="
	    " $1 AND client_type = 'confidential' RETURNING client_id),"
	    " audit AS (INSERT INTO audit_log (action, target, details)"
	    " SELECT 'client_secret_rotated', 'client:' || client_id,"
	    " '{\"via\":\"orgoctl\"}' FROM app) SELECT client_id FROM app",
	    2, params, &res) == -1) {
		util_wipe(secret, sizeof(secret));
		return (1);
	}
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found) {
		fprintf(stderr, "orgoctl: no confidential application with "
		    "client_id '%s'\n", a.client_id);
		util_wipe(secret, sizeof(secret));
		return (1);
	}
	if (a.json)
		app_print_json(json_pack("{s:s, s:s}", "client_id",
		    a.client_id, "client_secret", secret));
	else
		printf("client_secret: %s   (shown once: store it now)\n",
		    secret);
	util_wipe(secret, sizeof(secret));
	return (0);
}

static int
app_delete(PGconn *db, int argc, char **argv)
{
	struct app_args	 a;
	PGresult	*res;
	const char	*params[1];
	int		 found;

	if (app_parse(argc, argv, &a, 1) == -1)
		return (2);
	params[0] = a.client_id;
	if (ctl_db_exec(db, "WITH app AS (DELETE FROM clients WHERE client_id ="
	    " $1 RETURNING client_id, name), audit AS (INSERT INTO audit_log"
	    " (action, target, details) SELECT 'client_deleted', 'client:' ||"
	    " client_id, jsonb_build_object('name', name, 'via', 'orgoctl')"
	    " FROM app) SELECT client_id FROM app", 1, params, &res) == -1)
		return (1);
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found) {
		fprintf(stderr, "orgoctl: no application with client_id "
		    "'%s'\n", a.client_id);
		return (1);
	}
	printf("deleted application %s\n", a.client_id);
	return (0);
}

int
ctl_app(PGconn *db, int argc, char **argv)
{
	const char	*verb;

	if (argc < 2) {
		fprintf(stderr, "usage: orgoctl app add|list|show|rotate-secret|"
		    "delete [options]\n");
		return (2);
	}
	verb = argv[1];
	argc--;
	argv++;

	if (strcmp(verb, "add") == 0)
		return (app_add(db, argc, argv));
	if (strcmp(verb, "list") == 0)
		return (app_list(db, argc, argv, 0));
	if (strcmp(verb, "show") == 0)
		return (app_list(db, argc, argv, 1));
	if (strcmp(verb, "rotate-secret") == 0)
		return (app_rotate(db, argc, argv));
	if (strcmp(verb, "delete") == 0)
		return (app_delete(db, argc, argv));

	fprintf(stderr, "orgoctl: unknown app command '%s'\n", verb);
	return (2);
}
