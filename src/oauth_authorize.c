/*
 * The authorization endpoint (RFC 6749 section 4.1, OpenID Connect Core
 * section 3.1.2) and the pages around it.
 *
 * GET|POST /oauth/authorize checks the request. A bad client_id or
 * redirect_uri is shown to the member on an error page and never
 * redirected; every other error goes back to the redirect URI. When the
 * member must sign in or consent, the request is stored server-side and
 * the browser carries only a random handle:
 *
 *	/login?return_to=/oauth/authorize/resume?request=HANDLE
 *	GET  /oauth/authorize/resume	after sign-in: consent or code
 *	POST /oauth/authorize/consent	Allow or Deny on the consent page
 */
#include <string.h>

#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "oauth.h"
#include "orgo.h"
#include "page.h"
#include "pkce.h"
#include "redirect_uri.h"
#include "scopes.h"

#define AUTHZ_REQUEST_TTL	"1800"		/* seconds to sign in */
#define AUTHZ_URIS_MAX		20

struct authz_ctx {
	struct urlform	 form;
	int		 form_loaded;

	/* The request, from the query or the form body. */
	const char	*client_id;
	const char	*redirect_uri;
	const char	*state;
	const char	*nonce;
	const char	*code_challenge;
	int		 redirect_given;
	unsigned int	 scopes;
	char		 scope_text[SCOPES_FORMAT_MAX];
	int		 prompt_none;
	int		 prompt_login;
	int		 prompt_consent;

	/* The application and any consent the member gave it. */
	long long	 client_pk;
	int		 consented;

	/* Values owned by the context (resume and consent load them). */
	char		*owned_redirect;
	char		*owned_state;
	char		*owned_nonce;
	char		*owned_challenge;
	char		*client_name;
	char		*client_description;

	char		 handle[UTIL_TOKEN_LEN + 1];
	char		 code[UTIL_TOKEN_LEN + 1];
	int		 allow;
};

int	oauth_authorize(struct http_request *);
int	oauth_authorize_resume(struct http_request *);
int	oauth_authorize_consent(struct http_request *);

static void
authz_ctx_free(void *arg)
{
	struct authz_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	kore_free(ctx->owned_redirect);
	kore_free(ctx->owned_state);
	kore_free(ctx->owned_nonce);
	kore_free(ctx->owned_challenge);
	kore_free(ctx->client_name);
	kore_free(ctx->client_description);
	util_wipe(ctx->code, sizeof(ctx->code));
	util_wipe(ctx->handle, sizeof(ctx->handle));
}

static int
authz_run(struct http_request *req, const flow_step *steps, size_t count)
{
	return (flow_run(req, steps, count, sizeof(struct authz_ctx),
	    authz_ctx_free, FLOW_HTML));
}

static char *
authz_strdup(const char *s)
{
	return (s != NULL ? kore_strdup(s) : NULL);
}

/* Show an error page: the client or redirect URI is not trusted. */
static enum flow_result
authz_error_page(struct http_request *req, struct flow *f, const char *title,
    const char *message)
{
	kore_log(LOG_NOTICE, "authorize: not redirecting: %s", message);
	page_error(req, HTTP_STATUS_BAD_REQUEST, title, message, &f->session);
	return (FLOW_DONE);
}

static enum flow_result
authz_fail(struct http_request *req, struct flow *f, const char *error,
    const char *description)
{
	struct authz_ctx	*ctx = f->ctx;

	oauth_redirect_error(req, ctx->redirect_uri, error, description,
	    ctx->state);
	return (FLOW_DONE);
}

/* ---- /oauth/authorize ------------------------------------------------ */

static enum flow_result
authz_parse(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	char			 error[FORM_ERROR_MAX];
	int			 rc;

	if (req->method == HTTP_METHOD_POST)
		rc = form_read_body(req, &ctx->form, error, sizeof(error));
	else
		rc = form_read_query(req, &ctx->form, error, sizeof(error));
	if (rc == -1)
		return (authz_error_page(req, f, "Invalid request", error));
	ctx->form_loaded = 1;

	if (form_field(&ctx->form, "client_id", OAUTH_CLIENT_ID_MAX, 1,
	    &ctx->client_id, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "redirect_uri", REDIRECT_URI_MAX, 0,
	    &ctx->redirect_uri, error, sizeof(error)) == -1)
		return (authz_error_page(req, f, "Invalid request", error));
	ctx->redirect_given = ctx->redirect_uri[0] != '\0';

	return (FLOW_NEXT);
}

