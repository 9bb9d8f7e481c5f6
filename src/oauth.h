/* Helpers shared by the OAuth endpoints. */
#ifndef ORGO_OAUTH_H
#define ORGO_OAUTH_H

#include <kore/kore.h>
#include <kore/http.h>

#include "html.h"

#define OAUTH_STATE_MAX		2048
#define OAUTH_NONCE_MAX		512
#define OAUTH_CLIENT_ID_MAX	64

/*
 * Append "name=value" (value percent-encoded) to a URL being built in
 * 'url', with '?' or '&' as needed. Returns 0 or -1.
 */
int	oauth_url_param(struct html_buf *url, const char *name,
	    const char *value);

/*
 * Redirect the browser to the client's redirect URI with an authorization
 * error (RFC 6749 section 4.1.2.1) plus state and iss (RFC 9207).
 */
void	oauth_redirect_error(struct http_request *req, const char *redirect_uri,
	    const char *error, const char *description, const char *state);

/* Redirect with a code, state and iss. */
void	oauth_redirect_code(struct http_request *req, const char *redirect_uri,
	    const char *code, const char *state);

/* Add Access-Control-Allow-Origin when Origin is one of 'redirect_uris'. */
void	oauth_cors(struct http_request *req, const char *redirect_uris);

/*
 * Answer a CORS preflight (OPTIONS) for the token, userinfo, revocation
 * and introspection endpoints: allowed when Origin is the origin of a
 * redirect URI of any registered application.
 */
int	oauth_preflight(struct http_request *req);

#endif
