/*
 * Settings → Developers → OAuth Applications: list, create, edit, rotate
 * the secret, delete. Administrators only (role ADMIN_TENANT). Every change
 * is one SQL statement that also writes its audit record, so a change and
 * its record commit together. Secrets are shown once and stored as
 * SHA-256 hashes.
 */
#include <string.h>

#include "client_form.h"
#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "orgo.h"
#include "page.h"
#include "scopes.h"

#define APPS_BASE		"/settings/developers/oauth-applications"
#define APPS_CLIENT_ID_MAX	64
#define APPS_SCOPES_MAX		8

struct apps_ctx {
	struct urlform		 form;
	int			 form_loaded;
	char			 client_id[APPS_CLIENT_ID_MAX + 1];
	char			 address[64];

	/* Submitted values, kept to show the form again. */
	const char		*name;
	const char		*description;
	const char		*redirect_text;
	const char		*logout_text;
	const char		*type;
	const char		*scope_names[APPS_SCOPES_MAX];
	size_t			 scope_count;
	int			 device_grant;	/* the checkbox */
	struct client_input	 input;

	/* The stored application, when one is loaded. */
	char			*stored_type;
	char			 secret[UTIL_TOKEN_LEN + 1];
	int			 new_secret;
};

int	developers_get(struct http_request *);
int	apps_list(struct http_request *);
int	apps_new(struct http_request *);
int	apps_detail(struct http_request *);
int	apps_rotate(struct http_request *);
int	apps_delete(struct http_request *);

static void
apps_ctx_free(void *arg)
{
	struct apps_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	client_input_free(&ctx->input);
	kore_free(ctx->stored_type);
	util_wipe(ctx->secret, sizeof(ctx->secret));
}

static int
apps_run(struct http_request *req, const flow_step *steps, size_t count)
{
	return (flow_run(req, steps, count, sizeof(struct apps_ctx),
	    apps_ctx_free, FLOW_HTML));
}

static void
apps_send(struct http_request *req, struct flow *f, int status,
    const char *title, const char *template, const struct template_var *vars,
    size_t count)
{
	page_send_template(req, status, title, template, vars, count,
	    &f->session);
}

/*
 * Read the client_id out of APPS_BASE/<client_id>[suffix]. Kore's route
 * regex already limited it to [A-Za-z0-9_-].
 */
static int
apps_path_client_id(struct http_request *req, const char *suffix,
    char *out, size_t out_len)
{
	const char	*start;
	size_t		 len, suffix_len;

	start = req->path + strlen(APPS_BASE "/");
	len = strlen(start);
	suffix_len = strlen(suffix);
	if (len <= suffix_len || strcmp(start + len - suffix_len, suffix) != 0)
		return (-1);
	len -= suffix_len;
	if (len >= out_len)
		return (-1);
	memcpy(out, start, len);
	out[len] = '\0';
	return (0);
}

static enum flow_result
apps_not_found(struct http_request *req, struct flow *f)
{
	page_error(req, HTTP_STATUS_NOT_FOUND, "Application not found",
	    "There is no OAuth application with this client ID. It may have "
	    "been deleted.", &f->session);
	return (FLOW_DONE);
}

/* Read the posted form and check its CSRF token; renders 400/403. */
static int
apps_read_post(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	const char	*csrf;
	char		 error[FORM_ERROR_MAX];

	if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (-1);
	}
	ctx->form_loaded = 1;

	if (form_field(&ctx->form, "csrf_token", UTIL_TOKEN_LEN, 1, &csrf,
	    error, sizeof(error)) == -1 ||
	    !session_csrf_valid(req, &f->session, csrf)) {
		kore_log(LOG_NOTICE, "apps: member %lld: rejected post without "
		    "a valid CSRF token or origin", f->session.member_id);
		page_error(req, HTTP_STATUS_FORBIDDEN, "Request rejected",
		    "The form expired or did not come from this site. Go back, "
		    "reload the page and try again.", &f->session);
		return (-1);
	}
	http_util_client_address(req, ctx->address, sizeof(ctx->address));
	return (0);
}