static const char	authz_client_sql[] =
    "SELECT c.id, c.client_type, c.name, c.description,"
    " array_to_string(c.redirect_uris, E'\\n'), c.allowed_scopes,"
    " co.scopes FROM clients c LEFT JOIN consents co ON co.client_id = c.id"
    " AND co.member_id = $2 WHERE c.client_id = $1";

static enum flow_result
authz_client_query(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*params[2];
	char			 member[32];

	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	params[0] = ctx->client_id;
	params[1] = f->session.present ? member : NULL;
	return (flow_query(req, f, authz_client_sql, 2, params));
}

/* Check redirect_uri against the registered ones (never redirects). */
static enum flow_result
authz_check_redirect(struct http_request *req, struct flow *f,
    const char *registered_text)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*uris[AUTHZ_URIS_MAX];
	char			*copy, *line, *next;
	char			 message[REDIRECT_URI_EXPLAIN_MAX];
	size_t			 count, i;

	/* A confidential or device-only app may register none. */
	if (registered_text[0] == '\0')
		return (authz_error_page(req, f, "Invalid redirect URI",
		    "The application has no registered redirect URIs, so it "
		    "cannot use the authorization endpoint. An administrator "
		    "can add one under Settings \u2192 Developers \u2192 "
		    "OAuth Applications."));

	copy = kore_strdup(registered_text);
	count = 0;
	for (line = copy; line != NULL && count < AUTHZ_URIS_MAX; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		uris[count++] = line;
	}

	if (!ctx->redirect_given) {
		if (count != 1) {
			kore_free(copy);
			return (authz_error_page(req, f, "Invalid redirect URI",
			    "redirect_uri is missing. It may be left out only "
			    "when the application has exactly one registered "
			    "redirect URI."));
		}
		ctx->owned_redirect = kore_strdup(uris[0]);
		ctx->redirect_uri = ctx->owned_redirect;
		kore_free(copy);
		return (FLOW_NEXT);
	}

	/* The code is bound to the requested URI, port included: the token
	 * request must repeat it byte for byte. */
	for (i = 0; i < count; i++) {
		if (redirect_uri_matches(uris[i], ctx->redirect_uri)) {
			kore_free(copy);
			return (FLOW_NEXT);
		}
	}

	redirect_uri_explain_mismatch(ctx->redirect_uri, uris, count, message,
	    sizeof(message));
	kore_free(copy);
	return (authz_error_page(req, f, "Invalid redirect URI", message));
}

/* Check prompt (OpenID Connect Core section 3.1.2.1). */
static int
authz_parse_prompt(struct authz_ctx *ctx, const char *prompt, char *error,
    size_t error_len)
{
	char	*copy, *word, *save;
	int	 rc;

	rc = 0;
	copy = kore_strdup(prompt);
	for (word = strtok_r(copy, " ", &save); word != NULL;
	    word = strtok_r(NULL, " ", &save)) {
		if (strcmp(word, "none") == 0) {
			ctx->prompt_none = 1;
		} else if (strcmp(word, "login") == 0) {
			ctx->prompt_login = 1;
		} else if (strcmp(word, "consent") == 0) {
			ctx->prompt_consent = 1;
		} else if (strcmp(word, "select_account") != 0) {
			snprintf(error, error_len, "prompt value \"%.32s\" is "
			    "not supported (use none, login or consent)", word);
			rc = -1;
			break;
		}
	}
	kore_free(copy);

	if (rc == 0 && ctx->prompt_none &&
	    (ctx->prompt_login || ctx->prompt_consent)) {
		snprintf(error, error_len, "prompt=none cannot be combined "
		    "with other prompt values");
		rc = -1;
	}
	return (rc);
}

