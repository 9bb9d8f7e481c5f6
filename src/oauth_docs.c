/*
 * GET /oauth/docs: the documentation page for integrators, public.
 *
 * Every URL, lifetime and role name on the page comes from the running
 * settings and the roles table, so the page describes this deployment and
 * cannot drift from it. ?client_id=X puts X into the examples when it has
 * the shape of a client_id. The page never looks the application up, so
 * it reveals nothing about which applications are registered.
 */
#include <string.h>

#include "flow.h"
#include "form.h"
#include "oauth.h"
#include "orgo.h"
#include "page.h"
#include "scopes.h"

#define DOCS_CLIENT_ID_PLACEHOLDER	"YOUR_CLIENT_ID"
/* ORGO_ISSUER is at most 4096 bytes (settings.c) and every path fits in 64. */
#define DOCS_URL_MAX		(4096 + 64)
#define DOCS_DURATION_MAX	64
#define DOCS_NUMBER_MAX		32
/* Maximum roles listed, so a huge roles table cannot exceed HTML_BUF_MAX. */
#define DOCS_ROLES_MAX		500
/* Roles shown in the example userinfo response. */
#define DOCS_EXAMPLE_ROLES	2

enum docs_endpoint {
	DOCS_AUTHORIZE, DOCS_TOKEN, DOCS_USERINFO, DOCS_JWKS,
	DOCS_OPENID_CONFIGURATION, DOCS_OAUTH_METADATA, DOCS_REVOKE,
	DOCS_INTROSPECT, DOCS_LOGOUT, DOCS_DEVICE_AUTHORIZATION, DOCS_DEVICE,
	DOCS_ENDPOINT_COUNT
};

/* Paths served by conf/routes.conf, indexed by enum docs_endpoint. */
static const char *const	docs_paths[DOCS_ENDPOINT_COUNT] = {
	"/oauth/authorize", "/oauth/token", "/oauth/userinfo", "/oauth/jwks",
	"/.well-known/openid-configuration",
	"/.well-known/oauth-authorization-server", "/oauth/revoke",
	"/oauth/introspect", "/oauth/logout", "/oauth/device_authorization",
	"/device",
};

/* What each scope adds, next to the consent text from scopes.c. */
static const struct docs_scope {
	unsigned int	 scope;
	const char	*claims;	/* space-separated, NULL for none */
	const char	*note;
} docs_scopes[] = {
	{ SCOPE_OPENID, NULL, "An id_token in the token response (OpenID "
	    "Connect). Every application may request it." },
	{ SCOPE_PROFILE, "name picture updated_at", "picture is left out "
	    "when the member has none. updated_at is a Unix time in "
	    "seconds." },
	{ SCOPE_EMAIL, "email email_verified", "email_verified is true or "
	    "false." },
	{ SCOPE_GROUPS, "groups", "An array of group names, [] when the "
	    "member belongs to none." },
	{ SCOPE_ROLES, "roles", "An array of role names, [] when the member "
	    "has none. The names are listed under Roles and permissions." },
	{ SCOPE_OFFLINE_ACCESS, NULL, "No claims. Every application may "
	    "request it. This server issues a refresh token with every code "
	    "exchange whether or not it is requested. Requesting it tells the "
	    "member on the consent page that your application stays "
	    "connected." },
};

/* One more than DOCS_ROLES_MAX, to tell when the list is cut. */
static const char	docs_roles_sql[] =
    "SELECT name FROM roles ORDER BY name LIMIT 501";

struct docs_ctx {
	char	client_id[OAUTH_CLIENT_ID_MAX + 1];
	int	client_id_given;
	char	urls[DOCS_ENDPOINT_COUNT][DOCS_URL_MAX];
	char	access_ttl[DOCS_DURATION_MAX];
	char	access_ttl_seconds[DOCS_NUMBER_MAX];
	char	code_ttl[DOCS_DURATION_MAX];
	char	refresh_ttl[DOCS_DURATION_MAX];
	char	refresh_idle[DOCS_DURATION_MAX];
	char	rate_limit[128];
	char	roles_max[DOCS_NUMBER_MAX];
};

/* Fragments of the page built from the roles table and the scope list. */
struct docs_fragments {
	struct html_buf	 scope_rows;	/* HTML */
	struct html_buf	 role_items;	/* HTML */
	struct html_buf	 role_mapping;	/* plain text, escaped on render */
	struct html_buf	 role_example;	/* plain text, escaped on render */
	size_t		 role_count;
	int		 roles_cut;
};

int	oauth_docs(struct http_request *);

