/*
 * Credentials in the Authorization request header: HTTP Basic client
 * authentication (RFC 6749 section 2.3.1) and bearer tokens (RFC 6750
 * section 2.1). Pure parsing, so the unit tests and fuzzers link it alone.
 */
#ifndef ORGO_BASIC_AUTH_H
#define ORGO_BASIC_AUTH_H

#include <stddef.h>

/* Maximum length of the base64 text after "Basic ", in bytes. */
#define BASIC_AUTH_ENCODED_MAX	768

/*
 * Decode "Basic base64(urlencode(id) ':' urlencode(secret))" into 'id'
 * and 'secret', both NUL-terminated. Returns 0, 1 when the header uses
 * another scheme, or -1 when it is malformed: invalid base64, no colon,
 * an invalid escape or NUL byte, or a value that does not fit. On any
 * result but 0, 'id' and 'secret' are empty strings.
 */
int	basic_auth_parse(const char *header_value, char *id, size_t id_len,
	    char *secret, size_t secret_len);

/*
 * Find the token in "Bearer <token>". The scheme name is case-insensitive.
 * Returns 0 with '*token' pointing into 'header_value', 1 when the header
 * uses another scheme, or -1 when the token is empty or not a b64token.
 */
int	bearer_token_parse(const char *header_value, const char **token);

#endif
