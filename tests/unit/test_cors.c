/* Unit tests for matching an Origin header against redirect URIs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cors.h"

static const char	uris[] =
    "https://spa.example.org/callback\n"
    "http://127.0.0.1:5173/cb?x=1\n"
    "com.example.app:/oauth2redirect";

static void
origin_of_redirect_matches(void **state)
{
	(void)state;
	assert_true(cors_origin_allowed("https://spa.example.org", uris));
	assert_true(cors_origin_allowed("http://127.0.0.1:5173", uris));
}

static void
other_origins_do_not_match(void **state)
{
	(void)state;
	assert_false(cors_origin_allowed("https://spa.example.org:443", uris));
	assert_false(cors_origin_allowed("http://spa.example.org", uris));
	assert_false(cors_origin_allowed("https://spa.example.org.evil.example",
	    uris));
	assert_false(cors_origin_allowed("https://spa.example", uris));
	assert_false(cors_origin_allowed("http://127.0.0.1:5174", uris));
	assert_false(cors_origin_allowed("com.example.app:", uris));
	assert_false(cors_origin_allowed("null", uris));
	assert_false(cors_origin_allowed("", uris));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(origin_of_redirect_matches),
		cmocka_unit_test(other_origins_do_not_match),
	};

	return (cmocka_run_group_tests_name("cors", tests, NULL, NULL));
}
