/*
 * Inputs that the libFuzzer harnesses in tests/fuzz/ found to break a
 * parser, kept so that the fix stays. Each test names the harness.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "basic_auth.h"

/*
 * fuzz_basic_auth: "Basic ====" decoded to -1 bytes after the padding was
 * dropped, and the NUL was written before the stack buffer. More '='
 * moved the write further down, one byte per four.
 */
static void
basic_auth_padding_only(void **state)
{
	static const char *const	 headers[] = {
		"Basic ====", "Basic ========", "Basic A===", "Basic ==A=",
		"Basic YTpi====",
	};
	char				 id[65], secret[257];
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		assert_int_equal(basic_auth_parse(headers[i], id, sizeof(id),
		    secret, sizeof(secret)), -1);
		assert_string_equal(id, "");
		assert_string_equal(secret, "");
	}
}

/* The same with the longest run of '=' that passes the length check. */
static void
basic_auth_padding_max_length(void **state)
{
	char	header[6 + BASIC_AUTH_ENCODED_MAX + 1], id[65], secret[257];

	(void)state;
	memcpy(header, "Basic ", 6);
	memset(header + 6, '=', BASIC_AUTH_ENCODED_MAX);
	header[6 + BASIC_AUTH_ENCODED_MAX] = '\0';
	assert_int_equal(basic_auth_parse(header, id, sizeof(id), secret,
	    sizeof(secret)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_auth_padding_only),
		cmocka_unit_test(basic_auth_padding_max_length),
	};

	return (cmocka_run_group_tests_name("fuzz_regressions", tests, NULL,
	    NULL));
}
