/* Unit tests for Basic client credentials and Bearer header parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "basic_auth.h"

#define ID_LEN		(64 + 1)
#define SECRET_LEN	(256 + 1)

/* Parse 'header' and expect 'rc' with empty outputs. */
static void
basic_fails(const char *header, int rc)
{
	char	id[ID_LEN], secret[SECRET_LEN];

	memset(id, 'x', sizeof(id));
	memset(secret, 'x', sizeof(secret));
	assert_int_equal(basic_auth_parse(header, id, sizeof(id), secret,
	    sizeof(secret)), rc);
	assert_string_equal(id, "");
	assert_string_equal(secret, "");
}

static void
basic_rfc6749_example(void **state)
{
	char	id[ID_LEN], secret[SECRET_LEN];

	(void)state;
	/* RFC 6749 section 2.3.1. */
	assert_int_equal(basic_auth_parse("Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIx"
	    "S3REUmJuZlZkbUl3", id, sizeof(id), secret, sizeof(secret)), 0);
	assert_string_equal(id, "s6BhdRkqt3");
	assert_string_equal(secret, "7Fjfp0ZBr1KtDRbnfVdmIw");
}

static void
basic_scheme_any_case(void **state)
{
	char	id[ID_LEN], secret[SECRET_LEN];

	(void)state;
	/* "id:secret" */
	assert_int_equal(basic_auth_parse("bAsIc aWQ6c2VjcmV0", id,
	    sizeof(id), secret, sizeof(secret)), 0);
	assert_string_equal(id, "id");
	assert_string_equal(secret, "secret");
}

static void
basic_urlencoded_parts(void **state)
{
	char	id[ID_LEN], secret[SECRET_LEN];

	(void)state;
	/* "my%20app:p%3Ass+word": the colon of the secret is escaped. */
	assert_int_equal(basic_auth_parse("Basic bXklMjBhcHA6cCUzQXNzK3dvcmQ=",
	    id, sizeof(id), secret, sizeof(secret)), 0);
	assert_string_equal(id, "my app");
	assert_string_equal(secret, "p:ss word");
}

static void
basic_padding(void **state)
{
	char	id[ID_LEN], secret[SECRET_LEN];

	(void)state;
	/* "a:b" encodes without padding, "a:bc" with "==", "a:bcd" with "=". */
	assert_int_equal(basic_auth_parse("Basic YTpi", id, sizeof(id), secret,
	    sizeof(secret)), 0);
	assert_string_equal(secret, "b");
	assert_int_equal(basic_auth_parse("Basic YTpiYw==", id, sizeof(id),
	    secret, sizeof(secret)), 0);
	assert_string_equal(secret, "bc");
	assert_int_equal(basic_auth_parse("Basic YTpiY2Q=", id, sizeof(id),
	    secret, sizeof(secret)), 0);
	assert_string_equal(secret, "bcd");
}

static void
basic_empty_secret(void **state)
{
	char	id[ID_LEN], secret[SECRET_LEN];

	(void)state;
	/* "public:" is a public client that sends no secret. */
	assert_int_equal(basic_auth_parse("Basic cHVibGljOg==", id, sizeof(id),
	    secret, sizeof(secret)), 0);
	assert_string_equal(id, "public");
	assert_string_equal(secret, "");
}

static void
basic_other_scheme(void **state)
{
	(void)state;
	basic_fails("Bearer abc", 1);
	basic_fails("Basic", 1);
	basic_fails("Basicx YTpi", 1);
	basic_fails("", 1);
}

static void
basic_malformed(void **state)
{
	(void)state;
	basic_fails("Basic ", -1);
	basic_fails("Basic not base64!", -1);
	basic_fails("Basic YTp", -1);		/* length not a multiple of 4 */
	basic_fails("Basic YT=i", -1);		/* '=' inside */
	basic_fails("Basic Y===", -1);		/* three '=' */
	basic_fails("Basic  YTpi", -1);		/* leading space */
	basic_fails("Basic YTpi ", -1);
	basic_fails("Basic YTpi\n", -1);
	basic_fails("Basic bm9jb2xvbg==", -1);	/* "nocolon" */
	basic_fails("Basic YSUyOmI=", -1);	/* "a%2:b" bad escape */
	basic_fails("Basic YSUwMDpi", -1);	/* "a%00:b" NUL */
	basic_fails("Basic AGE6Yg==", -1);	/* "\0a:b" */
}