/* Every other parameter: errors from here on go to the redirect URI. */
static enum flow_result
authz_check_params(struct http_request *req, struct flow *f,
    const char *client_type, const char *allowed_text)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*response_type, *scope, *method, *prompt, *name;
	char			 error[FORM_ERROR_MAX];
	unsigned int		 allowed;
	size_t			 i, j;

	/* Read state before any other check, because every error redirect
	 * below must return it (RFC 6749 section 4.1.2.1). */
	if (form_field(&ctx->form, "state", OAUTH_STATE_MAX, 0, &ctx->state,
	    error, sizeof(error)) == -1) {
		ctx->state = NULL;
		return (authz_fail(req, f, "invalid_request", error));
	}

	/* A parameter given twice is invalid (RFC 6749 section 3.1). */
	for (i = 0; i < ctx->form.count; i++) {
		name = ctx->form.params[i].name;
		for (j = i + 1; j < ctx->form.count; j++) {
			if (strcmp(name, ctx->form.params[j].name) == 0) {
				snprintf(error, sizeof(error), "%.64s is given "
				    "more than once", name);
				return (authz_fail(req, f, "invalid_request",
				    error));
			}
		}
	}
	if (form_field(&ctx->form, "response_type", 64, 0, &response_type,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "scope", SCOPES_MAX_LEN, 0, &scope, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "nonce", OAUTH_NONCE_MAX, 0, &ctx->nonce,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "code_challenge", 128, 0,
	    &ctx->code_challenge, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "code_challenge_method", 16, 0, &method,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "prompt", 64, 0, &prompt, error,
	    sizeof(error)) == -1)
		return (authz_fail(req, f, "invalid_request", error));

	if (response_type[0] == '\0')
		return (authz_fail(req, f, "invalid_request",
		    "response_type is missing"));
	if (strcmp(response_type, "code") != 0)
		return (authz_fail(req, f, "unsupported_response_type",
		    "only response_type=code is supported"));

	if (scopes_parse(scope, strlen(scope), &ctx->scopes, error,
	    sizeof(error)) == -1)
		return (authz_fail(req, f, "invalid_scope", error));
	if (scopes_parse(allowed_text, strlen(allowed_text), &allowed, error,
	    sizeof(error)) == -1)
		allowed = SCOPE_OPENID;
	/* offline_access is open to every application. */
	allowed |= SCOPE_OPENID | SCOPE_OFFLINE_ACCESS;
	if (!scopes_subset(ctx->scopes, allowed)) {
		char	denied[SCOPES_FORMAT_MAX];

		(void)scopes_format(ctx->scopes & ~allowed, denied,
		    sizeof(denied));
		snprintf(error, sizeof(error), "this application may not "
		    "request: %s", denied);
		return (authz_fail(req, f, "invalid_scope", error));
	}
	(void)scopes_format(ctx->scopes, ctx->scope_text,
	    sizeof(ctx->scope_text));

	if (method[0] != '\0' && strcmp(method, "S256") != 0)
		return (authz_fail(req, f, "invalid_request",
		    "code_challenge_method must be S256"));
	if (method[0] != '\0' && ctx->code_challenge[0] == '\0')
		return (authz_fail(req, f, "invalid_request",
		    "code_challenge_method given without code_challenge"));
	if (ctx->code_challenge[0] != '\0') {
		if (method[0] == '\0')
			return (authz_fail(req, f, "invalid_request",
			    "code_challenge_method is missing: use S256 "
			    "(plain is not supported)"));
		if (!pkce_challenge_valid(ctx->code_challenge,
		    strlen(ctx->code_challenge)))
			return (authz_fail(req, f, "invalid_request",
			    "code_challenge must be 43 base64url characters "
			    "(BASE64URL(SHA256(code_verifier)))"));
	} else if (strcmp(client_type, "public") == 0) {
		return (authz_fail(req, f, "invalid_request",
		    "code_challenge is required: public applications must use "
		    "PKCE with S256"));
	}

	if (authz_parse_prompt(ctx, prompt, error, sizeof(error)) == -1)
		return (authz_fail(req, f, "invalid_request", error));

	return (FLOW_NEXT);
}

static enum flow_result
authz_check(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	enum flow_result	 r;
	const char		*consent;
	unsigned int		 consented;
	char			 error[64];

	if (flow_rows(f) != 1)
		return (authz_error_page(req, f, "Unknown application",
		    "No application with this client_id is registered. Check "
		    "the client_id the application sends."));

	r = authz_check_redirect(req, f, flow_value(f, 0, 4));
	if (r != FLOW_NEXT)
		return (r);
	r = authz_check_params(req, f, flow_value(f, 0, 1),
	    flow_value(f, 0, 5));
	if (r != FLOW_NEXT)
		return (r);

	ctx->client_pk = strtoll(flow_value(f, 0, 0), NULL, 10);
	ctx->client_name = kore_strdup(flow_value(f, 0, 2));
	ctx->client_description = kore_strdup(flow_value(f, 0, 3));
	consent = flow_value(f, 0, 6);
	ctx->consented = consent != NULL && scopes_parse(consent,
	    strlen(consent), &consented, error, sizeof(error)) == 0 &&
	    scopes_subset(ctx->scopes, consented);

	return (FLOW_NEXT);
}

