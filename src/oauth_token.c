/*
 * The client-authenticated endpoints. POST /oauth/token (RFC 6749 section
 * 3.2): the authorization_code, refresh_token, client_credentials and
 * device_code (RFC 8628 section 3.4) grants. POST /oauth/revoke
 * (RFC 7009), POST /oauth/introspect (RFC 7662) and
 * POST /oauth/device_authorization (RFC 8628 section 3.1) share its client
 * authentication.
 *
 * Steps: parse the form and the client credentials, load the client,
 * authenticate it (secrets compared as SHA-256 hashes in constant time),
 * then run the grant. Code redemption and refresh rotation each run as one
 * PostgreSQL function call, so the database decides which of two
 * concurrent requests wins.
 */
#include <string.h>

#include <openssl/evp.h>

#include "basic_auth.h"
#include "device_code.h"
#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "oauth.h"
#include "orgo.h"
#include "pkce.h"
#include "redirect_uri.h"
#include "scopes.h"
#include "tokens.h"

#define TOKEN_SECRET_MAX	256

#define TOKEN_GRANT_DEVICE_CODE	"urn:ietf:params:oauth:grant-type:device_code"
/* Seconds a device waits between token requests (RFC 8628 section 3.2). */
#define DEVICE_POLL_INTERVAL	5
/* Inserts tried before giving up when a new user code is already taken. */
#define DEVICE_INSERT_TRIES	3

enum token_mode { TOKEN_GRANT, TOKEN_REVOKE, TOKEN_INTROSPECT,
    TOKEN_DEVICE_AUTHORIZATION };

struct token_ctx {
	enum token_mode	 mode;
	struct urlform	 form;
	int		 form_loaded;
	const char	*grant_type;

	char		 client_id[OAUTH_CLIENT_ID_MAX + 1];
	char		 secret[TOKEN_SECRET_MAX + 1];
	int		 has_secret;
	int		 used_basic;

	long long	 client_pk;
	int		 is_public;
	char		*redirect_uris;
	unsigned int	 allowed;
	int		 device_grant;		/* allowed_device_grant */

	char		 refresh[UTIL_TOKEN_LEN + 1];
	char		 grant_key[UTIL_TOKEN_LEN + 1];
	unsigned int	 scopes;
	char		 scope_text[SCOPES_FORMAT_MAX];

	/* Revocation and introspection: the token and what it is. */
	const char	*token;
	json_t		*claims;

	/* Device authorization: the new codes, and inserts tried. */
	char		 device_code[UTIL_TOKEN_LEN + 1];
	char		 user_code[DEVICE_USER_CODE_LEN + 1];
	int		 device_tries;
};

int	oauth_token(struct http_request *);
int	oauth_revoke(struct http_request *);
int	oauth_introspect(struct http_request *);
int	oauth_device_authorization(struct http_request *);

static void
token_ctx_free(void *arg)
{
	struct token_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	kore_free(ctx->redirect_uris);
	if (ctx->claims != NULL)
		json_decref(ctx->claims);
	util_wipe(ctx->secret, sizeof(ctx->secret));
	util_wipe(ctx->refresh, sizeof(ctx->refresh));
	util_wipe(ctx->device_code, sizeof(ctx->device_code));
}

static enum flow_result	token_error_send(struct http_request *,
			    struct flow *, int, const char *, const char *);

/* An RFC 6749 section 5.2 error, logged, with CORS once the client is
 * known. */
/* RFC 6749 Appendix A.1: a client_id is VSCHAR, %x20-7E. */
static int
token_client_id_valid(const char *id)
{
	for (; *id != '\0'; id++) {
		if ((unsigned char)*id < 0x20 || (unsigned char)*id > 0x7e)
			return (0);
	}
	return (1);
}

static enum flow_result
token_error(struct http_request *req, struct flow *f, int status,
    const char *error, const char *description)
{
	struct token_ctx	*ctx = f->ctx;

	/* The client_id comes from the request: log it only when it is
	 * plain text, so it cannot forge log lines. */
	kore_log(LOG_INFO, "token: client %s: %s: %s",
	    ctx->client_id[0] == '\0' ? "-" :
	    token_client_id_valid(ctx->client_id) ? ctx->client_id :
	    "(invalid)", error, description);
	return (token_error_send(req, f, status, error, description));
}

/* Send an error without logging it, for the responses of routine polls. */
static enum flow_result
token_error_send(struct http_request *req, struct flow *f, int status,
    const char *error, const char *description)
{
	struct token_ctx	*ctx = f->ctx;

	if (ctx->redirect_uris != NULL)
		oauth_cors(req, ctx->redirect_uris);
	if (status == HTTP_STATUS_UNAUTHORIZED && ctx->used_basic)
		http_response_header(req, "www-authenticate",
		    "Basic realm=\"orgo\", charset=\"UTF-8\"");
	http_response_header(req, "pragma", "no-cache");
	http_util_json_error(req, status, error, description);
	return (FLOW_DONE);
}

