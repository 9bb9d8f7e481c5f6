/*
 * GET|POST /oauth/logout: RP-initiated logout (OpenID Connect
 * RP-Initiated Logout 1.0).
 *
 * With a valid id_token_hint for the signed-in member, the session ends at
 * once. Without a hint, or with a hint for someone else, the member
 * confirms on a page first, so a link on another site cannot sign members
 * out. post_logout_redirect_uri must be registered for the application
 * (byte for byte) or the member sees an error page; it gets state back.
 */
#include <string.h>

#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "oauth.h"
#include "orgo.h"
#include "page.h"
#include "redirect_uri.h"

struct logout_ctx {
	struct urlform	 form;
	int		 form_loaded;
	json_t		*hint;
	const char	*client_id;
	const char	*redirect;
	const char	*state;
	int		 hint_matches;
	int		 confirmed;
};

int	oidc_logout(struct http_request *);

static void
logout_ctx_free(void *arg)
{
	struct logout_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	if (ctx->hint != NULL)
		json_decref(ctx->hint);
}

static enum flow_result
logout_bad(struct http_request *req, struct flow *f, const char *message)
{
	kore_log(LOG_NOTICE, "logout: rejected: %s", message);
	page_error(req, HTTP_STATUS_BAD_REQUEST, "Cannot sign out here",
	    message, &f->session);
	return (FLOW_DONE);
}

static enum flow_result
logout_parse(struct http_request *req, struct flow *f)
{
	struct logout_ctx	*ctx = f->ctx;
	const char		*hint, *confirm, *csrf, *aud, *sub;
	char			 error[FORM_ERROR_MAX];
	int			 rc;

	if (req->method == HTTP_METHOD_POST)
		rc = form_read_body(req, &ctx->form, error, sizeof(error));
	else
		rc = form_read_query(req, &ctx->form, error, sizeof(error));
	if (rc == -1)
		return (logout_bad(req, f, error));
	ctx->form_loaded = 1;

	if (form_field(&ctx->form, "id_token_hint", JWT_TOKEN_MAX, 0, &hint,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "client_id", OAUTH_CLIENT_ID_MAX, 0,
	    &ctx->client_id, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "post_logout_redirect_uri",
	    REDIRECT_URI_MAX, 0, &ctx->redirect, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "state", OAUTH_STATE_MAX, 0, &ctx->state,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "confirm", 8, 0, &confirm, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "csrf_token", UTIL_TOKEN_LEN, 0, &csrf,
	    error, sizeof(error)) == -1)
		return (logout_bad(req, f, error));

	if (hint[0] != '\0') {
		/* An expired ID token is still a fine hint: check only the
		 * signature and the issuer. */
		if (jwt_verify(&orgo_keys, hint, strlen(hint), "JWT",
		    JWT_ANY_TIME, &ctx->hint, error, sizeof(error)) == -1 ||
		    json_string_value(json_object_get(ctx->hint, "iss")) ==
		    NULL || strcmp(json_string_value(json_object_get(ctx->hint,
		    "iss")), orgo_settings.issuer) != 0)
			return (logout_bad(req, f, "The id_token_hint is not an "
			    "ID token from this server."));
		aud = json_string_value(json_object_get(ctx->hint, "aud"));
		sub = json_string_value(json_object_get(ctx->hint, "sub"));
		if (aud == NULL || sub == NULL)
			return (logout_bad(req, f, "The id_token_hint has no "
			    "aud or sub."));
		if (ctx->client_id[0] != '\0' &&
		    strcmp(ctx->client_id, aud) != 0)
			return (logout_bad(req, f, "client_id does not match "
			    "the audience of id_token_hint."));
		ctx->client_id = aud;
		ctx->hint_matches = f->session.present &&
		    strcmp(sub, f->session.subject) == 0;
	}

	if (req->method == HTTP_METHOD_POST && strcmp(confirm, "yes") == 0) {
		if (!f->session.present ||
		    !session_csrf_valid(req, &f->session, csrf)) {
			page_error(req, HTTP_STATUS_FORBIDDEN, "Request rejected",
			    "The form expired or did not come from this site.",
			    &f->session);
			return (FLOW_DONE);
		}
		ctx->confirmed = 1;
	}

	if (ctx->redirect[0] != '\0' && ctx->client_id[0] == '\0')
		return (logout_bad(req, f, "post_logout_redirect_uri needs "
		    "id_token_hint or client_id to name the application."));
	return (FLOW_NEXT);
}