/* Collect the application fields of the posted form into ctx. */
static int
apps_read_fields(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	const char	*device;
	char		 error[FORM_ERROR_MAX];
	size_t		 i;

	if (form_field(&ctx->form, "name", 400, 0, &ctx->name, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "description", 4000, 0, &ctx->description,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "redirect_uris", 44000, 0,
	    &ctx->redirect_text, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "post_logout_redirect_uris", 44000, 0,
	    &ctx->logout_text, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "client_type", 16, 0, &ctx->type, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "device_grant", 8, 0, &device, error,
	    sizeof(error)) == -1) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (-1);
	}
	ctx->device_grant = device[0] != '\0';

	/* Checkboxes send "scope" once per ticked box. */
	for (i = 0; i < ctx->form.count; i++) {
		if (strcmp(ctx->form.params[i].name, "scope") != 0)
			continue;
		if (ctx->scope_count == APPS_SCOPES_MAX) {
			page_error(req, HTTP_STATUS_BAD_REQUEST,
			    "Invalid request", "too many scope values",
			    &f->session);
			return (-1);
		}
		ctx->scope_names[ctx->scope_count++] =
		    ctx->form.params[i].value;
	}
	return (0);
}

static int
apps_scope_ticked(const struct apps_ctx *ctx, const char *name)
{
	size_t	i;

	for (i = 0; i < ctx->scope_count; i++) {
		if (strcmp(ctx->scope_names[i], name) == 0)
			return (1);
	}
	return (0);
}

/* Show the create or edit form with the submitted values and errors. */
static void
apps_render_form(struct http_request *req, struct flow *f, int status,
    int editing, const char *notice, const char *extra)
{
	struct apps_ctx		*ctx = f->ctx;
	char			 action[160];
	const char		*type;
	int			 failed;

	failed = ctx->input.name_error[0] || ctx->input.description_error[0] ||
	    ctx->input.redirect_error[0] || ctx->input.logout_error[0] ||
	    ctx->input.scopes_error[0] || ctx->input.type_error[0];
	type = ctx->type != NULL ? ctx->type : "confidential";
	if (editing)
		snprintf(action, sizeof(action), APPS_BASE "/%s",
		    ctx->client_id);
	else
		snprintf(action, sizeof(action), APPS_BASE "/new");

	struct template_var	vars[] = {
		{ "heading", editing ? ctx->name : "Create Application" },
		{ "notice", notice },
		{ "notice_class", notice ? "" : "hidden" },
		{ "error_class", failed ? "" : "hidden" },
		{ "action", action },
		{ "csrf", f->session.csrf },
		{ "name", ctx->name },
		{ "name_error", ctx->input.name_error },
		{ "description", ctx->description },
		{ "description_error", ctx->input.description_error },
		{ "redirect_uris", ctx->redirect_text },
		{ "redirect_error", ctx->input.redirect_error },
		{ "post_logout_redirect_uris", ctx->logout_text },
		{ "logout_error", ctx->input.logout_error },
		{ "profile_checked", apps_scope_ticked(ctx, "profile") ?
		    "checked" : "" },
		{ "email_checked", apps_scope_ticked(ctx, "email") ?
		    "checked" : "" },
		{ "groups_checked", apps_scope_ticked(ctx, "groups") ?
		    "checked" : "" },
		{ "roles_checked", apps_scope_ticked(ctx, "roles") ?
		    "checked" : "" },
		{ "scopes_error", ctx->input.scopes_error },
		{ "confidential_checked", strcmp(type, "public") != 0 ?
		    "checked" : "" },
		{ "public_checked", strcmp(type, "public") == 0 ?
		    "checked" : "" },
		{ "type_error", ctx->input.type_error },
		{ "device_checked", ctx->device_grant ? "checked" : "" },
		{ "submit", editing ? "Save changes" : "Create Application" },
		{ "extra", extra },
	};

	apps_send(req, f, status, editing ? "Edit application" :
	    "Create Application", "app_form.html", vars, ORGO_NITEMS(vars));
}

/*
 * Append the client secret block of app_secret.html to 'out'. Public apps
 * get no block at all, so their page has no empty #client-secret.
 */
static int
apps_secret_section(struct html_buf *out, const char *secret)
{
	static const char	head[] = "<div>\n"
	    "    <p>Client secret</p>\n"
	    "    <div class=\"copy-row\"><code id=\"client-secret\">";
	static const char	tail[] = "</code>\n"
	    "      <button type=\"button\" data-copy=\"client-secret\">Copy"
	    "</button></div>\n"
	    "    <div class=\"warning\" role=\"alert\"><strong>Copy the secret "
	    "now.</strong> It is shown only\n"
	    "      once: Orgo stores only a hash of it. If it is lost, rotate "
	    "the secret.</div>\n"
	    "  </div>";

	if (html_buf_append(out, head, sizeof(head) - 1) == -1 ||
	    html_buf_append_escaped(out, secret, strlen(secret)) == -1)
		return (-1);
	return (html_buf_append(out, tail, sizeof(tail) - 1));
}

