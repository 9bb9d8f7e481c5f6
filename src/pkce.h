/* PKCE (RFC 7636): code verifier and S256 code challenge checks. */
#ifndef ORGO_PKCE_H
#define ORGO_PKCE_H

#include <stddef.h>

#define PKCE_VERIFIER_MIN	43
#define PKCE_VERIFIER_MAX	128
/* base64url of a SHA-256 digest, without padding */
#define PKCE_CHALLENGE_LEN	43

/* Return 1 if 'v' is 43 to 128 unreserved characters (RFC 7636 4.1). */
int	pkce_verifier_valid(const char *v, size_t len);

/*
 * Return 1 if 'c' has the syntax of an S256 code challenge: 43 base64url
 * characters that decode to 32 bytes.
 */
int	pkce_challenge_valid(const char *c, size_t len);

/*
 * Compute BASE64URL(SHA256(verifier)) and compare it with 'challenge' in
 * constant time. Returns 1 on a match, 0 on a mismatch or invalid input.
 */
int	pkce_verify_s256(const char *verifier, size_t vlen,
	    const char *challenge, size_t clen);

#endif