static const char	authz_store_sql[] =
    "INSERT INTO authorization_requests (handle_hash, client_id,"
    " redirect_uri, redirect_uri_given, scopes, state, nonce,"
    " code_challenge, force_login, force_consent, expires_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now() +"
    " make_interval(secs => " AUTHZ_REQUEST_TTL "))";

static const char	authz_code_sql[] =
    "INSERT INTO authorization_codes (code_hash, client_id, member_id,"
    " redirect_uri, redirect_uri_given, scopes, nonce, code_challenge,"
    " auth_time, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
    " to_timestamp($9::bigint), now() + make_interval(secs => $10::int))";

static enum flow_result	authz_code_issued(struct http_request *,
			    struct flow *);
static enum flow_result	authz_stored(struct http_request *, struct flow *);

/* Insert a code for the signed-in member; the next step redirects. */
static enum flow_result
authz_issue_code(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*params[10];
	char			 hash[65], client[32], member[32], auth_time[32];
	char			 ttl[32];

	if (util_token_new(ctx->code) == -1)
		return (FLOW_DB_ERROR);
	util_sha256_hex(ctx->code, UTIL_TOKEN_LEN, hash);
	snprintf(client, sizeof(client), "%lld", ctx->client_pk);
	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	snprintf(auth_time, sizeof(auth_time), "%lld", f->session.auth_time);
	snprintf(ttl, sizeof(ttl), "%ld", orgo_settings.code_ttl);

	params[0] = hash;
	params[1] = client;
	params[2] = member;
	params[3] = ctx->redirect_uri;
	params[4] = ctx->redirect_given ? "true" : "false";
	params[5] = ctx->scope_text;
	params[6] = ctx->nonce != NULL && ctx->nonce[0] ? ctx->nonce : NULL;
	params[7] = ctx->code_challenge != NULL && ctx->code_challenge[0] ?
	    ctx->code_challenge : NULL;
	params[8] = auth_time;
	params[9] = ttl;
	return (flow_query_then(req, f, authz_code_sql, 10, params,
	    authz_code_issued));
}

static enum flow_result
authz_code_issued(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;

	kore_log(LOG_INFO, "authorize: code issued to client %lld for member "
	    "%lld", ctx->client_pk, f->session.member_id);
	oauth_redirect_code(req, ctx->redirect_uri, ctx->code, ctx->state);
	return (FLOW_DONE);
}

/* Keep the request server-side; the next step sends the member on. */
static enum flow_result
authz_store(struct http_request *req, struct flow *f, int force_login)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*params[10];
	char			 hash[65], client[32];

	if (util_token_new(ctx->handle) == -1)
		return (FLOW_DB_ERROR);
	util_sha256_hex(ctx->handle, UTIL_TOKEN_LEN, hash);
	snprintf(client, sizeof(client), "%lld", ctx->client_pk);

	params[0] = hash;
	params[1] = client;
	params[2] = ctx->redirect_uri;
	params[3] = ctx->redirect_given ? "true" : "false";
	params[4] = ctx->scope_text;
	params[5] = ctx->state != NULL && ctx->state[0] ? ctx->state : NULL;
	params[6] = ctx->nonce != NULL && ctx->nonce[0] ? ctx->nonce : NULL;
	params[7] = ctx->code_challenge != NULL && ctx->code_challenge[0] ?
	    ctx->code_challenge : NULL;
	params[8] = force_login ? "true" : "false";
	params[9] = ctx->prompt_consent ? "true" : "false";
	return (flow_query_then(req, f, authz_store_sql, 10, params,
	    authz_stored));
}

/* Send the browser to the sign-in page, which comes back to resume. */
static void
authz_redirect_login(struct http_request *req, const char *handle,
    int force)
{
	char	location[256];

	snprintf(location, sizeof(location), "/login?%sreturn_to="
	    "%%2Foauth%%2Fauthorize%%2Fresume%%3Frequest%%3D%s",
	    force ? "force=1&" : "", handle);
	http_util_redirect(req, location);
}

