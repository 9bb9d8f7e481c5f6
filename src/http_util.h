/* Responses shared by every handler: JSON, errors, security headers. */
#ifndef ORGO_HTTP_UTIL_H
#define ORGO_HTTP_UTIL_H

#include <jansson.h>
#include <kore/kore.h>
#include <kore/http.h>

/* Send 'body' as JSON and take ownership of it. Adds no-store. */
void	http_util_json(struct http_request *req, int status, json_t *body);

/* RFC 6749 section 5.2 style error: {"error": ..., "error_description"}. */
void	http_util_json_error(struct http_request *req, int status,
	    const char *error, const char *description);

/* 503 for API endpoints while PostgreSQL is unreachable. */
void	http_util_json_unavailable(struct http_request *req);

/* Headers every HTML page carries (CSP, framing, sniffing, referrer). */
void	http_util_html_headers(struct http_request *req);

/*
 * Copy the value of cookie 'name' into 'out'. Returns its length, or -1
 * when the cookie is missing or does not fit.
 */
int	http_util_cookie(struct http_request *req, const char *name,
	    char *out, size_t out_len);

/* The client's address as text (IPv4 or IPv6). */
void	http_util_client_address(struct http_request *req, char *out,
	    size_t out_len);

/* 303 See Other to a path on this server. */
void	http_util_redirect(struct http_request *req, const char *location);

#endif
