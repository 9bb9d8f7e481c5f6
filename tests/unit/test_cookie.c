/* Unit tests for finding one cookie in a Cookie header (RFC 6265 5.4). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cookie.h"

static void
cookie_found(void **state)
{
	const char	*header = "theme=dark; __Host-orgo_session=abc; lang=en";
	char		 out[16];

	(void)state;
	assert_int_equal(cookie_find(header, "__Host-orgo_session", out,
	    sizeof(out)), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(cookie_find(header, "theme", out, sizeof(out)), 4);
	assert_string_equal(out, "dark");
	assert_int_equal(cookie_find(header, "lang", out, sizeof(out)), 2);
	assert_string_equal(out, "en");
}

static void
cookie_separators(void **state)
{
	char	out[16];

	(void)state;
	assert_int_equal(cookie_find("a=1;b=2", "b", out, sizeof(out)), 1);
	assert_string_equal(out, "2");
	assert_int_equal(cookie_find(";; ;b=2;", "b", out, sizeof(out)), 1);
	assert_string_equal(out, "2");
	assert_int_equal(cookie_find("b=", "b", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void
cookie_first_of_duplicates(void **state)
{
	char	out[16];

	(void)state;
	assert_int_equal(cookie_find("a=1; a=2", "a", out, sizeof(out)), 1);
	assert_string_equal(out, "1");
}

static void
cookie_name_must_match_whole(void **state)
{
	char	out[16];

	(void)state;
	/* Neither a longer name nor one that ends the other counts. */
	assert_int_equal(cookie_find("ab=1; xa=2", "a", out, sizeof(out)), -1);
	assert_int_equal(cookie_find("a", "a", out, sizeof(out)), -1);
	assert_int_equal(cookie_find("a =1", "a", out, sizeof(out)), -1);
	assert_int_equal(cookie_find("A=1", "a", out, sizeof(out)), -1);
	assert_int_equal(cookie_find("", "a", out, sizeof(out)), -1);
}

static void
cookie_value_does_not_fit(void **state)
{
	char	out[4];

	(void)state;
	assert_int_equal(cookie_find("a=123", "a", out, sizeof(out)), 3);
	assert_int_equal(cookie_find("a=1234", "a", out, sizeof(out)), -1);
	assert_int_equal(cookie_find("a=", "a", out, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cookie_found),
		cmocka_unit_test(cookie_separators),
		cmocka_unit_test(cookie_first_of_duplicates),
		cmocka_unit_test(cookie_name_must_match_whole),
		cmocka_unit_test(cookie_value_does_not_fit),
	};

	return (cmocka_run_group_tests_name("cookie", tests, NULL, NULL));
}