/*
 * Read HTTP Basic client credentials (RFC 6749 section 2.3.1) into the
 * context. Returns 0, 1 when there is no Authorization header, or -1 when
 * it is not valid Basic authentication.
 */
static int
token_basic_credentials(struct http_request *req, struct token_ctx *ctx)
{
	const char	*header;
	int		 rc;

	if (!http_request_header(req, "authorization", &header))
		return (1);

	rc = basic_auth_parse(header, ctx->client_id, sizeof(ctx->client_id),
	    ctx->secret, sizeof(ctx->secret));
	if (rc == 1)
		return (-1);

	/* Section 5.2: a client that tried Basic gets a Basic challenge. */
	ctx->used_basic = 1;
	if (rc == 0)
		ctx->has_secret = 1;
	return (rc);
}

static enum flow_result
token_parse(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*id, *secret;
	char			 error[FORM_ERROR_MAX], retry[16];
	uint32_t		 wait;
	int			 basic;

	if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error));
	ctx->form_loaded = 1;

	if (form_field(&ctx->form, "grant_type", 64,
	    ctx->mode == TOKEN_GRANT, &ctx->grant_type, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "client_id", OAUTH_CLIENT_ID_MAX, 0, &id,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "client_secret", TOKEN_SECRET_MAX, 0,
	    &secret, error, sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error));

	if ((basic = token_basic_credentials(req, ctx)) == -1)
		return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_client", "the Authorization header is not valid "
		    "HTTP Basic client authentication"));

	if (basic == 0) {
		/* One authentication method per request (section 2.3). */
		if (secret[0] != '\0')
			return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
			    "invalid_request", "use either HTTP Basic or "
			    "client_secret in the body, not both"));
		if (id[0] != '\0' && strcmp(id, ctx->client_id) != 0)
			return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
			    "invalid_request", "client_id in the body differs "
			    "from the one in the Authorization header"));
	} else {
		(void)kore_strlcpy(ctx->client_id, id, sizeof(ctx->client_id));
		if (secret[0] != '\0') {
			(void)kore_strlcpy(ctx->secret, secret,
			    sizeof(ctx->secret));
			ctx->has_secret = 1;
		}
	}

	if (ctx->client_id[0] != '\0' && !token_client_id_valid(ctx->client_id))
		return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_client", "client_id may contain only printable "
		    "ASCII characters"));
	if (ctx->client_id[0] == '\0')
		return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_client", "client authentication is missing: send "
		    "client_id (and the secret for confidential applications)"));

	/* Before any database work, so guessing secrets is slow too. */
	wait = ratelimit_hit(&orgo_token_limit, ctx->client_id,
	    strlen(ctx->client_id), (uint32_t)time(NULL));
	if (wait > 0) {
		snprintf(retry, sizeof(retry), "%u", wait);
		http_response_header(req, "retry-after", retry);
		return (token_error(req, f, 429, "temporarily_unavailable",
		    "too many requests for this client_id; retry after the "
		    "Retry-After delay"));
	}
	return (FLOW_NEXT);
}

static const char	token_client_sql[] =
    "SELECT id, client_type, secret_hash, array_to_string(redirect_uris,"
    " E'\\n'), allowed_scopes, allowed_device_grant FROM clients"
    " WHERE client_id = $1";

static enum flow_result
token_client_query(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*params[1];

	params[0] = ctx->client_id;
	return (flow_query(req, f, token_client_sql, 1, params));
}

static enum flow_result	token_code(struct http_request *, struct flow *);
static enum flow_result	token_refresh(struct http_request *, struct flow *);
static enum flow_result	token_client_credentials(struct http_request *,
			    struct flow *);
static enum flow_result	token_revoke(struct http_request *, struct flow *);
static enum flow_result	token_introspect(struct http_request *,
			    struct flow *);
static enum flow_result	token_device_code(struct http_request *,
			    struct flow *);
static enum flow_result	device_authorization_check(struct http_request *,
			    struct flow *);

