/*
 * Settings → Connected apps: the applications a member allowed to use
 * their account, with "Revoke access" for each. Every query is bound to
 * the session's member, so a member can neither see nor revoke another
 * member's consents. An application that does not exist and one the
 * member never allowed both get the same 404 page.
 */
#include <string.h>

#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "orgo.h"
#include "page.h"
#include "scopes.h"

#define CONNECTED_BASE		"/settings/connected-apps"
#define CONNECTED_CLIENT_ID_MAX	64

struct connected_ctx {
	struct urlform	form;
	int		form_loaded;
	char		client_id[CONNECTED_CLIENT_ID_MAX + 1];
	char		member[32];
	char		address[64];
};

int	connected_apps_list(struct http_request *);
int	connected_apps_revoke(struct http_request *);

static void
connected_ctx_free(void *arg)
{
	struct connected_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
}

static int
connected_run(struct http_request *req, const flow_step *steps, size_t count)
{
	return (flow_run(req, steps, count, sizeof(struct connected_ctx),
	    connected_ctx_free, FLOW_HTML));
}

/* Render 'template' into the layout, or send 500 when rendering fails. */
static void
connected_send(struct http_request *req, struct flow *f, const char *title,
    const char *template, const struct template_var *vars, size_t count)
{
	page_send_template(req, HTTP_STATUS_OK, title, template, vars, count,
	    &f->session);
}

static int
connected_scope_item(struct html_buf *out, const char *text)
{
	if (html_buf_append(out, "<li>", 4) == -1 ||
	    html_buf_append_escaped(out, text, strlen(text)) == -1)
		return (-1);
	return (html_buf_append(out, "</li>\n", 6));
}

/*
 * Append one <li> per scope of a stored consent, in the words of the
 * consent page. A stored scope that this server no longer supports is
 * shown by its name, so the list never hides a permission.
 */
static int
connected_scope_items(struct html_buf *out, const char *stored)
{
	char		*copy, *word, *save, error[64];
	unsigned int	 set, one, bit;
	int		 rc, unknown;

	set = 0;
	unknown = 0;
	rc = 0;
	copy = kore_strdup(stored);
	for (word = strtok_r(copy, " ", &save); word != NULL && rc == 0;
	    word = strtok_r(NULL, " ", &save)) {
		if (scopes_parse(word, strlen(word), &one, error,
		    sizeof(error)) == 0) {
			set |= one;
		} else {
			rc = connected_scope_item(out, word);
			unknown++;
		}
	}
	kore_free(copy);
	if (rc == -1)
		return (-1);

	for (bit = 1; bit <= SCOPE_OFFLINE_ACCESS; bit <<= 1) {
		if ((set & bit) &&
		    connected_scope_item(out, scopes_description(bit)) == -1)
			return (-1);
	}
	if (set == 0 && unknown == 0)
		return (connected_scope_item(out,
		    "Know that you are signed in with Orgo"));
	return (0);
}

/* ---- List ------------------------------------------------------------ */

/*
 * Last use is the latest grant (a code redeemed) or refresh token rotation
 * of this member with this application. greatest() skips NULLs, so it is
 * NULL only when neither ever happened.
 */
static const char	connected_list_sql[] =
    "SELECT c.client_id, c.name, c.description, co.scopes,"
    " to_char(co.granted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),"
    " COALESCE(to_char(last_use.last_used_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD HH24:MI \"UTC\"'), 'never')"
    " FROM consents co JOIN clients c ON c.id = co.client_id"
    " CROSS JOIN LATERAL (SELECT greatest(max(g.created_at), max(rt.used_at))"
    " AS last_used_at FROM grants g LEFT JOIN refresh_tokens rt"
    " ON rt.grant_id = g.id WHERE g.member_id = co.member_id"
    " AND g.client_id = co.client_id) last_use"
    " WHERE co.member_id = $1 ORDER BY lower(c.name), c.client_id";

static enum flow_result
connected_list_query(struct http_request *req, struct flow *f)
{
	struct connected_ctx	*ctx = f->ctx;
	const char		*params[1];

	snprintf(ctx->member, sizeof(ctx->member), "%lld",
	    f->session.member_id);
	params[0] = ctx->member;
	return (flow_query(req, f, connected_list_sql, 1, params));
}