/* Show a client_id and, when there is one, a secret exactly once. */
static void
apps_render_secret(struct http_request *req, struct flow *f,
    const char *heading, const char *lead)
{
	struct apps_ctx		*ctx = f->ctx;
	struct html_buf		 section;

	memset(&section, 0, sizeof(section));
	if (ctx->new_secret && apps_secret_section(&section,
	    ctx->secret) == -1) {
		util_wipe(section.data, section.len);
		html_buf_free(&section);
		util_wipe(ctx->secret, sizeof(ctx->secret));
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}

	struct template_var	 vars[] = {
		{ "heading", heading },
		{ "lead", lead },
		{ "client_id", ctx->client_id },
		{ "secret_section", section.data },
	};

	apps_send(req, f, HTTP_STATUS_OK, heading, "app_secret.html", vars,
	    ORGO_NITEMS(vars));
	util_wipe(section.data, section.len);
	html_buf_free(&section);
	util_wipe(ctx->secret, sizeof(ctx->secret));
}

/* Make a new secret in ctx->secret; returns its SHA-256 in 'hash'. */
static int
apps_new_secret(struct apps_ctx *ctx, char hash[65])
{
	if (util_token_new(ctx->secret) == -1)
		return (-1);
	util_sha256_hex(ctx->secret, UTIL_TOKEN_LEN, hash);
	ctx->new_secret = 1;
	return (0);
}

/* ---- Developers page ------------------------------------------------ */

static enum flow_result
developers_show(struct http_request *req, struct flow *f)
{
	apps_send(req, f, HTTP_STATUS_OK, "Developers", "developers.html",
	    NULL, 0);
	return (FLOW_DONE);
}

static const flow_step	developers_steps[] = {
	SESSION_STEPS, session_step_require_admin, developers_show,
};

int
developers_get(struct http_request *req)
{
	return (apps_run(req, developers_steps,
	    ORGO_NITEMS(developers_steps)));
}

/* ---- List ------------------------------------------------------------ */

static const char	apps_list_sql[] =
    "SELECT client_id, name, client_type, cardinality(redirect_uris),"
    " allowed_scopes, to_char(created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD HH24:MI \"UTC\"'), COALESCE(to_char(last_used_at AT TIME"
    " ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), 'never')"
    " FROM clients ORDER BY created_at DESC, id DESC LIMIT 500";

static enum flow_result
apps_list_query(struct http_request *req, struct flow *f)
{
	return (flow_query(req, f, apps_list_sql, 0, NULL));
}

static int
apps_list_cell(struct html_buf *rows, const char *class, const char *value)
{
	if (html_buf_append(rows, "<td", 3) == -1)
		return (-1);
	if (class != NULL && (html_buf_append(rows, " class=\"", 8) == -1 ||
	    html_buf_append(rows, class, strlen(class)) == -1 ||
	    html_buf_append(rows, "\"", 1) == -1))
		return (-1);
	if (html_buf_append(rows, ">", 1) == -1 ||
	    html_buf_append_escaped(rows, value, strlen(value)) == -1)
		return (-1);
	return (html_buf_append(rows, "</td>", 5));
}

