/* Unit tests for PKCE verifiers and S256 challenges (RFC 7636). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pkce.h"

/* RFC 7636 Appendix B. */
#define RFC_VERIFIER	"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC_CHALLENGE	"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static void
s256_rfc7636_appendix_b(void **state)
{
	(void)state;
	assert_int_equal(pkce_verify_s256(RFC_VERIFIER, strlen(RFC_VERIFIER),
	    RFC_CHALLENGE, strlen(RFC_CHALLENGE)), 1);
}

static void
s256_wrong_verifier(void **state)
{
	/* The RFC verifier with its last character changed. */
	const char	*wrong =
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl";

	(void)state;
	assert_int_equal(pkce_verify_s256(wrong, strlen(wrong),
	    RFC_CHALLENGE, strlen(RFC_CHALLENGE)), 0);
}

static void
s256_wrong_challenge(void **state)
{
	/* The RFC challenge with its first character changed. */
	const char	*wrong =
	    "F9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

	(void)state;
	assert_int_equal(pkce_verify_s256(RFC_VERIFIER, strlen(RFC_VERIFIER),
	    wrong, strlen(wrong)), 0);
}

static void
s256_rejects_invalid_input(void **state)
{
	(void)state;
	/* A challenge cut to 42 characters. */
	assert_int_equal(pkce_verify_s256(RFC_VERIFIER, strlen(RFC_VERIFIER),
	    RFC_CHALLENGE, 42), 0);
	/* A verifier cut to 42 characters. */
	assert_int_equal(pkce_verify_s256(RFC_VERIFIER, 42, RFC_CHALLENGE,
	    strlen(RFC_CHALLENGE)), 0);
	/* The plain method: the verifier sent as its own challenge. */
	assert_int_equal(pkce_verify_s256(RFC_VERIFIER, strlen(RFC_VERIFIER),
	    RFC_VERIFIER, strlen(RFC_VERIFIER)), 0);
	assert_int_equal(pkce_verify_s256(NULL, 0, RFC_CHALLENGE,
	    strlen(RFC_CHALLENGE)), 0);
}

static void
verifier_length_bounds(void **state)
{
	char	v[130];

	(void)state;
	memset(v, 'a', sizeof(v));
	assert_int_equal(pkce_verifier_valid(v, 42), 0);
	assert_int_equal(pkce_verifier_valid(v, 43), 1);
	assert_int_equal(pkce_verifier_valid(v, 128), 1);
	assert_int_equal(pkce_verifier_valid(v, 129), 0);
	assert_int_equal(pkce_verifier_valid(v, 0), 0);
	assert_int_equal(pkce_verifier_valid(NULL, 43), 0);
}

static void
verifier_characters(void **state)
{
	const char	*bad = "+/= \n%\"\x80";
	char		 v[44];
	size_t		 i;

	(void)state;
	/* All four unreserved punctuation characters are accepted. */
	memcpy(v, "-._~abcdefghijklmnopqrstuvwxyzABCDEFGHIJ012", 43);
	assert_int_equal(pkce_verifier_valid(v, 43), 1);

	for (i = 0; i < strlen(bad); i++) {
		memset(v, 'a', 43);
		v[20] = bad[i];
		assert_int_equal(pkce_verifier_valid(v, 43), 0);
	}

	/* A NUL byte inside the counted length. */
	memset(v, 'a', 43);
	v[42] = '\0';
	assert_int_equal(pkce_verifier_valid(v, 43), 0);
}

static void
challenge_syntax(void **state)
{
	char	c[45];

	(void)state;
	assert_int_equal(pkce_challenge_valid(RFC_CHALLENGE, 43), 1);
	assert_int_equal(pkce_challenge_valid(RFC_CHALLENGE, 42), 0);
	assert_int_equal(pkce_challenge_valid(RFC_CHALLENGE "A", 44), 0);
	assert_int_equal(pkce_challenge_valid(NULL, 43), 0);

	/* Standard base64 characters and padding are not base64url. */
	memcpy(c, RFC_CHALLENGE, 44);
	c[10] = '+';
	assert_int_equal(pkce_challenge_valid(c, 43), 0);
	c[10] = '/';
	assert_int_equal(pkce_challenge_valid(c, 43), 0);
	c[10] = '~';
	assert_int_equal(pkce_challenge_valid(c, 43), 0);
	memcpy(c, RFC_CHALLENGE, 44);
	c[42] = '=';
	assert_int_equal(pkce_challenge_valid(c, 43), 0);

	/* 'N' as the last character sets bits beyond the 32-byte digest. */
	memcpy(c, RFC_CHALLENGE, 44);
	c[42] = 'N';
	assert_int_equal(pkce_challenge_valid(c, 43), 0);
	c[42] = 'Q';
	assert_int_equal(pkce_challenge_valid(c, 43), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s256_rfc7636_appendix_b),
		cmocka_unit_test(s256_wrong_verifier),
		cmocka_unit_test(s256_wrong_challenge),
		cmocka_unit_test(s256_rejects_invalid_input),
		cmocka_unit_test(verifier_length_bounds),
		cmocka_unit_test(verifier_characters),
		cmocka_unit_test(challenge_syntax),
	};

	return (cmocka_run_group_tests_name("pkce", tests, NULL, NULL));
}
