/*
 * PKCE checks (RFC 7636) on code_verifier and code_challenge parameters.
 * The input is a verifier, a NUL, and a challenge. A verifier always
 * matches the challenge computed from it, and never a different one.
 */
#include <openssl/evp.h>

#include "fuzz.h"
#include "pkce.h"
#include "util.h"

static void
fuzz_challenge_of(const char *verifier, size_t len,
    char challenge[PKCE_CHALLENGE_LEN + 1])
{
	uint8_t		digest[32];
	unsigned int	digest_len;

	digest_len = sizeof(digest);
	FUZZ_CHECK(EVP_Digest(verifier, len, digest, &digest_len,
	    EVP_sha256(), NULL) == 1);
	util_b64url_encode(digest, sizeof(digest), challenge);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*parts[2], computed[PKCE_CHALLENGE_LEN + 1], saved;
	size_t	 vlen, clen, i;
	int	 verifier_ok, challenge_ok, match;

	fuzz_split(data, size, parts, 2);
	vlen = strlen(parts[0]);
	clen = strlen(parts[1]);

	verifier_ok = pkce_verifier_valid(parts[0], vlen);
	challenge_ok = pkce_challenge_valid(parts[1], clen);
	match = pkce_verify_s256(parts[0], vlen, parts[1], clen);
	FUZZ_CHECK(verifier_ok == 0 || verifier_ok == 1);
	FUZZ_CHECK(challenge_ok == 0 || challenge_ok == 1);
	FUZZ_CHECK(match == 0 || (verifier_ok && challenge_ok));
	if (verifier_ok) {
		FUZZ_CHECK(vlen >= PKCE_VERIFIER_MIN &&
		    vlen <= PKCE_VERIFIER_MAX);
		FUZZ_CHECK(strspn(parts[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
		    "klmnopqrstuvwxyz0123456789-._~") == vlen);
	}
	if (challenge_ok)
		FUZZ_CHECK(clen == PKCE_CHALLENGE_LEN);

	/* Raw bytes, NULs included, must be handled too. */
	(void)pkce_verifier_valid((const char *)data, size);
	(void)pkce_challenge_valid((const char *)data, size);

	if (verifier_ok) {
		fuzz_challenge_of(parts[0], vlen, computed);
		FUZZ_CHECK(pkce_challenge_valid(computed, PKCE_CHALLENGE_LEN));
		FUZZ_CHECK(pkce_verify_s256(parts[0], vlen, computed,
		    PKCE_CHALLENGE_LEN) == 1);
		FUZZ_CHECK(match == (clen == PKCE_CHALLENGE_LEN &&
		    memcmp(parts[1], computed, clen) == 0));

		/* Any other valid challenge fails, one character changed. */
		for (i = 0; i < PKCE_CHALLENGE_LEN; i += 7) {
			saved = computed[i];
			computed[i] = saved == 'A' ? 'B' : 'A';
			FUZZ_CHECK(pkce_verify_s256(parts[0], vlen, computed,
			    PKCE_CHALLENGE_LEN) == 0);
			computed[i] = saved;
		}
	}

	fuzz_free_parts(parts, 2);
	return (0);
}
