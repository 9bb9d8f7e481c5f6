/* Cross-origin requests from single-page apps to the token and userinfo
 * endpoints: an app's allowed origins are those of its redirect URIs. */
#ifndef ORGO_CORS_H
#define ORGO_CORS_H

#include <stddef.h>

/*
 * Return 1 when 'origin' (an Origin header value) equals the origin
 * (scheme://host[:port]) of one of the newline-separated 'redirect_uris'.
 * Only http and https URIs have an origin; private-use schemes never match.
 */
int	cors_origin_allowed(const char *origin, const char *redirect_uris);

#endif