static enum flow_result	docs_parse(struct http_request *, struct flow *);
static enum flow_result	docs_roles_query(struct http_request *,
			    struct flow *);
static enum flow_result	docs_show(struct http_request *, struct flow *);

static const flow_step	docs_steps[] = {
	SESSION_STEPS, docs_parse, docs_roles_query, docs_show,
};

int
oauth_docs(struct http_request *req)
{
	return (flow_run(req, docs_steps, ORGO_NITEMS(docs_steps),
	    sizeof(struct docs_ctx), NULL, FLOW_HTML));
}

/* Return 1 when 's' has the shape of a client_id: [A-Za-z0-9_-]{1,64}. */
static int
docs_client_id_valid(const char *s)
{
	size_t	len;

	len = strlen(s);
	if (len == 0 || len > OAUTH_CLIENT_ID_MAX)
		return (0);
	return (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == len);
}

/*
 * Keep a valid ?client_id for the examples. Anything else, including a
 * query that does not parse, makes the examples show the placeholder.
 * That is not an error for a documentation page, so nothing is logged,
 * and an invalid value is never echoed, so a crafted link cannot inject
 * markup into the page.
 */
static enum flow_result
docs_parse(struct http_request *req, struct flow *f)
{
	struct docs_ctx	*ctx = f->ctx;
	struct urlform	 form;
	const char	*value;
	char		 error[FORM_ERROR_MAX];

	(void)kore_strlcpy(ctx->client_id, DOCS_CLIENT_ID_PLACEHOLDER,
	    sizeof(ctx->client_id));
	if (form_read_query(req, &form, error, sizeof(error)) == 0 &&
	    form_field(&form, "client_id", OAUTH_CLIENT_ID_MAX, 0, &value,
	    error, sizeof(error)) == 0 && docs_client_id_valid(value)) {
		(void)kore_strlcpy(ctx->client_id, value,
		    sizeof(ctx->client_id));
		ctx->client_id_given = 1;
	}
	urlform_free(&form);

	return (FLOW_NEXT);
}

static enum flow_result
docs_roles_query(struct http_request *req, struct flow *f)
{
	return (flow_query(req, f, docs_roles_sql, 0, NULL));
}

/*
 * Write 'seconds' in days, hours, minutes and seconds, largest first and
 * without the zero parts: 900 is "15 minutes", 5400 "1 hour 30 minutes".
 */
static void
docs_duration(long seconds, char *out, size_t out_len)
{
	static const struct {
		long		 size;
		const char	*name;
	} units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" },
		{ 1, "second" },
	};
	size_t		i, used;
	long		rest, count;
	int		n;

	out[0] = '\0';
	used = 0;
	rest = seconds;
	for (i = 0; i < ORGO_NITEMS(units); i++) {
		count = rest / units[i].size;
		rest %= units[i].size;
		if (count == 0)
			continue;
		n = snprintf(out + used, out_len - used, "%s%ld %s%s",
		    used > 0 ? " " : "", count, units[i].name,
		    count == 1 ? "" : "s");
		if (n < 0 || (size_t)n >= out_len - used)
			fatal("docs: duration of %ld s does not fit", seconds);
		used += (size_t)n;
	}
}

/* Fill in the URLs, lifetimes and rate limit from the settings. */
static void
docs_settings(struct docs_ctx *ctx)
{
	size_t	i;
	int	n;

	for (i = 0; i < DOCS_ENDPOINT_COUNT; i++) {
		n = snprintf(ctx->urls[i], sizeof(ctx->urls[i]), "%s%s",
		    orgo_settings.issuer, docs_paths[i]);
		if (n < 0 || (size_t)n >= sizeof(ctx->urls[i]))
			fatal("docs: the URL of %s does not fit",
			    docs_paths[i]);
	}

	docs_duration(orgo_settings.access_token_ttl, ctx->access_ttl,
	    sizeof(ctx->access_ttl));
	snprintf(ctx->access_ttl_seconds, sizeof(ctx->access_ttl_seconds),
	    "%ld", orgo_settings.access_token_ttl);
	docs_duration(orgo_settings.code_ttl, ctx->code_ttl,
	    sizeof(ctx->code_ttl));
	docs_duration(orgo_settings.refresh_token_ttl, ctx->refresh_ttl,
	    sizeof(ctx->refresh_ttl));
	docs_duration(orgo_settings.refresh_token_idle, ctx->refresh_idle,
	    sizeof(ctx->refresh_idle));

	if (orgo_settings.token_rate_limit == 0)
		(void)kore_strlcpy(ctx->rate_limit, "This server sets no such "
		    "limit.", sizeof(ctx->rate_limit));
	else
		snprintf(ctx->rate_limit, sizeof(ctx->rate_limit), "The limit "
		    "here is %ld requests per second per client_id.",
		    orgo_settings.token_rate_limit);
	snprintf(ctx->roles_max, sizeof(ctx->roles_max), "%d",
	    DOCS_ROLES_MAX);
}

