#include <arpa/inet.h>

#include "cookie.h"
#include "http_util.h"

/*
 * Pages load their CSS and scripts from this server only, and no page may
 * be framed (clickjacking on the consent page). No form-action: browsers
 * apply it to the redirects after a form post, and the consent and
 * sign-in forms end in a redirect to the application.
 */
#define HTML_CSP	"default-src 'none'; style-src 'self'; img-src 'self' " \
			"https: data:; script-src 'self'; " \
			"base-uri 'none'; frame-ancestors 'none'"

void
http_util_json(struct http_request *req, int status, json_t *body)
{
	char		*text;

	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL) {
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}

	http_response_header(req, "content-type", "application/json");
	http_response_header(req, "cache-control", "no-store");
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response(req, status, text, strlen(text));
	free(text);
}

void
http_util_json_error(struct http_request *req, int status, const char *error,
    const char *description)
{
	json_t		*body;

	body = json_object();
	json_object_set_new(body, "error", json_string(error));
	if (description != NULL)
		json_object_set_new(body, "error_description",
		    json_string(description));
	http_util_json(req, status, body);
}

void
http_util_json_unavailable(struct http_request *req)
{
	http_response_header(req, "retry-after", "5");
	http_util_json_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE,
	    "temporarily_unavailable", "the database is unreachable, "
	    "try again shortly");
}

void
http_util_html_headers(struct http_request *req)
{
	http_response_header(req, "content-type", "text/html; charset=utf-8");
	http_response_header(req, "content-security-policy", HTML_CSP);
	http_response_header(req, "x-frame-options", "DENY");
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "referrer-policy", "no-referrer");
	http_response_header(req, "strict-transport-security",
	    "max-age=31536000; includeSubDomains");
	http_response_header(req, "cache-control", "no-store");
}

int
http_util_cookie(struct http_request *req, const char *name, char *out,
    size_t out_len)
{
	const char	*header;

	if (!http_request_header(req, "cookie", &header))
		return (-1);

	return (cookie_find(header, name, out, out_len));
}

void
http_util_client_address(struct http_request *req, char *out, size_t out_len)
{
	struct connection	*c = req->owner;

	if (c->family == AF_INET6) {
		inet_ntop(AF_INET6, &c->addr.ipv6.sin6_addr, out,
		    (socklen_t)out_len);
	} else if (c->family == AF_INET) {
		inet_ntop(AF_INET, &c->addr.ipv4.sin_addr, out,
		    (socklen_t)out_len);
	} else {
		(void)kore_strlcpy(out, "unix", out_len);
	}
}

void
http_util_redirect(struct http_request *req, const char *location)
{
	http_response_header(req, "location", location);
	http_response_header(req, "cache-control", "no-store");
	http_response(req, HTTP_STATUS_SEE_OTHER, NULL, 0);
}