static enum flow_result
token_authenticate(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*stored;
	char			 hash[65], error[64];

	if (flow_rows(f) != 1)
		return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_client", "unknown client_id"));

	ctx->client_pk = strtoll(flow_value(f, 0, 0), NULL, 10);
	ctx->is_public = strcmp(flow_value(f, 0, 1), "public") == 0;
	ctx->redirect_uris = kore_strdup(flow_value(f, 0, 3));
	if (scopes_parse(flow_value(f, 0, 4), strlen(flow_value(f, 0, 4)),
	    &ctx->allowed, error, sizeof(error)) == -1)
		ctx->allowed = SCOPE_OPENID;
	ctx->device_grant = flow_value(f, 0, 5)[0] == 't';

	if (ctx->is_public) {
		if (ctx->has_secret)
			return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
			    "invalid_client", "public applications have no "
			    "client secret: send only client_id"));
	} else {
		stored = flow_value(f, 0, 2);
		if (!ctx->has_secret)
			return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
			    "invalid_client", "client secret is missing"));
		util_sha256_hex(ctx->secret, strlen(ctx->secret), hash);
		if (stored == NULL || !util_equal_ct(hash, 64, stored,
		    strlen(stored)))
			return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
			    "invalid_client", "client authentication failed"));
	}
	/* The secret is wiped with the context, not here: when the grant's
	 * query waits for a connection, this step runs again. */

	if (ctx->mode == TOKEN_REVOKE)
		return (token_revoke(req, f));
	if (ctx->mode == TOKEN_INTROSPECT)
		return (token_introspect(req, f));
	if (ctx->mode == TOKEN_DEVICE_AUTHORIZATION)
		return (device_authorization_check(req, f));
	if (strcmp(ctx->grant_type, "authorization_code") == 0)
		return (token_code(req, f));
	if (strcmp(ctx->grant_type, "refresh_token") == 0)
		return (token_refresh(req, f));
	if (strcmp(ctx->grant_type, "client_credentials") == 0)
		return (token_client_credentials(req, f));
	if (strcmp(ctx->grant_type, TOKEN_GRANT_DEVICE_CODE) == 0)
		return (token_device_code(req, f));
	return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
	    "unsupported_grant_type", "grant_type must be authorization_code, "
	    "refresh_token, client_credentials or " TOKEN_GRANT_DEVICE_CODE));
}

static const char	token_code_sql[] =
    "SELECT * FROM oauth_redeem_code($1, $2, $3, $4, $5, $6, $7, $8)";

static enum flow_result
token_code(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*code, *redirect, *verifier, *params[8];
	char			 error[FORM_ERROR_MAX], code_hash[65];
	char			 challenge[64], refresh_hash[65], client[32];
	char			 idle[32], ttl[32];
	unsigned char		 digest[32];
	unsigned int		 digest_len;

	if (form_field(&ctx->form, "code", 128, 1, &code, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "redirect_uri", REDIRECT_URI_MAX, 0,
	    &redirect, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "code_verifier", 128, 0, &verifier, error,
	    sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error));

	if (verifier[0] != '\0') {
		if (!pkce_verifier_valid(verifier, strlen(verifier)))
			return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
			    "invalid_request", "code_verifier must be 43 to "
			    "128 characters of A-Z a-z 0-9 - . _ ~"));
		digest_len = sizeof(digest);
		EVP_Digest(verifier, strlen(verifier), digest, &digest_len,
		    EVP_sha256(), NULL);
		util_b64url_encode(digest, sizeof(digest), challenge);
	}

	/*
	 * Every code grant gets a refresh token, whether or not the app
	 * requested offline_access, because RFC 6749 section 1.5 leaves that
	 * to the server. These tokens are bounded: rotated on each use,
	 * ended by ORGO_REFRESH_TOKEN_IDLE and ORGO_REFRESH_TOKEN_TTL, and
	 * revoked when the member withdraws consent. offline_access is
	 * accepted and shown on the consent page, but changes nothing here.
	 */
	if (util_token_new(ctx->refresh) == -1 ||
	    util_token_new(ctx->grant_key) == -1)
		return (FLOW_DB_ERROR);
	util_sha256_hex(code, strlen(code), code_hash);
	util_sha256_hex(ctx->refresh, UTIL_TOKEN_LEN, refresh_hash);
	snprintf(client, sizeof(client), "%lld", ctx->client_pk);
	snprintf(idle, sizeof(idle), "%ld", orgo_settings.refresh_token_idle);
	snprintf(ttl, sizeof(ttl), "%ld", orgo_settings.refresh_token_ttl);

	params[0] = code_hash;
	params[1] = client;
	params[2] = redirect[0] ? redirect : NULL;
	params[3] = verifier[0] ? challenge : NULL;
	params[4] = ctx->grant_key;
	params[5] = refresh_hash;
	params[6] = idle;
	params[7] = ttl;
	return (flow_query(req, f, token_code_sql, 8, params));
}

static const char	token_refresh_sql[] =
    "SELECT * FROM oauth_refresh($1, $2, $3, $4, $5)";

