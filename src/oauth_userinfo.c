/*
 * GET|POST /oauth/userinfo (OpenID Connect Core section 5.3) with a bearer
 * access token (RFC 6750): from the Authorization header or a form body,
 * never from the query string.
 *
 * The token must be an RS256 "at+jwt" from this issuer signed by a
 * published key (jwt_verify() pins the algorithm and key id). Then one
 * query checks what a signature cannot: the grant is not revoked, the
 * application still exists and the member is active, and returns the
 * member's current data.
 */
#include <string.h>

#include "basic_auth.h"
#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "oauth.h"
#include "orgo.h"
#include "scopes.h"

struct userinfo_ctx {
	struct urlform	 form;
	int		 form_loaded;
	json_t		*claims;
	unsigned int	 scopes;
	const char	*params[4];	/* gid, client_id, sub, jti: in claims */
};

int	oauth_userinfo(struct http_request *);

static void
userinfo_ctx_free(void *arg)
{
	struct userinfo_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	if (ctx->claims != NULL)
		json_decref(ctx->claims);
}

/* 401 with the RFC 6750 section 3 challenge. */
static enum flow_result
userinfo_reject(struct http_request *req, int status, const char *error,
    const char *description)
{
	char	header[256];

	if (error == NULL) {
		/* No credentials at all: a bare challenge (section 3.1). */
		http_response_header(req, "www-authenticate",
		    "Bearer realm=\"orgo\"");
		http_util_json_error(req, status, "invalid_request",
		    description);
		return (FLOW_DONE);
	}
	kore_log(LOG_INFO, "userinfo: %s: %s", error, description);
	snprintf(header, sizeof(header), "Bearer realm=\"orgo\", error=\"%s\", "
	    "error_description=\"%s\"", error, description);
	http_response_header(req, "www-authenticate", header);
	http_util_json_error(req, status, error, description);
	return (FLOW_DONE);
}

/* Find the token: Authorization header or form body, exactly one. */
static enum flow_result
userinfo_token(struct http_request *req, struct userinfo_ctx *ctx,
    const char **token)
{
	const char	*header, *body_token, *type;
	char		 error[FORM_ERROR_MAX];
	int		 in_header, in_body;

	*token = NULL;
	if (req->query_string != NULL &&
	    strstr(req->query_string, "access_token=") != NULL)
		return (userinfo_reject(req, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", "the access token must not be sent in "
		    "the query string; use the Authorization header"));

	in_header = http_request_header(req, "authorization", &header);
	in_body = 0;
	if (req->method == HTTP_METHOD_POST &&
	    http_request_header(req, "content-type", &type) &&
	    strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0) {
		if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1)
			return (userinfo_reject(req, HTTP_STATUS_BAD_REQUEST,
			    "invalid_request", error));
		ctx->form_loaded = 1;
		if (form_field(&ctx->form, "access_token", JWT_TOKEN_MAX, 0,
		    &body_token, error, sizeof(error)) == -1)
			return (userinfo_reject(req, HTTP_STATUS_BAD_REQUEST,
			    "invalid_request", error));
		in_body = body_token[0] != '\0';
	}

	if (in_header && in_body)
		return (userinfo_reject(req, HTTP_STATUS_BAD_REQUEST,
		    "invalid_request", "send the access token in one place "
		    "only"));
	if (in_body) {
		*token = body_token;
		return (FLOW_NEXT);
	}
	if (!in_header)
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED, NULL,
		    "an access token is required"));
	switch (bearer_token_parse(header, token)) {
	case 0:
		return (FLOW_NEXT);
	case 1:
		/* Another scheme counts as no credentials (section 3.1). */
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED, NULL,
		    "the Authorization header must use the Bearer scheme"));
	default:
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_token", "the bearer token is empty or not in "
		    "the b64token syntax of RFC 6750 section 2.1"));
	}
}

/* Columns: subject, name, picture, updated_at, email, email_verified,
 * groups (JSON), roles (JSON), redirect URIs (for CORS). */
static const char	userinfo_sql[] =
    "SELECT * FROM oauth_userinfo($1, $2, $3, $4)";