static enum flow_result
apps_list_show(struct http_request *req, struct flow *f)
{
	struct html_buf		 rows;
	const char		*client_id, *notice;
	int			 i, count, ok;

	memset(&rows, 0, sizeof(rows));
	count = flow_rows(f);
	ok = 0;
	for (i = 0; i < count; i++) {
		client_id = flow_value(f, i, 0);
		ok = html_buf_append(&rows, "<tr><td><a href=\"" APPS_BASE "/",
		    strlen("<tr><td><a href=\"" APPS_BASE "/")) == 0 &&
		    html_buf_append_escaped(&rows, client_id,
		    strlen(client_id)) == 0 &&
		    html_buf_append(&rows, "\">", 2) == 0 &&
		    html_buf_append_escaped(&rows, flow_value(f, i, 1),
		    strlen(flow_value(f, i, 1))) == 0 &&
		    html_buf_append(&rows, "</a></td>", 9) == 0 &&
		    apps_list_cell(&rows, NULL, flow_value(f, i, 2)) == 0 &&
		    apps_list_cell(&rows, "mono", client_id) == 0 &&
		    apps_list_cell(&rows, "optional", flow_value(f, i, 3)) == 0 &&
		    apps_list_cell(&rows, "optional", flow_value(f, i, 4)) == 0 &&
		    apps_list_cell(&rows, "optional", flow_value(f, i, 5)) == 0 &&
		    apps_list_cell(&rows, "optional", flow_value(f, i, 6)) == 0 &&
		    html_buf_append(&rows, "</tr>\n", 6) == 0;
		if (!ok)
			break;
	}
	if (count > 0 && !ok) {
		html_buf_free(&rows);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return (FLOW_DONE);
	}

	notice = NULL;
	if (req->query_string != NULL &&
	    strcmp(req->query_string, "deleted=1") == 0)
		notice = "The application was deleted.";

	struct template_var	vars[] = {
		{ "notice", notice },
		{ "notice_class", notice ? "" : "hidden" },
		{ "empty_class", count == 0 ? "" : "hidden" },
		{ "table_class", count == 0 ? "hidden" : "" },
		{ "rows", rows.data },
	};
	apps_send(req, f, HTTP_STATUS_OK, "OAuth Applications",
	    "apps_list.html", vars, ORGO_NITEMS(vars));
	html_buf_free(&rows);
	return (FLOW_DONE);
}

static const flow_step	apps_list_steps[] = {
	SESSION_STEPS, session_step_require_admin, apps_list_query,
	apps_list_show,
};

int
apps_list(struct http_request *req)
{
	return (apps_run(req, apps_list_steps, ORGO_NITEMS(apps_list_steps)));
}

/* ---- Create ---------------------------------------------------------- */

static const char	apps_insert_sql[] =
    "WITH app AS (INSERT INTO clients (client_id, name, description,"
    " client_type, secret_hash, redirect_uris, allowed_scopes, created_by,"
    " post_logout_redirect_uris, allowed_device_grant) VALUES ($1, $2, $3,"
    " $4, $5, string_to_array($6, E'\\n'), $7, $8, string_to_array($10,"
    " E'\\n'), $11) RETURNING client_id, name, client_type, redirect_uris,"
    " allowed_scopes, allowed_device_grant)"
    " INSERT INTO audit_log (actor_member_id, action, target, address,"
    " details) SELECT $8, 'client_created', 'client:' || client_id, $9,"
    " jsonb_strip_nulls(jsonb_build_object('name', name, 'client_type',"
    " client_type, 'redirect_uris', to_jsonb(redirect_uris),"
    " 'allowed_scopes', allowed_scopes, 'allowed_device_grant', CASE WHEN"
    " allowed_device_grant THEN true END)) FROM app RETURNING id";

static enum flow_result
apps_new_form(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;

	if (req->method == HTTP_METHOD_GET) {
		ctx->name = "";
		ctx->description = "";
		ctx->redirect_text = "";
		ctx->logout_text = "";
		ctx->type = "confidential";
		apps_render_form(req, f, HTTP_STATUS_OK, 0, NULL, NULL);
		return (FLOW_DONE);
	}
	return (FLOW_NEXT);
}

static enum flow_result
apps_new_create(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	const char	*params[11];
	char		 hash[65], scopes[SCOPES_FORMAT_MAX], member[32];
	char		*joined, *logout;
	enum flow_result r;

	if (apps_read_post(req, f) == -1 || apps_read_fields(req, f) == -1)
		return (FLOW_DONE);

	if (client_input_check(&ctx->input, ctx->name, ctx->description,
	    ctx->redirect_text, ctx->logout_text, ctx->scope_names,
	    ctx->scope_count, ctx->type, ctx->device_grant) == -1) {
		apps_render_form(req, f, HTTP_STATUS_BAD_REQUEST, 0, NULL,
		    NULL);
		return (FLOW_DONE);
	}

	if (client_id_new(ctx->client_id) == -1)
		return (FLOW_DB_ERROR);
	if (!ctx->input.is_public && apps_new_secret(ctx, hash) == -1)
		return (FLOW_DB_ERROR);
	(void)scopes_format(ctx->input.scopes, scopes, sizeof(scopes));
	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	if ((joined = client_redirects_join(ctx->input.redirect_uris,
	    ctx->input.redirect_count)) == NULL)
		return (FLOW_DB_ERROR);

	params[0] = ctx->client_id;
	params[1] = ctx->input.name;
	params[2] = ctx->input.description;
	params[3] = ctx->input.is_public ? "public" : "confidential";
	params[4] = ctx->input.is_public ? NULL : hash;
	params[5] = joined;
	params[6] = scopes;
	params[7] = member;
	params[8] = ctx->address;
	logout = client_redirects_join(ctx->input.logout_uris,
	    ctx->input.logout_count);
	params[9] = logout;
	params[10] = ctx->device_grant ? "true" : "false";
	r = logout != NULL ? flow_query(req, f, apps_insert_sql, 11, params) :
	    FLOW_DB_ERROR;
	free(joined);
	free(logout);
	return (r);
}

