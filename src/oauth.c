#include <string.h>

#include "cors.h"
#include "flow.h"
#include "http_util.h"
#include "oauth.h"
#include "orgo.h"
#include "urlform.h"

int
oauth_url_param(struct html_buf *url, const char *name, const char *value)
{
	char	*encoded;
	size_t	 need, len;
	int	 rc;

	len = strlen(value);
	need = urlform_encode(value, len, NULL, 0);
	encoded = kore_malloc(need + 1);
	(void)urlform_encode(value, len, encoded, need + 1);

	rc = html_buf_append(url, memchr(url->data, '?', url->len) ? "&" : "?",
	    1);
	if (rc == 0)
		rc = html_buf_append(url, name, strlen(name));
	if (rc == 0)
		rc = html_buf_append(url, "=", 1);
	if (rc == 0)
		rc = html_buf_append(url, encoded, need);
	kore_free(encoded);
	return (rc);
}

static void
oauth_redirect(struct http_request *req, struct html_buf *url)
{
	if (html_buf_append(url, "", 1) == -1) {
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}
	http_response_header(req, "location", url->data);
	http_response_header(req, "cache-control", "no-store");
	http_response_header(req, "referrer-policy", "no-referrer");
	http_response(req, HTTP_STATUS_FOUND, NULL, 0);
}

void
oauth_redirect_error(struct http_request *req, const char *redirect_uri,
    const char *error, const char *description, const char *state)
{
	struct html_buf	url;
	int		rc;

	kore_log(LOG_INFO, "authorize: %s: %s", error, description);
	memset(&url, 0, sizeof(url));
	rc = html_buf_append(&url, redirect_uri, strlen(redirect_uri));
	if (rc == 0)
		rc = oauth_url_param(&url, "error", error);
	if (rc == 0 && description != NULL)
		rc = oauth_url_param(&url, "error_description", description);
	if (rc == 0 && state != NULL && state[0] != '\0')
		rc = oauth_url_param(&url, "state", state);
	if (rc == 0)
		rc = oauth_url_param(&url, "iss", orgo_settings.issuer);
	if (rc == -1)
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
	else
		oauth_redirect(req, &url);
	html_buf_free(&url);
}

void
oauth_redirect_code(struct http_request *req, const char *redirect_uri,
    const char *code, const char *state)
{
	struct html_buf	url;
	int		rc;

	memset(&url, 0, sizeof(url));
	rc = html_buf_append(&url, redirect_uri, strlen(redirect_uri));
	if (rc == 0)
		rc = oauth_url_param(&url, "code", code);
	if (rc == 0 && state != NULL && state[0] != '\0')
		rc = oauth_url_param(&url, "state", state);
	if (rc == 0)
		rc = oauth_url_param(&url, "iss", orgo_settings.issuer);
	if (rc == -1)
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
	else
		oauth_redirect(req, &url);
	html_buf_free(&url);
}

void
oauth_cors(struct http_request *req, const char *redirect_uris)
{
	const char	*origin;

	if (!http_request_header(req, "origin", &origin))
		return;
	if (!cors_origin_allowed(origin, redirect_uris))
		return;
	http_response_header(req, "access-control-allow-origin", origin);
	http_response_header(req, "vary", "Origin");
}

static const char	preflight_sql[] =
    "SELECT EXISTS (SELECT 1 FROM clients, unnest(redirect_uris) AS u"
    " WHERE u = $1 OR left(u, length($1) + 1) IN ($1 || '/', $1 || '?'))";

static enum flow_result
preflight_query(struct http_request *req, struct flow *f)
{
	const char	*origin, *params[1];

	if (!http_request_header(req, "origin", &origin) ||
	    strlen(origin) > 512) {
		http_response(req, HTTP_STATUS_NO_CONTENT, NULL, 0);
		return (FLOW_DONE);
	}
	params[0] = origin;
	return (flow_query(req, f, preflight_sql, 1, params));
}

static enum flow_result
preflight_send(struct http_request *req, struct flow *f)
{
	const char	*origin;

	if (flow_rows(f) == 1 && flow_value(f, 0, 0)[0] == 't' &&
	    http_request_header(req, "origin", &origin)) {
		http_response_header(req, "access-control-allow-origin",
		    origin);
		http_response_header(req, "access-control-allow-methods",
		    "GET, POST");
		http_response_header(req, "access-control-allow-headers",
		    "Authorization, Content-Type");
		http_response_header(req, "access-control-max-age", "600");
	}
	http_response_header(req, "vary", "Origin");
	http_response(req, HTTP_STATUS_NO_CONTENT, NULL, 0);
	return (FLOW_DONE);
}

static const flow_step	preflight_steps[] = {
	preflight_query, preflight_send,
};

int
oauth_preflight(struct http_request *req)
{
	return (flow_run(req, preflight_steps, ORGO_NITEMS(preflight_steps), 0,
	    NULL, FLOW_JSON));
}