static enum flow_result
token_refresh(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*old, *scope, *params[5];
	char			 error[FORM_ERROR_MAX], old_hash[65];
	char			 new_hash[65], client[32], idle[32];

	if (form_field(&ctx->form, "refresh_token", 128, 1, &old, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "scope", SCOPES_MAX_LEN, 0, &scope, error,
	    sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error));
	if (scope[0] != '\0') {
		if (scopes_parse(scope, strlen(scope), &ctx->scopes, error,
		    sizeof(error)) == -1)
			return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
			    "invalid_scope", error));
		(void)scopes_format(ctx->scopes, ctx->scope_text,
		    sizeof(ctx->scope_text));
	}

	if (util_token_new(ctx->refresh) == -1)
		return (FLOW_DB_ERROR);
	util_sha256_hex(old, strlen(old), old_hash);
	util_sha256_hex(ctx->refresh, UTIL_TOKEN_LEN, new_hash);
	snprintf(client, sizeof(client), "%lld", ctx->client_pk);
	snprintf(idle, sizeof(idle), "%ld", orgo_settings.refresh_token_idle);

	params[0] = old_hash;
	params[1] = client;
	params[2] = new_hash;
	params[3] = scope[0] ? ctx->scope_text : NULL;
	params[4] = idle;
	return (flow_query(req, f, token_refresh_sql, 5, params));
}

static const char	token_device_sql[] =
    "SELECT * FROM oauth_redeem_device_code($1, $2, $3, $4, $5, $6)";

/* The device_code grant (RFC 8628 section 3.4): one poll of the device. */
static enum flow_result
token_device_code(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*code, *params[6];
	char			 error[FORM_ERROR_MAX], code_hash[65];
	char			 refresh_hash[65], client[32];
	char			 idle[32], ttl[32];

	if (!ctx->device_grant)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "unauthorized_client", "this application may not use the "
		    "device authorization grant"));
	if (form_field(&ctx->form, "device_code", 128, 1, &code, error,
	    sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error));

	/* Like a code grant, with a refresh token with or without
	 * offline_access. */
	if (util_token_new(ctx->refresh) == -1 ||
	    util_token_new(ctx->grant_key) == -1)
		return (FLOW_DB_ERROR);
	util_sha256_hex(code, strlen(code), code_hash);
	util_sha256_hex(ctx->refresh, UTIL_TOKEN_LEN, refresh_hash);
	snprintf(client, sizeof(client), "%lld", ctx->client_pk);
	snprintf(idle, sizeof(idle), "%ld", orgo_settings.refresh_token_idle);
	snprintf(ttl, sizeof(ttl), "%ld", orgo_settings.refresh_token_ttl);

	params[0] = code_hash;
	params[1] = client;
	params[2] = ctx->grant_key;
	params[3] = refresh_hash;
	params[4] = idle;
	params[5] = ttl;
	return (flow_query(req, f, token_device_sql, 6, params));
}

static void
token_send(struct http_request *req, struct flow *f, json_t *body)
{
	struct token_ctx	*ctx = f->ctx;

	oauth_cors(req, ctx->redirect_uris);
	http_response_header(req, "pragma", "no-cache");
	http_util_json(req, HTTP_STATUS_OK, body);
}

static enum flow_result
token_client_credentials(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	struct token_subject	 s;
	const char		*scope;
	char			 error[FORM_ERROR_MAX], *access;
	unsigned int		 allowed;

	if (ctx->is_public)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "unauthorized_client", "public applications cannot use "
		    "client_credentials"));
	if (form_field(&ctx->form, "scope", SCOPES_MAX_LEN, 0, &scope, error,
	    sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error));

	/* Member scopes make no sense without a member: none of openid
	 * and offline_access, and only what the app may request. */
	allowed = ctx->allowed & ~(SCOPE_OPENID | SCOPE_OFFLINE_ACCESS);
	if (scopes_parse(scope, strlen(scope), &ctx->scopes, error,
	    sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_scope", error));
	if (!scopes_subset(ctx->scopes, allowed))
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_scope", "client_credentials may request only "
		    "scopes the application is allowed, without openid and "
		    "offline_access"));
	(void)scopes_format(ctx->scopes, ctx->scope_text,
	    sizeof(ctx->scope_text));

	memset(&s, 0, sizeof(s));
	s.issuer = orgo_settings.issuer;
	s.subject = ctx->client_id;
	s.client_id = ctx->client_id;
	s.scope = ctx->scope_text;
	s.now = (long)time(NULL);
	if ((access = tokens_access(&orgo_keys, &s,
	    orgo_settings.access_token_ttl)) == NULL)
		return (token_error(req, f, HTTP_STATUS_INTERNAL_ERROR,
		    "server_error", "token signing failed"));

	token_send(req, f, json_pack("{s:s, s:s, s:I, s:s}",
	    "access_token", access, "token_type", "Bearer",
	    "expires_in", (json_int_t)orgo_settings.access_token_ttl,
	    "scope", ctx->scope_text));
	free(access);
	return (FLOW_DONE);
}