static enum flow_result
apps_new_done(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;

	kore_log(LOG_NOTICE, "apps: member %lld created client %s",
	    f->session.member_id, ctx->client_id);
	apps_render_secret(req, f, "Application created",
	    ctx->new_secret ? "Your application is registered. Configure it "
	    "with the client ID and secret below." : "Your application is "
	    "registered. Public applications have no secret: they use PKCE.");
	return (FLOW_DONE);
}

static const flow_step	apps_new_steps[] = {
	SESSION_STEPS, session_step_require_admin, apps_new_form,
	apps_new_create, apps_new_done,
};

int
apps_new(struct http_request *req)
{
	return (apps_run(req, apps_new_steps, ORGO_NITEMS(apps_new_steps)));
}

/* ---- Detail and edit ------------------------------------------------- */

static const char	apps_load_sql[] =
    "SELECT name, description, client_type, array_to_string(redirect_uris,"
    " E'\\n'), allowed_scopes, to_char(created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD HH24:MI \"UTC\"'), COALESCE(to_char(last_used_at AT TIME"
    " ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), 'never'),"
    " array_to_string(post_logout_redirect_uris, E'\\n'),"
    " allowed_device_grant FROM clients WHERE client_id = $1";

static const char	apps_update_sql[] =
    "WITH old AS (SELECT * FROM clients WHERE client_id = $1 FOR UPDATE),"
    " app AS (UPDATE clients c SET name = $2, description = $3,"
    " redirect_uris = string_to_array($4, E'\\n'), allowed_scopes = $5,"
    " post_logout_redirect_uris = string_to_array($10, E'\\n'),"
    " client_type = $6, secret_hash = CASE WHEN $6 = 'public' THEN NULL"
    " ELSE COALESCE($7, c.secret_hash) END, allowed_device_grant = $11,"
    " updated_at = now()"
    " FROM old WHERE c.id = old.id RETURNING c.*),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) SELECT $8, 'client_updated', 'client:' ||"
    " app.client_id, $9, jsonb_strip_nulls(jsonb_build_object("
    " 'name', CASE WHEN old.name <> app.name THEN jsonb_build_object("
    " 'from', old.name, 'to', app.name) END,"
    " 'description', CASE WHEN old.description <> app.description"
    " THEN jsonb_build_object('from', old.description, 'to',"
    " app.description) END,"
    " 'redirect_uris', CASE WHEN old.redirect_uris <> app.redirect_uris"
    " THEN jsonb_build_object('from', to_jsonb(old.redirect_uris), 'to',"
    " to_jsonb(app.redirect_uris)) END,"
    " 'post_logout_redirect_uris', CASE WHEN old.post_logout_redirect_uris"
    " <> app.post_logout_redirect_uris THEN jsonb_build_object('from',"
    " to_jsonb(old.post_logout_redirect_uris), 'to',"
    " to_jsonb(app.post_logout_redirect_uris)) END,"
    " 'allowed_scopes', CASE WHEN old.allowed_scopes <> app.allowed_scopes"
    " THEN jsonb_build_object('from', old.allowed_scopes, 'to',"
    " app.allowed_scopes) END,"
    " 'client_type', CASE WHEN old.client_type <> app.client_type"
    " THEN jsonb_build_object('from', old.client_type, 'to',"
    " app.client_type) END,"
    " 'allowed_device_grant', CASE WHEN old.allowed_device_grant <>"
    " app.allowed_device_grant THEN jsonb_build_object('from',"
    " old.allowed_device_grant, 'to', app.allowed_device_grant) END))"
    " FROM old, app)"
    " SELECT client_id FROM app";

static enum flow_result
apps_detail_load(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	const char	*params[1];

	if (apps_path_client_id(req, "", ctx->client_id,
	    sizeof(ctx->client_id)) == -1)
		return (apps_not_found(req, f));
	params[0] = ctx->client_id;
	return (flow_query(req, f, apps_load_sql, 1, params));
}