static enum flow_result
userinfo_verify(struct http_request *req, struct flow *f)
{
	struct userinfo_ctx	*ctx = f->ctx;
	const char		*token, *iss, *gid, *client, *sub, *scope, *jti;
	char			 error[JWT_ERROR_MAX];
	enum flow_result	 r;

	if ((r = userinfo_token(req, ctx, &token)) != FLOW_NEXT)
		return (r);

	if (jwt_verify(&orgo_keys, token, strlen(token), "at+jwt",
	    (long)time(NULL), &ctx->claims, error, sizeof(error)) == -1)
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_token", error));

	iss = json_string_value(json_object_get(ctx->claims, "iss"));
	gid = json_string_value(json_object_get(ctx->claims, "gid"));
	client = json_string_value(json_object_get(ctx->claims, "client_id"));
	sub = json_string_value(json_object_get(ctx->claims, "sub"));
	scope = json_string_value(json_object_get(ctx->claims, "scope"));
	jti = json_string_value(json_object_get(ctx->claims, "jti"));
	if (iss == NULL || strcmp(iss, orgo_settings.issuer) != 0)
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_token", "wrong issuer"));
	if (gid == NULL || client == NULL || sub == NULL || scope == NULL ||
	    jti == NULL)
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_token", "the token was not issued for a member"));
	if (scopes_parse(scope, strlen(scope), &ctx->scopes, error,
	    sizeof(error)) == -1)
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_token", "invalid scope claim"));

	ctx->params[0] = gid;
	ctx->params[1] = client;
	ctx->params[2] = sub;
	ctx->params[3] = jti;
	return (FLOW_NEXT);
}

/*
 * A step of its own: a step that waits for a free database connection runs
 * again, and the token must be read and verified only once.
 */
static enum flow_result
userinfo_query(struct http_request *req, struct flow *f)
{
	struct userinfo_ctx	*ctx = f->ctx;

	return (flow_query(req, f, userinfo_sql, 4, ctx->params));
}

static enum flow_result
userinfo_send(struct http_request *req, struct flow *f)
{
	struct userinfo_ctx	*ctx = f->ctx;
	json_t			*body;

	if (flow_rows(f) != 1)
		return (userinfo_reject(req, HTTP_STATUS_UNAUTHORIZED,
		    "invalid_token", "the grant was revoked, or the "
		    "application or member no longer exists or is disabled"));

	body = json_pack("{s:s}", "sub", flow_value(f, 0, 0));
	if (ctx->scopes & SCOPE_PROFILE) {
		json_object_set_new(body, "name",
		    json_string(flow_value(f, 0, 1)));
		if (flow_value(f, 0, 2) != NULL)
			json_object_set_new(body, "picture",
			    json_string(flow_value(f, 0, 2)));
		json_object_set_new(body, "updated_at",
		    json_integer(strtoll(flow_value(f, 0, 3), NULL, 10)));
	}
	if (ctx->scopes & SCOPE_EMAIL) {
		json_object_set_new(body, "email",
		    json_string(flow_value(f, 0, 4)));
		json_object_set_new(body, "email_verified",
		    json_boolean(flow_value(f, 0, 5)[0] == 't'));
	}
	if (ctx->scopes & SCOPE_GROUPS)
		json_object_set_new(body, "groups",
		    json_loads(flow_value(f, 0, 6), 0, NULL));
	if (ctx->scopes & SCOPE_ROLES)
		json_object_set_new(body, "roles",
		    json_loads(flow_value(f, 0, 7), 0, NULL));

	oauth_cors(req, flow_value(f, 0, 8));
	http_util_json(req, HTTP_STATUS_OK, body);
	return (FLOW_DONE);
}

static const flow_step	userinfo_steps[] = {
	userinfo_verify, userinfo_query, userinfo_send,
};

int
oauth_userinfo(struct http_request *req)
{
	if (req->method == HTTP_METHOD_OPTIONS)
		return (oauth_preflight(req));
	if (req->method != HTTP_METHOD_GET && req->method != HTTP_METHOD_POST) {
		http_response_header(req, "allow", "GET, POST, OPTIONS");
		http_util_json_error(req, HTTP_STATUS_METHOD_NOT_ALLOWED,
		    "invalid_request", "userinfo accepts GET and POST");
		return (KORE_RESULT_OK);
	}
	return (flow_run(req, userinfo_steps, ORGO_NITEMS(userinfo_steps),
	    sizeof(struct userinfo_ctx), userinfo_ctx_free, FLOW_JSON));
}