/* The RFC 8628 section 3.5 errors that oauth_redeem_device_code() returns. */
static const struct {
	const char	*error;
	const char	*description;
	int		 logged;	/* 0 for routine polls */
} token_device_errors[] = {
	{ "authorization_pending", "the member has not approved or denied "
	    "the request yet", 0 },
	{ "slow_down", "token requests came faster than the interval: wait "
	    "5 seconds longer between them from now on", 0 },
	{ "access_denied", "the member denied the request", 1 },
	{ "expired_token", "the device code expired: start a new device "
	    "authorization", 1 },
};

/*
 * Read the row of oauth_redeem_code(), oauth_refresh() or
 * oauth_redeem_device_code() and send the tokens or the error.
 */
static enum flow_result
token_issue(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	struct token_subject	 s;
	const char		*status, *nonce;
	char			*access, *id_token;
	unsigned int		 granted;
	char			 error[64];
	json_t			*body;
	size_t			 i;

	if (flow_rows(f) != 1)
		return (FLOW_DB_ERROR);
	status = flow_value(f, 0, 0);
	for (i = 0; i < ORGO_NITEMS(token_device_errors); i++) {
		if (strcmp(status, token_device_errors[i].error) != 0)
			continue;
		if (!token_device_errors[i].logged)
			return (token_error_send(req, f,
			    HTTP_STATUS_BAD_REQUEST, status,
			    token_device_errors[i].description));
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST, status,
		    token_device_errors[i].description));
	}
	if (strcmp(status, "invalid_scope") == 0)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_scope", "scope may only narrow the scopes of the "
		    "original grant"));
	if (strcmp(status, "ok") != 0)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_grant", status));

	memset(&s, 0, sizeof(s));
	s.issuer = orgo_settings.issuer;
	s.subject = flow_value(f, 0, 1);
	s.client_id = ctx->client_id;
	s.scope = flow_value(f, 0, 2);
	s.grant_key = flow_value(f, 0, 5);
	s.auth_time = strtol(flow_value(f, 0, 4), NULL, 10);
	s.now = (long)time(NULL);
	nonce = flow_value(f, 0, 3);
	if (scopes_parse(s.scope, strlen(s.scope), &granted, error,
	    sizeof(error)) == -1)
		granted = 0;

	if ((access = tokens_access(&orgo_keys, &s,
	    orgo_settings.access_token_ttl)) == NULL)
		return (token_error(req, f, HTTP_STATUS_INTERNAL_ERROR,
		    "server_error", "token signing failed"));
	body = json_pack("{s:s, s:s, s:I, s:s, s:s}",
	    "access_token", access, "token_type", "Bearer",
	    "expires_in", (json_int_t)orgo_settings.access_token_ttl,
	    "refresh_token", ctx->refresh, "scope", s.scope);

	/* An ID token for openid, at sign-in and on refresh (OpenID
	 * Connect Core section 12.2); the nonce stays the original one. */
	if (granted & SCOPE_OPENID) {
		id_token = tokens_id(&orgo_keys, &s, nonce, access,
		    orgo_settings.access_token_ttl);
		if (id_token == NULL) {
			free(access);
			json_decref(body);
			return (token_error(req, f, HTTP_STATUS_INTERNAL_ERROR,
			    "server_error", "token signing failed"));
		}
		json_object_set_new(body, "id_token", json_string(id_token));
		free(id_token);
	}

	kore_log(LOG_INFO, "token: %s grant for client %s",
	    ctx->grant_type, ctx->client_id);
	token_send(req, f, body);
	free(access);
	util_wipe(ctx->refresh, sizeof(ctx->refresh));
	return (FLOW_DONE);
}

static const flow_step	token_steps[] = {
	token_parse, token_client_query, token_authenticate, token_issue,
};

/*
 * Run 'steps' for a POST to one of this file's endpoints. With 'cors' the
 * endpoint also handles browser preflights. Other methods get 405.
 */
static int
token_endpoint(struct http_request *req, const char *endpoint, int cors,
    const flow_step *steps, size_t count)
{
	char	message[80];

	if (cors && req->method == HTTP_METHOD_OPTIONS)
		return (oauth_preflight(req));
	if (req->method != HTTP_METHOD_POST) {
		http_response_header(req, "allow",
		    cors ? "POST, OPTIONS" : "POST");
		snprintf(message, sizeof(message),
		    "the %s endpoint accepts POST only", endpoint);
		http_util_json_error(req, HTTP_STATUS_METHOD_NOT_ALLOWED,
		    "invalid_request", message);
		return (KORE_RESULT_OK);
	}
	return (flow_run(req, steps, count, sizeof(struct token_ctx),
	    token_ctx_free, FLOW_JSON));
}