/* The endpoint table of the detail page, with absolute URLs. */
static int
apps_endpoints(struct html_buf *out)
{
	static const struct {
		const char	*label;
		const char	*path;
	} endpoints[] = {
		{ "Issuer", "" },
		{ "Discovery", "/.well-known/openid-configuration" },
		{ "Authorization endpoint", "/oauth/authorize" },
		{ "Token endpoint", "/oauth/token" },
		{ "UserInfo endpoint", "/oauth/userinfo" },
		{ "JWKS", "/oauth/jwks" },
		{ "Revocation endpoint", "/oauth/revoke" },
		{ "Introspection endpoint", "/oauth/introspect" },
		{ "End session (logout)", "/oauth/logout" },
		{ "Device authorization endpoint",
		    "/oauth/device_authorization" },
	};
	char		url[1024], id[32];
	size_t		i;
	int		n;

	for (i = 0; i < ORGO_NITEMS(endpoints); i++) {
		snprintf(url, sizeof(url), "%s%s", orgo_settings.issuer,
		    endpoints[i].path);
		snprintf(id, sizeof(id), "endpoint-%zu", i);
		if (html_buf_append(out, "<tr><th>", 8) == -1 ||
		    html_buf_append_escaped(out, endpoints[i].label,
		    strlen(endpoints[i].label)) == -1 ||
		    html_buf_append(out, "</th><td><div class=\"copy-row\">"
		    "<code id=\"", 41) == -1 ||
		    html_buf_append(out, id, strlen(id)) == -1 ||
		    html_buf_append(out, "\">", 2) == -1 ||
		    html_buf_append_escaped(out, url, strlen(url)) == -1 ||
		    html_buf_append(out, "</code><button type=\"button\" "
		    "data-copy=\"", 40) == -1 ||
		    html_buf_append(out, id, strlen(id)) == -1)
			return (-1);
		n = html_buf_append(out, "\">Copy</button></div></td></tr>\n",
		    32);
		if (n == -1)
			return (-1);
	}
	return (0);
}

/* Render the edit form plus the details, rotate and delete sections. */
static void
apps_render_detail(struct http_request *req, struct flow *f, int status,
    const char *notice, const char *created_at, const char *last_used_at)
{
	struct apps_ctx		*ctx = f->ctx;
	struct html_buf		 extra, endpoints;
	char			 base[160];

	memset(&extra, 0, sizeof(extra));
	memset(&endpoints, 0, sizeof(endpoints));
	snprintf(base, sizeof(base), APPS_BASE "/%s", ctx->client_id);

	struct template_var	vars[] = {
		{ "client_id", ctx->client_id },
		{ "client_type", ctx->stored_type },
		{ "created_at", created_at },
		{ "last_used_at", last_used_at },
		{ "endpoints", NULL },
		{ "base", base },
		{ "rotate_class", strcmp(ctx->stored_type, "confidential") == 0 ?
		    "" : "hidden" },
	};

	if (apps_endpoints(&endpoints) == -1) {
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		goto done;
	}
	vars[4].value = endpoints.data;
	if (page_render(&extra, "app_details.html", vars,
	    ORGO_NITEMS(vars)) == -1) {
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		goto done;
	}
	apps_render_form(req, f, status, 1, notice, extra.data);

done:
	html_buf_free(&extra);
	html_buf_free(&endpoints);
}

/* Split the stored scope string into ticked checkboxes. */
static void
apps_tick_stored_scopes(struct apps_ctx *ctx, const char *stored)
{
	static const char	*names[] = { "profile", "email", "groups",
	    "roles" };
	unsigned int		 set;
	size_t			 i;
	char			 error[64];

	if (scopes_parse(stored, strlen(stored), &set, error,
	    sizeof(error)) == -1)
		set = 0;
	ctx->scope_count = 0;
	for (i = 0; i < ORGO_NITEMS(names); i++) {
		if (set & (SCOPE_PROFILE << i))
			ctx->scope_names[ctx->scope_count++] = names[i];
	}
}