static const struct docs_scope *
docs_scope_find(unsigned int scope)
{
	size_t	i;

	for (i = 0; i < ORGO_NITEMS(docs_scopes); i++) {
		if (docs_scopes[i].scope == scope)
			return (&docs_scopes[i]);
	}
	return (NULL);
}

static int
docs_append(struct html_buf *b, const char *s)
{
	return (html_buf_append(b, s, strlen(s)));
}

static int
docs_append_escaped(struct html_buf *b, const char *s)
{
	return (html_buf_append_escaped(b, s, strlen(s)));
}

/* Append each name of the space-separated 'claims' as <code>name</code>. */
static int
docs_append_claims(struct html_buf *b, const char *claims)
{
	const char	*p, *end;

	for (p = claims; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, " ");
		if (docs_append(b, p == claims ? "<code>" : ", <code>") == -1 ||
		    html_buf_append_escaped(b, p, (size_t)(end - p)) == -1 ||
		    docs_append(b, "</code>") == -1)
			return (-1);
	}
	return (0);
}

/* Append the table row of 'scope'. data-label names the column on phones. */
static int
docs_scope_row(struct html_buf *b, unsigned int scope)
{
	const struct docs_scope	*info;
	const char		*consent;
	char			 name[SCOPES_FORMAT_MAX];

	(void)scopes_format(scope, name, sizeof(name));
	info = docs_scope_find(scope);
	consent = scopes_description(scope);

	if (docs_append(b, "<tr><th scope=\"row\"><code>") == -1 ||
	    docs_append_escaped(b, name) == -1 ||
	    docs_append(b, "</code></th><td data-label=\"Claims\">") == -1)
		return (-1);
	if (info != NULL && info->claims != NULL &&
	    docs_append_claims(b, info->claims) == -1)
		return (-1);
	if ((info == NULL || info->claims == NULL) &&
	    docs_append(b, "none") == -1)
		return (-1);
	if (docs_append(b, "<p class=\"muted\">") == -1 ||
	    docs_append_escaped(b, info != NULL ? info->note : "") == -1 ||
	    docs_append(b, "</p></td><td data-label=\"Consent page\">") == -1 ||
	    docs_append_escaped(b, consent != NULL ? consent : "") == -1)
		return (-1);
	return (docs_append(b, "</td></tr>\n"));
}

static int
docs_scope_rows(struct html_buf *b)
{
	unsigned int	scope;

	for (scope = 1; scope & SCOPES_ALL; scope <<= 1) {
		if (docs_scope_row(b, scope) == -1)
			return (-1);
	}
	return (0);
}

/* JavaScript printed before and after the role keys of the permission map. */
static const char	docs_mapping_head[] =
    "// Your application's permissions for each Orgo role. Fill in the "
    "lists.\n"
    "const PERMISSIONS_BY_ROLE = {\n";
static const char	docs_mapping_tail[] =
    "};\n"
    "\n"
    "// The permissions of a member, from the roles claim of "
    "/oauth/userinfo.\n"
    "// A role that is not in the map grants nothing.\n"
    "function permissionsOf(userinfo) {\n"
    "  const roles = Array.isArray(userinfo.roles) ? userinfo.roles : [];\n"
    "  return new Set(roles.flatMap((role) =>\n"
    "    Object.hasOwn(PERMISSIONS_BY_ROLE, role) ? PERMISSIONS_BY_ROLE[role] "
    ": []));\n"
    "}";

/* Add role number 'i' to the list, the map and the example claim. */
static int
docs_role_append(struct docs_fragments *out, const char *name, size_t i)
{
	if (docs_append(&out->role_items, "<li><code>") == -1 ||
	    docs_append_escaped(&out->role_items, name) == -1 ||
	    docs_append(&out->role_items, "</code></li>\n") == -1)
		return (-1);

	/* Role names match ^[A-Z][A-Z0-9_]*$ (roles table CHECK), so they
	 * are valid JavaScript keys and JSON strings as they are. */
	if (docs_append(&out->role_mapping, "  ") == -1 ||
	    docs_append(&out->role_mapping, name) == -1 ||
	    docs_append(&out->role_mapping, ": [],\n") == -1)
		return (-1);

	if (i >= DOCS_EXAMPLE_ROLES)
		return (0);
	if (docs_append(&out->role_example, i > 0 ? ", \"" : "\"") == -1 ||
	    docs_append(&out->role_example, name) == -1 ||
	    docs_append(&out->role_example, "\"") == -1)
		return (-1);
	return (0);
}