int
oauth_token(struct http_request *req)
{
	return (token_endpoint(req, "token", 1, token_steps,
	    ORGO_NITEMS(token_steps)));
}

/* ---- Revocation (RFC 7009) ------------------------------------------ */

/*
 * A refresh token revokes its whole grant. The client must own it: a
 * token of another client is refused (RFC 7009 section 2.1).
 */
static const char	revoke_refresh_sql[] =
    "WITH t AS (SELECT g.id, g.client_id FROM refresh_tokens r JOIN grants g"
    " ON g.id = r.grant_id WHERE r.token_hash = $1),"
    " revoked AS (UPDATE grants SET revoked_at = now(), revoked_reason ="
    " 'revoked by client' WHERE id = (SELECT id FROM t) AND client_id = $2"
    " AND revoked_at IS NULL RETURNING id)"
    " SELECT EXISTS (SELECT 1 FROM t), COALESCE((SELECT client_id = $2"
    " FROM t), false)";

/* An access token is listed by jti until it expires. */
static const char	revoke_access_sql[] =
    "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1,"
    " to_timestamp($2::bigint)) ON CONFLICT (jti) DO NOTHING";

static enum flow_result
token_mode_revoke(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;

	ctx->mode = TOKEN_REVOKE;
	return (FLOW_NEXT);
}

static enum flow_result
token_mode_introspect(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;

	ctx->mode = TOKEN_INTROSPECT;
	return (FLOW_NEXT);
}

/* Read 'token' and decide whether it looks like a JWT access token. */
static int
token_read_subject(struct http_request *req, struct flow *f, int *is_jwt)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*hint;
	char			 error[FORM_ERROR_MAX];

	if (form_field(&ctx->form, "token", JWT_TOKEN_MAX, 1, &ctx->token,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "token_type_hint", 32, 0, &hint, error,
	    sizeof(error)) == -1) {
		(void)token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error);
		return (-1);
	}
	/* The hint only speeds up a lookup (RFC 7009 section 2.1): the
	 * shape of the token decides, since refresh tokens have no dot. */
	*is_jwt = strchr(ctx->token, '.') != NULL;
	return (0);
}

static enum flow_result
token_revoke(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*params[2], *client;
	char			 hash[65], error[JWT_ERROR_MAX], exp[32], id[32];
	json_int_t		 expires;
	int			 is_jwt;

	if (token_read_subject(req, f, &is_jwt) == -1)
		return (FLOW_DONE);

	if (!is_jwt) {
		util_sha256_hex(ctx->token, strlen(ctx->token), hash);
		snprintf(id, sizeof(id), "%lld", ctx->client_pk);
		params[0] = hash;
		params[1] = id;
		return (flow_query(req, f, revoke_refresh_sql, 2, params));
	}

	/* Invalid and expired tokens need no revocation: respond 200. */
	if (jwt_verify(&orgo_keys, ctx->token, strlen(ctx->token), "at+jwt",
	    (long)time(NULL), &ctx->claims, error, sizeof(error)) == -1) {
		token_send(req, f, json_object());
		return (FLOW_DONE);
	}
	client = json_string_value(json_object_get(ctx->claims, "client_id"));
	if (client == NULL || strcmp(client, ctx->client_id) != 0)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "unauthorized_client", "the token was issued to another "
		    "client"));
	expires = json_integer_value(json_object_get(ctx->claims, "exp"));
	snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	params[0] = json_string_value(json_object_get(ctx->claims, "jti"));
	params[1] = exp;
	if (params[0] == NULL) {
		token_send(req, f, json_object());
		return (FLOW_DONE);
	}
	return (flow_query(req, f, revoke_access_sql, 2, params));
}

static enum flow_result
revoke_done(struct http_request *req, struct flow *f)
{
	/* For a refresh token: found, but owned by another client. */
	if (flow_rows(f) == 1 && flow_value(f, 0, 0)[0] == 't' &&
	    flow_value(f, 0, 1)[0] != 't')
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "unauthorized_client", "the token was issued to another "
		    "client"));

	kore_log(LOG_INFO, "revoke: request by client %s",
	    ((struct token_ctx *)f->ctx)->client_id);
	token_send(req, f, json_object());
	return (FLOW_DONE);
}

static const flow_step	revoke_steps[] = {
	token_mode_revoke, token_parse, token_client_query,
	token_authenticate, revoke_done,
};

int
oauth_revoke(struct http_request *req)
{
	return (token_endpoint(req, "revocation", 1, revoke_steps,
	    ORGO_NITEMS(revoke_steps)));
}

/* ---- Introspection (RFC 7662) --------------------------------------- */