static enum flow_result
apps_detail_show(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	const char	*notice, *params[11];
	char		 hash[65], scopes[SCOPES_FORMAT_MAX], member[32];
	char		*joined, *logout;
	int		 becomes_confidential;
	enum flow_result r;

	if (flow_rows(f) != 1)
		return (apps_not_found(req, f));
	ctx->stored_type = kore_strdup(flow_value(f, 0, 2));

	if (req->method == HTTP_METHOD_GET) {
		ctx->name = flow_value(f, 0, 0);
		ctx->description = flow_value(f, 0, 1);
		ctx->redirect_text = flow_value(f, 0, 3);
		ctx->logout_text = flow_value(f, 0, 7);
		ctx->type = ctx->stored_type;
		ctx->device_grant = flow_value(f, 0, 8)[0] == 't';
		apps_tick_stored_scopes(ctx, flow_value(f, 0, 4));
		notice = NULL;
		if (req->query_string != NULL &&
		    strcmp(req->query_string, "saved=1") == 0)
			notice = "Changes saved.";
		apps_render_detail(req, f, HTTP_STATUS_OK, notice,
		    flow_value(f, 0, 5), flow_value(f, 0, 6));
		return (FLOW_DONE);
	}

	if (apps_read_post(req, f) == -1 || apps_read_fields(req, f) == -1)
		return (FLOW_DONE);
	if (client_input_check(&ctx->input, ctx->name, ctx->description,
	    ctx->redirect_text, ctx->logout_text, ctx->scope_names,
	    ctx->scope_count, ctx->type[0] ? ctx->type : ctx->stored_type,
	    ctx->device_grant) == -1) {
		apps_render_detail(req, f, HTTP_STATUS_BAD_REQUEST, NULL,
		    flow_value(f, 0, 5), flow_value(f, 0, 6));
		return (FLOW_DONE);
	}

	/* A public app turned confidential needs its first secret. */
	becomes_confidential = !ctx->input.is_public &&
	    strcmp(ctx->stored_type, "public") == 0;
	if (becomes_confidential && apps_new_secret(ctx, hash) == -1)
		return (FLOW_DB_ERROR);
	(void)scopes_format(ctx->input.scopes, scopes, sizeof(scopes));
	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	if ((joined = client_redirects_join(ctx->input.redirect_uris,
	    ctx->input.redirect_count)) == NULL)
		return (FLOW_DB_ERROR);

	params[0] = ctx->client_id;
	params[1] = ctx->input.name;
	params[2] = ctx->input.description;
	params[3] = joined;
	params[4] = scopes;
	params[5] = ctx->input.is_public ? "public" : "confidential";
	params[6] = becomes_confidential ? hash : NULL;
	params[7] = member;
	params[8] = ctx->address;
	logout = client_redirects_join(ctx->input.logout_uris,
	    ctx->input.logout_count);
	params[9] = logout;
	params[10] = ctx->device_grant ? "true" : "false";
	r = logout != NULL ? flow_query(req, f, apps_update_sql, 11, params) :
	    FLOW_DB_ERROR;
	free(joined);
	free(logout);
	return (r);
}

static enum flow_result
apps_detail_saved(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	char		 location[160];

	if (flow_rows(f) != 1)
		return (apps_not_found(req, f));
	kore_log(LOG_NOTICE, "apps: member %lld updated client %s",
	    f->session.member_id, ctx->client_id);

	if (ctx->new_secret) {
		apps_render_secret(req, f, "Application is now confidential",
		    "The application has its first client secret.");
		return (FLOW_DONE);
	}
	snprintf(location, sizeof(location), APPS_BASE "/%s?saved=1",
	    ctx->client_id);
	http_util_redirect(req, location);
	return (FLOW_DONE);
}

static const flow_step	apps_detail_steps[] = {
	SESSION_STEPS, session_step_require_admin, apps_detail_load,
	apps_detail_show, apps_detail_saved,
};

int
apps_detail(struct http_request *req)
{
	return (apps_run(req, apps_detail_steps,
	    ORGO_NITEMS(apps_detail_steps)));
}

/* ---- Rotate secret and delete ---------------------------------------- */

static const char	apps_rotate_sql[] =
    "WITH app AS (UPDATE clients SET secret_hash = $2, secret_rotated_at ="
    " now(), updated_at = now() WHERE client_id = $1 AND client_type ="
    " 'confidential' RETURNING client_id),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address) SELECT $3, 'client_secret_rotated', 'client:' || client_id,"
    " $4 FROM app)"
    " SELECT client_id FROM app";

/*
 * Deleting the client row cascades to its codes, refresh tokens and
 * consents; access tokens stop working because userinfo and
 * introspection look the client up.
 */