/* Render row 'row' of connected_list_sql with connected_app.html. */
static int
connected_list_item(struct html_buf *out, struct flow *f, int row)
{
	struct html_buf	 scopes;
	const char	*client_id, *description;
	char		 revoke[160];
	int		 rc;

	client_id = flow_value(f, row, 0);
	description = flow_value(f, row, 2);
	snprintf(revoke, sizeof(revoke), CONNECTED_BASE "/%s/revoke",
	    client_id);

	memset(&scopes, 0, sizeof(scopes));
	if (connected_scope_items(&scopes, flow_value(f, row, 3)) == -1) {
		html_buf_free(&scopes);
		return (-1);
	}

	struct template_var	vars[] = {
		{ "name", flow_value(f, row, 1) },
		{ "description", description },
		{ "description_class", description[0] ? "" : "hidden" },
		{ "scope_items", scopes.data },
		{ "granted_at", flow_value(f, row, 4) },
		{ "last_used_at", flow_value(f, row, 5) },
		{ "revoke", revoke },
	};
	rc = page_render(out, "connected_app.html", vars, ORGO_NITEMS(vars));
	html_buf_free(&scopes);
	return (rc);
}

static enum flow_result
connected_list_show(struct http_request *req, struct flow *f)
{
	struct html_buf		 items;
	const char		*notice;
	int			 i, count;

	memset(&items, 0, sizeof(items));
	count = flow_rows(f);
	for (i = 0; i < count; i++) {
		if (connected_list_item(&items, f, i) == -1) {
			kore_log(LOG_ERR, "connected apps: member %lld: cannot "
			    "render %d applications", f->session.member_id,
			    count);
			html_buf_free(&items);
			http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
			return (FLOW_DONE);
		}
	}

	notice = NULL;
	if (req->query_string != NULL &&
	    strcmp(req->query_string, "revoked=1") == 0)
		notice = "Access was revoked. The application can no longer "
		    "use your account unless you allow it again.";

	struct template_var	vars[] = {
		{ "notice", notice },
		{ "notice_class", notice ? "" : "hidden" },
		{ "empty_class", count == 0 ? "" : "hidden" },
		{ "list_class", count == 0 ? "hidden" : "" },
		{ "apps", items.data },
	};
	connected_send(req, f, "Connected apps", "connected_apps.html", vars,
	    ORGO_NITEMS(vars));
	html_buf_free(&items);
	return (FLOW_DONE);
}

static const flow_step	connected_list_steps[] = {
	SESSION_STEPS, session_step_require_member, connected_list_query,
	connected_list_show,
};

int
connected_apps_list(struct http_request *req)
{
	return (connected_run(req, connected_list_steps,
	    ORGO_NITEMS(connected_list_steps)));
}

/* ---- Revoke access ---------------------------------------------------- */

static const char	connected_load_sql[] =
    "SELECT c.name, co.scopes FROM consents co JOIN clients c"
    " ON c.id = co.client_id WHERE c.client_id = $1 AND co.member_id = $2";

/*
 * consent_revoke() (migrations/0011_consent_revoke.sql) removes the consent
 * and unused codes, denies approved device authorizations and revokes the
 * grants in one transaction. Revoked grants make oauth_refresh() reject
 * their refresh tokens and /oauth/userinfo their access tokens ("gid").
 */
static const char	connected_revoke_sql[] =
    "SELECT consent_revoke($1, $2, $3)";

static enum flow_result	connected_revoke_done(struct http_request *,
			    struct flow *);

static enum flow_result
connected_not_found(struct http_request *req, struct flow *f)
{
	struct connected_ctx	*ctx = f->ctx;

	kore_log(LOG_NOTICE, "connected apps: member %lld: no consent for "
	    "client %s", f->session.member_id, ctx->client_id[0] ?
	    ctx->client_id : "(invalid path)");
	page_error(req, HTTP_STATUS_NOT_FOUND, "Connected app not found",
	    "You have not allowed this application to use your account, or "
	    "its access was already revoked. Go back to Connected apps to see "
	    "the applications you allowed.", &f->session);
	return (FLOW_DONE);
}

/*
 * Read the client_id from CONNECTED_BASE/<client_id>/revoke. Kore's route
 * regex already limited it to 16 to 64 of [A-Za-z0-9_-].
 */
static int
connected_path_client_id(struct http_request *req, char *out, size_t out_len)
{
	static const char	suffix[] = "/revoke";
	const char		*start;
	size_t			 len;

	if (strncmp(req->path, CONNECTED_BASE "/",
	    strlen(CONNECTED_BASE "/")) != 0)
		return (-1);
	start = req->path + strlen(CONNECTED_BASE "/");
	len = strlen(start);
	if (len <= sizeof(suffix) - 1 ||
	    strcmp(start + len - (sizeof(suffix) - 1), suffix) != 0)
		return (-1);
	len -= sizeof(suffix) - 1;
	if (len >= out_len)
		return (-1);
	memcpy(out, start, len);
	out[len] = '\0';
	return (0);
}