static void
authz_render_consent(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	struct html_buf		 items, body;
	const char		*text, *host_start;
	char			 host[256];
	unsigned int		 bit;
	size_t			 len;

	memset(&items, 0, sizeof(items));
	memset(&body, 0, sizeof(body));
	for (bit = 1; bit <= SCOPE_OFFLINE_ACCESS; bit <<= 1) {
		if (!(ctx->scopes & bit) ||
		    (text = scopes_description(bit)) == NULL)
			continue;
		if (html_buf_append(&items, "<li>", 4) == -1 ||
		    html_buf_append_escaped(&items, text, strlen(text)) == -1 ||
		    html_buf_append(&items, "</li>\n", 6) == -1)
			goto fail;
	}
	if (ctx->scopes == 0 && html_buf_append(&items, "<li>Know that you "
	    "are signed in with Orgo</li>", 44) == -1)
		goto fail;

	/* Show where the member goes next: the redirect URI's host. */
	host_start = strstr(ctx->redirect_uri, "://");
	host_start = host_start ? host_start + 3 : ctx->redirect_uri;
	len = strcspn(host_start, "/?#");
	snprintf(host, sizeof(host), "%.*s", (int)(len > 200 ? 200 : len),
	    host_start);

	struct template_var	vars[] = {
		{ "client_name", ctx->client_name },
		{ "client_description", ctx->client_description },
		{ "member_name", f->session.name },
		{ "member_email", f->session.email },
		{ "scope_items", items.data },
		{ "redirect_host", host },
		{ "csrf", f->session.csrf },
		{ "request", ctx->handle },
	};
	if (page_render(&body, "consent.html", vars, ORGO_NITEMS(vars)) == -1)
		goto fail;
	page_send(req, HTTP_STATUS_OK, "Allow access", body.data, &f->session);
	html_buf_free(&items);
	html_buf_free(&body);
	return;

fail:
	html_buf_free(&items);
	html_buf_free(&body);
	http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
}

static enum flow_result
authz_stored(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;

	if (!f->session.present || ctx->prompt_login) {
		authz_redirect_login(req, ctx->handle, 1);
		return (FLOW_DONE);
	}
	authz_render_consent(req, f);
	return (FLOW_DONE);
}

static enum flow_result
authz_decide(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	int			 need_login;

	need_login = !f->session.present || ctx->prompt_login;
	if (need_login && ctx->prompt_none)
		return (authz_fail(req, f, "login_required",
		    "the member is not signed in"));
	if (!need_login && (!ctx->consented || ctx->prompt_consent)) {
		if (ctx->prompt_none)
			return (authz_fail(req, f, "consent_required",
			    "the member has not allowed this application"));
	}
	if (!need_login && ctx->consented && !ctx->prompt_consent)
		return (authz_issue_code(req, f));

	return (authz_store(req, f, need_login));
}

static enum flow_result	authz_unreachable(struct http_request *,
			    struct flow *);

static const flow_step	authz_steps[] = {
	SESSION_STEPS, authz_parse, authz_client_query, authz_check,
	authz_decide, authz_code_issued, authz_stored, authz_unreachable,
};

static enum flow_result
authz_unreachable(struct http_request *req, struct flow *f)
{
	http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
	return (FLOW_DONE);
}

int
oauth_authorize(struct http_request *req)
{
	return (authz_run(req, authz_steps, ORGO_NITEMS(authz_steps)));
}

/* ---- Stored requests: resume after sign-in, and the consent form ------ */

/* Columns 0..13: request, its application, and the member's consent. */
static const char	authz_load_sql[] =
    "SELECT r.client_id, r.redirect_uri, r.redirect_uri_given, r.scopes,"
    " r.state, r.nonce, r.code_challenge, r.force_login, r.force_consent,"
    " floor(extract(epoch FROM r.created_at))::bigint, c.name, c.description,"
    " co.scopes, r.handle_hash FROM authorization_requests r"
    " JOIN clients c ON c.id = r.client_id LEFT JOIN consents co ON"
    " co.client_id = r.client_id AND co.member_id = $2"
    " WHERE r.handle_hash = $1 AND r.expires_at > now()";