/* Columns: active, subject, scopes, client_id, exp, iat. */
static const char	introspect_refresh_sql[] =
    "SELECT r.used_at IS NULL AND r.expires_at > now() AND g.revoked_at IS"
    " NULL AND g.refresh_expires_at > now() AND m.status = 'active',"
    " m.subject, r.scopes, c.client_id,"
    " floor(extract(epoch FROM least(r.expires_at, g.refresh_expires_at)))::bigint,"
    " floor(extract(epoch FROM r.created_at))::bigint"
    " FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id"
    " JOIN clients c ON c.id = g.client_id JOIN members m ON m.id ="
    " g.member_id WHERE r.token_hash = $1 AND g.client_id = $2";

/* An access token is active while its grant, app and member are. */
static const char	introspect_access_sql[] =
    "SELECT (NOT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti ="
    " $1)) AND EXISTS (SELECT 1 FROM clients WHERE client_id = $2) AND"
    " ($3::text IS NULL OR EXISTS (SELECT 1 FROM grants g JOIN members m"
    " ON m.id = g.member_id WHERE g.grant_key = $3 AND g.revoked_at IS"
    " NULL AND m.status = 'active'))";

static enum flow_result
token_introspect(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*params[3];
	char			 hash[65], error[JWT_ERROR_MAX], id[32];
	int			 is_jwt;

	if (ctx->is_public)
		return (token_error(req, f, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_client", "introspection needs a confidential "
		    "client"));
	if (token_read_subject(req, f, &is_jwt) == -1)
		return (FLOW_DONE);

	if (!is_jwt) {
		util_sha256_hex(ctx->token, strlen(ctx->token), hash);
		snprintf(id, sizeof(id), "%lld", ctx->client_pk);
		params[0] = hash;
		params[1] = id;
		return (flow_query(req, f, introspect_refresh_sql, 2, params));
	}

	if (jwt_verify(&orgo_keys, ctx->token, strlen(ctx->token), "at+jwt",
	    (long)time(NULL), &ctx->claims, error, sizeof(error)) == -1 ||
	    json_string_value(json_object_get(ctx->claims, "iss")) == NULL ||
	    strcmp(json_string_value(json_object_get(ctx->claims, "iss")),
	    orgo_settings.issuer) != 0) {
		token_send(req, f, json_pack("{s:b}", "active", 0));
		return (FLOW_DONE);
	}
	params[0] = json_string_value(json_object_get(ctx->claims, "jti"));
	params[1] = json_string_value(json_object_get(ctx->claims,
	    "client_id"));
	params[2] = json_string_value(json_object_get(ctx->claims, "gid"));
	if (params[0] == NULL || params[1] == NULL) {
		token_send(req, f, json_pack("{s:b}", "active", 0));
		return (FLOW_DONE);
	}
	return (flow_query(req, f, introspect_access_sql, 3, params));
}

static enum flow_result
introspect_done(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	json_t			*body, *claims;

	if (flow_rows(f) != 1 || flow_value(f, 0, 0)[0] != 't') {
		token_send(req, f, json_pack("{s:b}", "active", 0));
		return (FLOW_DONE);
	}

	if (ctx->claims == NULL) {
		body = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I, s:s, s:s}",
		    "active", 1, "sub", flow_value(f, 0, 1),
		    "scope", flow_value(f, 0, 2),
		    "client_id", flow_value(f, 0, 3),
		    "exp", (json_int_t)strtoll(flow_value(f, 0, 4), NULL, 10),
		    "iat", (json_int_t)strtoll(flow_value(f, 0, 5), NULL, 10),
		    "iss", orgo_settings.issuer,
		    "token_type", "refresh_token");
		token_send(req, f, body);
		return (FLOW_DONE);
	}

	claims = ctx->claims;
	body = json_pack("{s:b, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:s}",
	    "active", 1, "sub", json_object_get(claims, "sub"),
	    "scope", json_object_get(claims, "scope"),
	    "client_id", json_object_get(claims, "client_id"),
	    "exp", json_object_get(claims, "exp"),
	    "iat", json_object_get(claims, "iat"),
	    "iss", json_object_get(claims, "iss"),
	    "aud", json_object_get(claims, "aud"),
	    "jti", json_object_get(claims, "jti"),
	    "token_type", "Bearer");
	if (body == NULL) {
		token_send(req, f, json_pack("{s:b}", "active", 0));
		return (FLOW_DONE);
	}
	token_send(req, f, body);
	return (FLOW_DONE);
}

static const flow_step	introspect_steps[] = {
	token_mode_introspect, token_parse, token_client_query,
	token_authenticate, introspect_done,
};

int
oauth_introspect(struct http_request *req)
{
	return (token_endpoint(req, "introspection", 0, introspect_steps,
	    ORGO_NITEMS(introspect_steps)));
}

/* ---- Device authorization (RFC 8628 section 3.1) -------------------- */

