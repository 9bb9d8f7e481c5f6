/* Unit tests for base64url (RFC 4648 test vectors), SHA-256 and tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

static void
b64url_rfc4648_vectors(void **state)
{
	/* RFC 4648 section 10, without padding. */
	const char	*in[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	const char	*out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE",
	    "Zm9vYmFy" };
	char		 enc[16];
	uint8_t		 dec[16];
	size_t		 i;

	(void)state;
	for (i = 0; i < 7; i++) {
		util_b64url_encode((const uint8_t *)in[i], strlen(in[i]), enc);
		assert_string_equal(enc, out[i]);
		assert_int_equal(util_b64url_len(strlen(in[i])), strlen(out[i]));
		assert_int_equal(util_b64url_decode(out[i], strlen(out[i]), dec,
		    sizeof(dec)), (long)strlen(in[i]));
		assert_memory_equal(dec, in[i], strlen(in[i]));
	}
}

static void
b64url_url_alphabet(void **state)
{
	const uint8_t	raw[] = { 0xfb, 0xff, 0xbf };
	char		enc[8];

	(void)state;
	util_b64url_encode(raw, sizeof(raw), enc);
	assert_string_equal(enc, "-_-_");
}

static void
b64url_rejects_bad_input(void **state)
{
	uint8_t		out[16];

	(void)state;
	assert_int_equal(util_b64url_decode("Zm9v+", 5, out, sizeof(out)), -1);
	assert_int_equal(util_b64url_decode("Zm9v=", 5, out, sizeof(out)), -1);
	assert_int_equal(util_b64url_decode("Z", 1, out, sizeof(out)), -1);
	/* "Zh" would decode to 'f' with non-zero leftover bits. */
	assert_int_equal(util_b64url_decode("Zh", 2, out, sizeof(out)), -1);
	assert_int_equal(util_b64url_decode("Zm9vYmFy", 8, out, 3), -1);
}

static void
sha256_known_value(void **state)
{
	char	hex[65];

	(void)state;
	util_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

/* RFC 4231, test case 2. */
static void
hmac_sha256_known_value(void **state)
{
	char	hex[65];

	(void)state;
	assert_int_equal(util_hmac_sha256_hex("Jefe", 4,
	    "what do ya want for nothing?", 28, hex), 0);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

static void
token_is_43_url_safe_chars(void **state)
{
	char	a[UTIL_TOKEN_LEN + 1], b[UTIL_TOKEN_LEN + 1];
	size_t	i;

	(void)state;
	assert_int_equal(util_token_new(a), 0);
	assert_int_equal(util_token_new(b), 0);
	assert_int_equal(strlen(a), 43);
	assert_string_not_equal(a, b);
	for (i = 0; i < 43; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
		    "klmnopqrstuvwxyz0123456789-_", a[i]));
}

static void
equal_ct_lengths(void **state)
{
	(void)state;
	assert_true(util_equal_ct("abc", 3, "abc", 3));
	assert_false(util_equal_ct("abc", 3, "abd", 3));
	assert_false(util_equal_ct("abc", 3, "abcd", 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(b64url_rfc4648_vectors),
		cmocka_unit_test(b64url_url_alphabet),
		cmocka_unit_test(b64url_rejects_bad_input),
		cmocka_unit_test(sha256_known_value),
		cmocka_unit_test(hmac_sha256_known_value),
		cmocka_unit_test(token_is_43_url_safe_chars),
		cmocka_unit_test(equal_ct_lengths),
	};

	return (cmocka_run_group_tests_name("util", tests, NULL, NULL));
}