/* The consent form consumes the request, so it cannot be submitted twice. */
static const char	authz_take_sql[] =
    "WITH taken AS (DELETE FROM authorization_requests WHERE handle_hash ="
    " $1 AND expires_at > now() RETURNING *)"
    " SELECT r.client_id, r.redirect_uri, r.redirect_uri_given, r.scopes,"
    " r.state, r.nonce, r.code_challenge, r.force_login, r.force_consent,"
    " floor(extract(epoch FROM r.created_at))::bigint, c.name, c.description,"
    " co.scopes, r.handle_hash FROM taken r JOIN clients c ON c.id ="
    " r.client_id LEFT JOIN consents co ON co.client_id = r.client_id AND"
    " co.member_id = $2";

/* Fill ctx from a row of authz_load_sql or authz_take_sql. */
static void
authz_ctx_from_row(struct authz_ctx *ctx, struct flow *f)
{
	const char	*consent;
	unsigned int	 consented;
	char		 error[64];

	ctx->client_pk = strtoll(flow_value(f, 0, 0), NULL, 10);
	ctx->owned_redirect = kore_strdup(flow_value(f, 0, 1));
	ctx->redirect_uri = ctx->owned_redirect;
	ctx->redirect_given = flow_value(f, 0, 2)[0] == 't';
	(void)kore_strlcpy(ctx->scope_text, flow_value(f, 0, 3),
	    sizeof(ctx->scope_text));
	if (scopes_parse(ctx->scope_text, strlen(ctx->scope_text),
	    &ctx->scopes, error, sizeof(error)) == -1)
		ctx->scopes = 0;
	ctx->owned_state = authz_strdup(flow_value(f, 0, 4));
	ctx->state = ctx->owned_state;
	ctx->owned_nonce = authz_strdup(flow_value(f, 0, 5));
	ctx->nonce = ctx->owned_nonce;
	ctx->owned_challenge = authz_strdup(flow_value(f, 0, 6));
	ctx->code_challenge = ctx->owned_challenge;
	ctx->prompt_login = flow_value(f, 0, 7)[0] == 't';
	ctx->prompt_consent = flow_value(f, 0, 8)[0] == 't';
	ctx->client_name = kore_strdup(flow_value(f, 0, 10));
	ctx->client_description = kore_strdup(flow_value(f, 0, 11));
	consent = flow_value(f, 0, 12);
	ctx->consented = consent != NULL && scopes_parse(consent,
	    strlen(consent), &consented, error, sizeof(error)) == 0 &&
	    scopes_subset(ctx->scopes, consented);
}

static enum flow_result
authz_expired(struct http_request *req, struct flow *f)
{
	page_error(req, HTTP_STATUS_BAD_REQUEST, "Sign-in request expired",
	    "This sign-in request is no longer valid. Go back to the "
	    "application and start again.", &f->session);
	return (FLOW_DONE);
}

static enum flow_result
resume_query(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*handle, *params[2];
	char			 error[FORM_ERROR_MAX], hash[65], member[32];

	if (form_read_query(req, &ctx->form, error, sizeof(error)) == -1)
		return (authz_expired(req, f));
	ctx->form_loaded = 1;
	if (form_field(&ctx->form, "request", UTIL_TOKEN_LEN, 1, &handle,
	    error, sizeof(error)) == -1 || strlen(handle) != UTIL_TOKEN_LEN)
		return (authz_expired(req, f));
	(void)kore_strlcpy(ctx->handle, handle, sizeof(ctx->handle));

	if (!f->session.present) {
		authz_redirect_login(req, ctx->handle, 0);
		return (FLOW_DONE);
	}

	util_sha256_hex(ctx->handle, UTIL_TOKEN_LEN, hash);
	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	params[0] = hash;
	params[1] = member;
	return (flow_query(req, f, authz_load_sql, 2, params));
}

static const char	authz_drop_sql[] =
    "DELETE FROM authorization_requests WHERE handle_hash = $1";

static enum flow_result
resume_decide(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*params[1];

	if (flow_rows(f) != 1)
		return (authz_expired(req, f));
	authz_ctx_from_row(ctx, f);

	/* prompt=login: the session must come from a sign-in after the
	 * request was made. */
	if (ctx->prompt_login &&
	    f->session.auth_time < strtoll(flow_value(f, 0, 9), NULL, 10)) {
		authz_redirect_login(req, ctx->handle, 1);
		return (FLOW_DONE);
	}

	if (ctx->consented && !ctx->prompt_consent) {
		/* Done with the stored request: drop it, then issue. */
		params[0] = flow_value(f, 0, 13);
		return (flow_query(req, f, authz_drop_sql, 1, params));
	}
	authz_render_consent(req, f);
	return (FLOW_DONE);
}