static enum flow_result
token_mode_device(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;

	ctx->mode = TOKEN_DEVICE_AUTHORIZATION;
	return (FLOW_NEXT);
}

/* After client authentication: may this app start one, for these scopes? */
static enum flow_result
device_authorization_check(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*scope;
	char			 error[FORM_ERROR_MAX];

	if (!ctx->device_grant)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "unauthorized_client", "this application may not use the "
		    "device authorization grant: an administrator can allow "
		    "it in the application's settings"));
	if (form_field(&ctx->form, "scope", SCOPES_MAX_LEN, 0, &scope, error,
	    sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", error));

	/* The same rule as the authorization endpoint's. */
	if (scopes_parse(scope, strlen(scope), &ctx->scopes, error,
	    sizeof(error)) == -1)
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_scope", error));
	if (!scopes_subset(ctx->scopes, ctx->allowed | SCOPE_OPENID |
	    SCOPE_OFFLINE_ACCESS))
		return (token_error(req, f, HTTP_STATUS_BAD_REQUEST,
		    "invalid_scope", "scope asks for a scope this application "
		    "may not request"));
	(void)scopes_format(ctx->scopes, ctx->scope_text,
	    sizeof(ctx->scope_text));

	return (FLOW_NEXT);
}

/* A user code already in use leaves the insert without a row. */
static const char	device_insert_sql[] =
    "INSERT INTO device_authorizations (device_code_hash, user_code_hash,"
    " client_id, scopes, poll_interval, expires_at) VALUES ($1, $2, $3, $4,"
    " $5, now() + make_interval(secs => $6::int)) ON CONFLICT DO NOTHING"
    " RETURNING id";

static enum flow_result
device_authorization_insert(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	const char		*params[6];
	char			 device_hash[65], user_hash[65], client[32];
	char			 interval[16], ttl[32];

	if (util_token_new(ctx->device_code) == -1 ||
	    device_user_code_new(ctx->user_code) == -1)
		return (FLOW_DB_ERROR);
	util_sha256_hex(ctx->device_code, UTIL_TOKEN_LEN, device_hash);
	if (orgo_user_code_hash(ctx->user_code, user_hash) == -1)
		return (FLOW_DB_ERROR);
	snprintf(client, sizeof(client), "%lld", ctx->client_pk);
	snprintf(interval, sizeof(interval), "%d", DEVICE_POLL_INTERVAL);
	snprintf(ttl, sizeof(ttl), "%ld", orgo_settings.device_code_ttl);

	params[0] = device_hash;
	params[1] = user_hash;
	params[2] = client;
	params[3] = ctx->scope_text;
	params[4] = interval;
	params[5] = ttl;
	return (flow_query(req, f, device_insert_sql, 6, params));
}

static enum flow_result
device_authorization_send(struct http_request *req, struct flow *f)
{
	struct token_ctx	*ctx = f->ctx;
	char			 shown[DEVICE_USER_CODE_SHOWN_MAX];
	char			 uri[1024], complete[1100];
	json_t			*body;

	if (flow_rows(f) != 1) {
		if (++ctx->device_tries < DEVICE_INSERT_TRIES)
			return (flow_jump(f, device_authorization_insert));
		kore_log(LOG_ERR, "device: client %s: no free user code after "
		    "%d tries", ctx->client_id, ctx->device_tries);
		return (token_error(req, f, HTTP_STATUS_SERVICE_UNAVAILABLE,
		    "temporarily_unavailable", "no device authorization could "
		    "be stored: try again"));
	}

	device_user_code_show(ctx->user_code, shown);
	snprintf(uri, sizeof(uri), "%s/device", orgo_settings.issuer);
	snprintf(complete, sizeof(complete), "%s?user_code=%s", uri, shown);
	body = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}",
	    "device_code", ctx->device_code, "user_code", shown,
	    "verification_uri", uri, "verification_uri_complete", complete,
	    "expires_in", (json_int_t)orgo_settings.device_code_ttl,
	    "interval", (json_int_t)DEVICE_POLL_INTERVAL);

	kore_log(LOG_INFO, "device: authorization started for client %s",
	    ctx->client_id);
	token_send(req, f, body);
	util_wipe(ctx->device_code, sizeof(ctx->device_code));
	util_wipe(ctx->user_code, sizeof(ctx->user_code));
	return (FLOW_DONE);
}

static const flow_step	device_authorization_steps[] = {
	token_mode_device, token_parse, token_client_query,
	token_authenticate, device_authorization_insert,
	device_authorization_send,
};

int
oauth_device_authorization(struct http_request *req)
{
	return (token_endpoint(req, "device authorization", 0,
	    device_authorization_steps,
	    ORGO_NITEMS(device_authorization_steps)));
}