static const char	logout_client_sql[] =
    "SELECT $2::text = ANY (post_logout_redirect_uris) FROM clients"
    " WHERE client_id = $1";

static enum flow_result
logout_client_query(struct http_request *req, struct flow *f)
{
	struct logout_ctx	*ctx = f->ctx;
	const char		*params[2];

	if (ctx->redirect[0] == '\0') {
		/* Nothing to check: skip the read step. */
		f->current++;
		return (FLOW_NEXT);
	}
	params[0] = ctx->client_id;
	params[1] = ctx->redirect;
	return (flow_query(req, f, logout_client_sql, 2, params));
}

static enum flow_result
logout_client_check(struct http_request *req, struct flow *f)
{
	if (flow_rows(f) != 1)
		return (logout_bad(req, f, "The application is not "
		    "registered."));
	if (flow_value(f, 0, 0)[0] != 't')
		return (logout_bad(req, f, "post_logout_redirect_uri is not "
		    "registered for this application. Add it under Settings "
		    "→ Developers → OAuth Applications."));
	return (FLOW_NEXT);
}

/* Show the confirmation page, carrying the request in hidden fields. */
static void
logout_confirm_page(struct http_request *req, struct flow *f)
{
	struct logout_ctx	*ctx = f->ctx;
	struct template_var	 vars[] = {
		{ "message", "An application asked to sign you out of your "
		    "Orgo account. You will need to sign in again to use "
		    "Orgo or any connected application." },
		{ "csrf", f->session.csrf },
		{ "client_id", ctx->client_id },
		{ "post_logout_redirect_uri", ctx->redirect },
		{ "state", ctx->state },
	};

	page_send_template(req, HTTP_STATUS_OK, "Sign out", "logout_confirm.html",
	    vars, ORGO_NITEMS(vars), &f->session);
}

static const char	logout_end_sql[] =
    "WITH gone AS (DELETE FROM sessions WHERE id_hash = $1"
    " RETURNING member_id)"
    " INSERT INTO audit_log (actor_member_id, action, target, details)"
    " SELECT member_id, 'sign_out', 'member:' || member_id,"
    " jsonb_build_object('client', $2::text) FROM gone";

static enum flow_result
logout_decide(struct http_request *req, struct flow *f)
{
	struct logout_ctx	*ctx = f->ctx;
	const char		*params[2];

	if (f->session.present && !ctx->hint_matches && !ctx->confirmed) {
		logout_confirm_page(req, f);
		return (FLOW_DONE);
	}
	if (!f->session.present)
		return (FLOW_NEXT);	/* already signed out */
	params[0] = f->session.id_hash;
	params[1] = ctx->client_id[0] ? ctx->client_id : NULL;
	return (flow_query(req, f, logout_end_sql, 2, params));
}

static enum flow_result
logout_done(struct http_request *req, struct flow *f)
{
	struct logout_ctx	*ctx = f->ctx;
	struct html_buf		 url;

	session_clear_cookie(req);
	if (f->session.present)
		kore_log(LOG_INFO, "logout: member %lld signed out by %s",
		    f->session.member_id, ctx->client_id[0] ?
		    ctx->client_id : "the member");

	if (ctx->redirect[0] != '\0') {
		memset(&url, 0, sizeof(url));
		if (html_buf_append(&url, ctx->redirect,
		    strlen(ctx->redirect)) == -1 || (ctx->state[0] != '\0' &&
		    oauth_url_param(&url, "state", ctx->state) == -1) ||
		    html_buf_append(&url, "", 1) == -1) {
			html_buf_free(&url);
			http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
			return (FLOW_DONE);
		}
		http_util_redirect(req, url.data);
		html_buf_free(&url);
		return (FLOW_DONE);
	}

	page_send_template(req, HTTP_STATUS_OK, "Signed out", "logged_out.html",
	    NULL, 0, NULL);
	return (FLOW_DONE);
}

static const flow_step	logout_steps[] = {
	SESSION_STEPS, logout_parse, logout_client_query, logout_client_check,
	logout_decide, logout_done,
};

int
oidc_logout(struct http_request *req)
{
	return (flow_run(req, logout_steps, ORGO_NITEMS(logout_steps),
	    sizeof(struct logout_ctx), logout_ctx_free, FLOW_HTML));
}
