/* PKCE code verifiers and S256 challenges (RFC 7636). */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "pkce.h"
#include "util.h"

static int	pkce_unreserved(char);

int
pkce_verifier_valid(const char *v, size_t len)
{
	size_t		i;

	if (v == NULL || len < PKCE_VERIFIER_MIN || len > PKCE_VERIFIER_MAX)
		return (0);

	for (i = 0; i < len; i++) {
		if (!pkce_unreserved(v[i]))
			return (0);
	}

	return (1);
}

int
pkce_challenge_valid(const char *c, size_t len)
{
	uint8_t		digest[32];

	if (c == NULL || len != PKCE_CHALLENGE_LEN)
		return (0);

	/*
	 * 43 characters carry 258 bits. The decoder rejects non-zero
	 * leftover bits, so a challenge that no verifier can produce is
	 * rejected at the authorization request, not at the token request.
	 */
	return (util_b64url_decode(c, len, digest, sizeof(digest)) ==
	    (long)sizeof(digest));
}

int
pkce_verify_s256(const char *verifier, size_t vlen, const char *challenge,
    size_t clen)
{
	uint8_t		digest[32];
	unsigned int	digest_len;
	char		computed[PKCE_CHALLENGE_LEN + 1];

	if (!pkce_verifier_valid(verifier, vlen) ||
	    !pkce_challenge_valid(challenge, clen))
		return (0);

	digest_len = sizeof(digest);
	if (EVP_Digest(verifier, vlen, digest, &digest_len, EVP_sha256(),
	    NULL) != 1 || digest_len != sizeof(digest))
		return (0);

	/* The digest is no secret: on a match it equals the challenge. */
	util_b64url_encode(digest, sizeof(digest), computed);

	return (util_equal_ct(computed, PKCE_CHALLENGE_LEN, challenge, clen));
}

/* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 2.3) */
static int
pkce_unreserved(char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return (1);
	return (c == '-' || c == '.' || c == '_' || c == '~');
}