/*
 * The role list, a permission map to fill in, and the roles claim of the
 * example userinfo response, all with the names of the roles table.
 */
static int
docs_roles(struct flow *f, struct docs_fragments *out)
{
	size_t	i;

	out->role_count = (size_t)flow_rows(f);
	if (out->role_count > DOCS_ROLES_MAX) {
		out->role_count = DOCS_ROLES_MAX;
		out->roles_cut = 1;
	}

	if (docs_append(&out->role_mapping, docs_mapping_head) == -1 ||
	    docs_append(&out->role_example, "[") == -1)
		return (-1);
	for (i = 0; i < out->role_count; i++) {
		if (docs_role_append(out, flow_value(f, (int)i, 0), i) == -1)
			return (-1);
	}
	if (docs_append(&out->role_mapping, docs_mapping_tail) == -1 ||
	    docs_append(&out->role_example, "]") == -1)
		return (-1);
	return (0);
}

static void
docs_fragments_free(struct docs_fragments *frag)
{
	html_buf_free(&frag->scope_rows);
	html_buf_free(&frag->role_items);
	html_buf_free(&frag->role_mapping);
	html_buf_free(&frag->role_example);
}

static void
docs_render(struct http_request *req, struct flow *f,
    const struct docs_fragments *frag)
{
	struct docs_ctx		*ctx = f->ctx;
	struct html_buf		 body;

	struct template_var	vars[] = {
		{ "issuer", orgo_settings.issuer },
		{ "authorize_url", ctx->urls[DOCS_AUTHORIZE] },
		{ "token_url", ctx->urls[DOCS_TOKEN] },
		{ "userinfo_url", ctx->urls[DOCS_USERINFO] },
		{ "jwks_url", ctx->urls[DOCS_JWKS] },
		{ "openid_configuration_url",
		    ctx->urls[DOCS_OPENID_CONFIGURATION] },
		{ "oauth_metadata_url", ctx->urls[DOCS_OAUTH_METADATA] },
		{ "revoke_url", ctx->urls[DOCS_REVOKE] },
		{ "introspect_url", ctx->urls[DOCS_INTROSPECT] },
		{ "logout_url", ctx->urls[DOCS_LOGOUT] },
		{ "device_authorization_url",
		    ctx->urls[DOCS_DEVICE_AUTHORIZATION] },
		{ "device_url", ctx->urls[DOCS_DEVICE] },
		{ "client_id", ctx->client_id },
		{ "client_id_given_class", ctx->client_id_given ? "" :
		    "hidden" },
		{ "client_id_missing_class", ctx->client_id_given ? "hidden" :
		    "" },
		{ "access_ttl", ctx->access_ttl },
		{ "access_ttl_seconds", ctx->access_ttl_seconds },
		{ "code_ttl", ctx->code_ttl },
		{ "refresh_ttl", ctx->refresh_ttl },
		{ "refresh_idle", ctx->refresh_idle },
		{ "rate_limit", ctx->rate_limit },
		{ "roles_max", ctx->roles_max },
		{ "scope_rows", frag->scope_rows.data },
		{ "role_items", frag->role_items.data },
		{ "role_mapping", frag->role_mapping.data },
		{ "role_example", frag->role_example.data },
		{ "roles_none_class", frag->role_count == 0 ? "" : "hidden" },
		{ "roles_cut_class", frag->roles_cut ? "" : "hidden" },
	};

	memset(&body, 0, sizeof(body));
	if (page_render(&body, "docs.html", vars, ORGO_NITEMS(vars)) == -1) {
		html_buf_free(&body);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}
	page_send(req, HTTP_STATUS_OK, "OAuth documentation", body.data,
	    &f->session);
	html_buf_free(&body);
}

static enum flow_result
docs_show(struct http_request *req, struct flow *f)
{
	struct docs_ctx		*ctx = f->ctx;
	struct docs_fragments	 frag;

	memset(&frag, 0, sizeof(frag));
	docs_settings(ctx);
	if (docs_scope_rows(&frag.scope_rows) == -1 ||
	    docs_roles(f, &frag) == -1) {
		kore_log(LOG_ERR, "docs: the page is larger than %d bytes",
		    HTML_BUF_MAX);
		docs_fragments_free(&frag);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return (FLOW_DONE);
	}

	docs_render(req, f, &frag);
	docs_fragments_free(&frag);
	return (FLOW_DONE);
}