/* Base64-encode 'plain' after "Basic " into 'header'. */
static void
basic_header(const char *plain, char *header)
{
	memcpy(header, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)header + 6,
	    (const unsigned char *)plain, (int)strlen(plain));
}

static void
basic_length_limits(void **state)
{
	char	plain[BASIC_AUTH_ENCODED_MAX], header[2 * BASIC_AUTH_ENCODED_MAX];
	char	id[ID_LEN], secret[BASIC_AUTH_ENCODED_MAX];

	(void)state;
	/* 576 bytes encode to exactly BASIC_AUTH_ENCODED_MAX = 768. */
	memset(plain, 'a', 576);
	memcpy(plain, "id:", 3);
	plain[576] = '\0';
	basic_header(plain, header);
	assert_int_equal(strlen(header + 6), BASIC_AUTH_ENCODED_MAX);
	assert_int_equal(basic_auth_parse(header, id, sizeof(id), secret,
	    sizeof(secret)), 0);
	assert_string_equal(id, "id");
	assert_int_equal(strlen(secret), 573);

	/* One more byte makes 772 characters. */
	memset(plain, 'a', 577);
	memcpy(plain, "id:", 3);
	plain[577] = '\0';
	basic_header(plain, header);
	basic_fails(header, -1);

	/* A client_id of 65 bytes does not fit a 64-byte client_id. */
	memset(plain, 'a', 65);
	memcpy(plain + 65, ":b", 3);
	basic_header(plain, header);
	basic_fails(header, -1);
	plain[64] = ':';
	basic_header(plain, header);
	assert_int_equal(basic_auth_parse(header, id, sizeof(id), secret,
	    sizeof(secret)), 0);
	assert_int_equal(strlen(id), 64);
}

static void
basic_secret_does_not_fit(void **state)
{
	char	id[ID_LEN], secret[4];

	(void)state;
	/* "id:secret" with room for 3 bytes of secret. */
	assert_int_equal(basic_auth_parse("Basic aWQ6c2VjcmV0", id, sizeof(id),
	    secret, sizeof(secret)), -1);
	assert_string_equal(id, "");
	assert_string_equal(secret, "");
}

static void
bearer_token(void **state)
{
	const char	*header = "Bearer mF_9.B5f-4.1JqM";
	const char	*token;

	(void)state;
	/* RFC 6750 section 2.1. */
	assert_int_equal(bearer_token_parse(header, &token), 0);
	assert_ptr_equal(token, header + 7);
	assert_string_equal(token, "mF_9.B5f-4.1JqM");

	assert_int_equal(bearer_token_parse("bEARER abc", &token), 0);
	assert_string_equal(token, "abc");
	assert_int_equal(bearer_token_parse("Bearer   a+/~==", &token), 0);
	assert_string_equal(token, "a+/~==");
}

static void
bearer_rejected(void **state)
{
	static const char *const	 malformed[] = {
		"Bearer ", "Bearer    ", "Bearer =", "Bearer a b",
		"Bearer a=b", "Bearer a ", "Bearer a\t", "Bearer \"a\"",
		"Bearer a,b",
	};
	const char			*token;
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		token = "x";
		assert_int_equal(bearer_token_parse(malformed[i], &token), -1);
		assert_null(token);
	}

	token = "x";
	assert_int_equal(bearer_token_parse("Basic YTpi", &token), 1);
	assert_null(token);
	assert_int_equal(bearer_token_parse("Bearer", &token), 1);
	assert_int_equal(bearer_token_parse("Bearerabc", &token), 1);
	assert_int_equal(bearer_token_parse("", &token), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_rfc6749_example),
		cmocka_unit_test(basic_scheme_any_case),
		cmocka_unit_test(basic_urlencoded_parts),
		cmocka_unit_test(basic_padding),
		cmocka_unit_test(basic_empty_secret),
		cmocka_unit_test(basic_other_scheme),
		cmocka_unit_test(basic_malformed),
		cmocka_unit_test(basic_length_limits),
		cmocka_unit_test(basic_secret_does_not_fit),
		cmocka_unit_test(bearer_token),
		cmocka_unit_test(bearer_rejected),
	};

	return (cmocka_run_group_tests_name("basic_auth", tests, NULL, NULL));
}