static const char	apps_delete_sql[] =
    "WITH app AS (DELETE FROM clients WHERE client_id = $1"
    " RETURNING client_id, name),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) SELECT $2, 'client_deleted', 'client:' ||"
    " client_id, $3, jsonb_build_object('name', name) FROM app)"
    " SELECT client_id FROM app";

static const char	apps_name_sql[] =
    "SELECT name, client_type FROM clients WHERE client_id = $1";

static enum flow_result
apps_confirm_load(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	const char	*params[1], *suffix;

	suffix = strstr(req->path, "/rotate-secret") ? "/rotate-secret" :
	    "/delete";
	if (apps_path_client_id(req, suffix, ctx->client_id,
	    sizeof(ctx->client_id)) == -1)
		return (apps_not_found(req, f));
	params[0] = ctx->client_id;
	return (flow_query(req, f, apps_name_sql, 1, params));
}

static enum flow_result
apps_confirm_act(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;
	const char	*params[4];
	char		 action[200], cancel[160], message[400], hash[65];
	char		 member[32];
	int		 rotate;

	if (flow_rows(f) != 1)
		return (apps_not_found(req, f));
	rotate = strstr(req->path, "/rotate-secret") != NULL;
	if (rotate && strcmp(flow_value(f, 0, 1), "confidential") != 0) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "No secret to rotate",
		    "Public applications have no client secret.", &f->session);
		return (FLOW_DONE);
	}

	if (req->method == HTTP_METHOD_GET) {
		snprintf(action, sizeof(action), "%s", req->path);
		snprintf(cancel, sizeof(cancel), APPS_BASE "/%s",
		    ctx->client_id);
		snprintf(message, sizeof(message), rotate ?
		    "A new secret for \"%s\" will be shown once. The current "
		    "secret stops working immediately, so update the "
		    "application's configuration right away." :
		    "\"%s\" will be deleted. Members signed in through it lose "
		    "access: its codes, refresh tokens and consents are removed "
		    "and its access tokens stop working. This cannot be undone.",
		    flow_value(f, 0, 0));
		struct template_var	vars[] = {
			{ "heading", rotate ? "Rotate client secret?" :
			    "Delete application?" },
			{ "message", message },
			{ "action", action },
			{ "csrf", f->session.csrf },
			{ "button", rotate ? "Rotate secret" :
			    "Delete application" },
			{ "button_class", "danger" },
			{ "cancel", cancel },
		};
		apps_send(req, f, HTTP_STATUS_OK, rotate ? "Rotate secret" :
		    "Delete application", "confirm.html", vars,
		    ORGO_NITEMS(vars));
		return (FLOW_DONE);
	}

	if (apps_read_post(req, f) == -1)
		return (FLOW_DONE);
	snprintf(member, sizeof(member), "%lld", f->session.member_id);

	if (rotate) {
		if (apps_new_secret(ctx, hash) == -1)
			return (FLOW_DB_ERROR);
		params[0] = ctx->client_id;
		params[1] = hash;
		params[2] = member;
		params[3] = ctx->address;
		return (flow_query(req, f, apps_rotate_sql, 4, params));
	}

	params[0] = ctx->client_id;
	params[1] = member;
	params[2] = ctx->address;
	return (flow_query(req, f, apps_delete_sql, 3, params));
}

static enum flow_result
apps_confirm_done(struct http_request *req, struct flow *f)
{
	struct apps_ctx	*ctx = f->ctx;

	if (flow_rows(f) != 1)
		return (apps_not_found(req, f));

	if (ctx->new_secret) {
		kore_log(LOG_NOTICE, "apps: member %lld rotated the secret of "
		    "client %s", f->session.member_id, ctx->client_id);
		apps_render_secret(req, f, "New client secret",
		    "The previous secret no longer works.");
		return (FLOW_DONE);
	}
	kore_log(LOG_NOTICE, "apps: member %lld deleted client %s",
	    f->session.member_id, ctx->client_id);
	http_util_redirect(req, APPS_BASE "?deleted=1");
	return (FLOW_DONE);
}

static const flow_step	apps_confirm_steps[] = {
	SESSION_STEPS, session_step_require_admin, apps_confirm_load,
	apps_confirm_act, apps_confirm_done,
};

int
apps_rotate(struct http_request *req)
{
	return (apps_run(req, apps_confirm_steps,
	    ORGO_NITEMS(apps_confirm_steps)));
}

int
apps_delete(struct http_request *req)
{
	return (apps_run(req, apps_confirm_steps,
	    ORGO_NITEMS(apps_confirm_steps)));
}