static const flow_step	resume_steps[] = {
	SESSION_STEPS, resume_query, resume_decide, authz_issue_code,
	authz_code_issued,
};

int
oauth_authorize_resume(struct http_request *req)
{
	return (authz_run(req, resume_steps, ORGO_NITEMS(resume_steps)));
}

static enum flow_result
consent_parse(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*handle, *csrf, *decision, *params[2];
	char			 error[FORM_ERROR_MAX], hash[65], member[32];

	if (!f->session.present) {
		page_error(req, HTTP_STATUS_FORBIDDEN, "Signed out",
		    "You were signed out. Go back to the application and "
		    "start again.", NULL);
		return (FLOW_DONE);
	}
	if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (FLOW_DONE);
	}
	ctx->form_loaded = 1;
	if (form_field(&ctx->form, "csrf_token", UTIL_TOKEN_LEN, 1, &csrf,
	    error, sizeof(error)) == -1 ||
	    !session_csrf_valid(req, &f->session, csrf)) {
		kore_log(LOG_NOTICE, "consent: member %lld: rejected post "
		    "without a valid CSRF token or origin",
		    f->session.member_id);
		page_error(req, HTTP_STATUS_FORBIDDEN, "Request rejected",
		    "The form expired or did not come from this site. Go back "
		    "to the application and start again.", &f->session);
		return (FLOW_DONE);
	}
	if (form_field(&ctx->form, "request", UTIL_TOKEN_LEN, 1, &handle,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "decision", 8, 1, &decision, error,
	    sizeof(error)) == -1 || (strcmp(decision, "allow") != 0 &&
	    strcmp(decision, "deny") != 0)) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    "The consent form is incomplete: request and decision "
		    "(allow or deny) are required.", &f->session);
		return (FLOW_DONE);
	}
	ctx->allow = strcmp(decision, "allow") == 0;

	util_sha256_hex(handle, strlen(handle), hash);
	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	params[0] = hash;
	params[1] = member;
	return (flow_query(req, f, authz_take_sql, 2, params));
}

static const char	consent_save_sql[] =
    "WITH saved AS (INSERT INTO consents (member_id, client_id, scopes)"
    " VALUES ($1, $2, $3) ON CONFLICT (member_id, client_id) DO UPDATE"
    " SET scopes = array_to_string(ARRAY(SELECT DISTINCT s FROM unnest("
    " string_to_array(consents.scopes, ' ') || string_to_array("
    " EXCLUDED.scopes, ' ')) AS s WHERE s <> '' ORDER BY s), ' '),"
    " updated_at = now() RETURNING client_id)"
    " INSERT INTO audit_log (actor_member_id, action, target, details)"
    " SELECT $1, 'consent_granted', 'client:' || c.client_id,"
    " jsonb_build_object('scopes', $3::text) FROM saved JOIN clients c"
    " ON c.id = saved.client_id";

static enum flow_result
consent_decide(struct http_request *req, struct flow *f)
{
	struct authz_ctx	*ctx = f->ctx;
	const char		*params[3];
	char			 member[32], client[32];

	if (flow_rows(f) != 1)
		return (authz_expired(req, f));
	authz_ctx_from_row(ctx, f);

	if (!ctx->allow) {
		kore_log(LOG_INFO, "consent: member %lld denied client %lld",
		    f->session.member_id, ctx->client_pk);
		oauth_redirect_error(req, ctx->redirect_uri, "access_denied",
		    "the member denied the request", ctx->state);
		return (FLOW_DONE);
	}

	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	snprintf(client, sizeof(client), "%lld", ctx->client_pk);
	params[0] = member;
	params[1] = client;
	params[2] = ctx->scope_text;
	return (flow_query(req, f, consent_save_sql, 3, params));
}

static const flow_step	consent_steps[] = {
	SESSION_STEPS, consent_parse, consent_decide, authz_issue_code,
	authz_code_issued,
};

int
oauth_authorize_consent(struct http_request *req)
{
	return (authz_run(req, consent_steps, ORGO_NITEMS(consent_steps)));
}