/* Check the path and, for POST, the form and its CSRF token and Origin. */
static enum flow_result
connected_revoke_check(struct http_request *req, struct flow *f)
{
	struct connected_ctx	*ctx = f->ctx;
	const char		*csrf;
	char			 error[FORM_ERROR_MAX];

	if (connected_path_client_id(req, ctx->client_id,
	    sizeof(ctx->client_id)) == -1)
		return (connected_not_found(req, f));
	snprintf(ctx->member, sizeof(ctx->member), "%lld",
	    f->session.member_id);
	if (req->method != HTTP_METHOD_POST)
		return (FLOW_NEXT);

	if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1) {
		kore_log(LOG_NOTICE, "connected apps: member %lld: invalid "
		    "revoke form for client %s: %s", f->session.member_id,
		    ctx->client_id, error);
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (FLOW_DONE);
	}
	ctx->form_loaded = 1;

	if (form_field(&ctx->form, "csrf_token", UTIL_TOKEN_LEN, 1, &csrf,
	    error, sizeof(error)) == -1 ||
	    !session_csrf_valid(req, &f->session, csrf)) {
		kore_log(LOG_NOTICE, "connected apps: member %lld: rejected "
		    "revoking client %s without a valid CSRF token or origin",
		    f->session.member_id, ctx->client_id);
		page_error(req, HTTP_STATUS_FORBIDDEN, "Request rejected",
		    "The form expired or did not come from this site. Go back, "
		    "reload the page and try again.", &f->session);
		return (FLOW_DONE);
	}
	http_util_client_address(req, ctx->address, sizeof(ctx->address));
	return (FLOW_NEXT);
}

/*
 * Start the query of this request. A separate step from the checks, since
 * the flow runs it again when every database connection is busy.
 */
static enum flow_result
connected_revoke_query(struct http_request *req, struct flow *f)
{
	struct connected_ctx	*ctx = f->ctx;
	const char		*params[3];

	params[0] = ctx->client_id;
	params[1] = ctx->member;
	if (req->method != HTTP_METHOD_POST)
		return (flow_query(req, f, connected_load_sql, 2, params));

	params[2] = ctx->address;
	return (flow_query_then(req, f, connected_revoke_sql, 3, params,
	    connected_revoke_done));
}

static enum flow_result
connected_revoke_confirm(struct http_request *req, struct flow *f)
{
	struct connected_ctx	*ctx = f->ctx;
	struct html_buf		 scopes;
	char			 action[160];

	if (flow_rows(f) != 1)
		return (connected_not_found(req, f));

	memset(&scopes, 0, sizeof(scopes));
	if (connected_scope_items(&scopes, flow_value(f, 0, 1)) == -1) {
		kore_log(LOG_ERR, "connected apps: member %lld: cannot render "
		    "the scopes of client %s", f->session.member_id,
		    ctx->client_id);
		html_buf_free(&scopes);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return (FLOW_DONE);
	}
	snprintf(action, sizeof(action), CONNECTED_BASE "/%s/revoke",
	    ctx->client_id);

	struct template_var	vars[] = {
		{ "name", flow_value(f, 0, 0) },
		{ "scope_items", scopes.data },
		{ "action", action },
		{ "csrf", f->session.csrf },
	};
	connected_send(req, f, "Revoke access", "connected_app_revoke.html",
	    vars, ORGO_NITEMS(vars));
	html_buf_free(&scopes);
	return (FLOW_DONE);
}

static enum flow_result
connected_revoke_done(struct http_request *req, struct flow *f)
{
	struct connected_ctx	*ctx = f->ctx;

	if (flow_rows(f) != 1 || flow_value(f, 0, 0) == NULL)
		return (connected_not_found(req, f));

	kore_log(LOG_NOTICE, "connected apps: member %lld revoked client %s "
	    "(%s grants revoked)", f->session.member_id, ctx->client_id,
	    flow_value(f, 0, 0));
	http_util_redirect(req, CONNECTED_BASE "?revoked=1");
	return (FLOW_DONE);
}

static const flow_step	connected_revoke_steps[] = {
	SESSION_STEPS, session_step_require_member, connected_revoke_check,
	connected_revoke_query, connected_revoke_confirm,
	connected_revoke_done,
};

int
connected_apps_revoke(struct http_request *req)
{
	return (connected_run(req, connected_revoke_steps,
	    ORGO_NITEMS(connected_revoke_steps)));
}
