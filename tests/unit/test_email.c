/* Unit tests for email address checks and uniqueness keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "email.h"

#define ERROR_LEN	256

/* "Émile@Example.ORG" with a precomposed É (U+00C9). */
#define EMILE_COMPOSED		"\xc3\x89mile@Example.ORG"
/* The same address as E followed by U+0301 COMBINING ACUTE ACCENT. */
#define EMILE_DECOMPOSED	"E\xcc\x81mile@Example.ORG"
/* "émile@example.org" with a precomposed é (U+00E9). */
#define EMILE_KEY		"\xc3\xa9mile@example.org"

static void
invalid(const char *e, size_t len, const char *expected)
{
	char	error[ERROR_LEN];

	assert_int_equal(email_valid(e, len, error, sizeof(error)), -1);
	assert_string_equal(error, expected);
}

static void
valid_addresses(void **state)
{
	const char	*good[] = { "a@b.co", "ann.lee+orgo@mail.example.org",
	    EMILE_COMPOSED, EMILE_DECOMPOSED,
	    "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b\xe3\x81\x88.jp" };
	char		 error[ERROR_LEN];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(email_valid(good[i], strlen(good[i]), error,
		    sizeof(error)), 0);
}

static void
length_limits(void **state)
{
	char	e[EMAIL_MAX + 2];
	char	error[ERROR_LEN];

	(void)state;
	/* 64 + "@" + 185 + ".org" is 254 bytes, the maximum. */
	memset(e, 'a', sizeof(e));
	e[64] = '@';
	memcpy(e + 250, ".org", 4);
	assert_int_equal(email_valid(e, EMAIL_MAX, error, sizeof(error)), 0);

	memcpy(e + 251, ".org", 4);
	invalid(e, EMAIL_MAX + 1, "email address is longer than 254 bytes");

	/* A local part of 65 bytes. */
	memset(e, 'a', sizeof(e));
	e[65] = '@';
	memcpy(e + 66, "example.org", 11);
	invalid(e, 77, "email address has more than 64 bytes before the @");
	assert_int_equal(email_valid(e + 1, 76, error, sizeof(error)), 0);

	invalid("", 0, "email address is empty");
}

static void
at_sign_rules(void **state)
{
	(void)state;
	invalid("ann.example.org", 15, "email address must contain exactly "
	    "one @");
	invalid("ann@lee@example.org", 19, "email address must contain "
	    "exactly one @");
	invalid("@example.org", 12, "email address has nothing before the @");
	invalid("ann@", 4, "email address has no domain after the @");
}

static void
domain_rules(void **state)
{
	(void)state;
	invalid("ann@localhost", 13, "email domain must contain a dot, as in "
	    "example.org");
	invalid("ann@.example.org", 16, "email domain must not start or end "
	    "with a dot");
	invalid("ann@example.org.", 16, "email domain must not start or end "
	    "with a dot");
	invalid("ann@example..org", 16, "email domain must not contain two "
	    "dots in a row");
}

static void
spaces_and_controls(void **state)
{
	(void)state;
	invalid("ann lee@example.org", 19, "email address must not contain "
	    "spaces, control characters or invisible characters "
	    "(U+0020 at byte 3)");
	invalid("ann@example.org\n", 16, "email address must not contain "
	    "spaces, control characters or invisible characters "
	    "(U+000A at byte 15)");
	invalid("ann@exa\0mple.org", 16, "email address must not contain "
	    "spaces, control characters or invisible characters "
	    "(U+0000 at byte 7)");
	/* U+00A0 NO-BREAK SPACE, U+200B ZERO WIDTH SPACE, U+202E RLO. */
	invalid("ann\xc2\xa0@example.org", 17, "email address must not "
	    "contain spaces, control characters or invisible characters "
	    "(U+00A0 at byte 3)");
	invalid("ann\xe2\x80\x8b@example.org", 18, "email address must not "
	    "contain spaces, control characters or invisible characters "
	    "(U+200B at byte 3)");
	invalid("ann@\xe2\x80\xae" "example.org", 18, "email address must not "
	    "contain spaces, control characters or invisible characters "
	    "(U+202E at byte 4)");
}

static void
invalid_utf8(void **state)
{
	(void)state;
	invalid("\xc3\x28@example.org", 14, "email address is not valid UTF-8");
	invalid("ann@example.org\xc3", 16, "email address is not valid UTF-8");
	/* An overlong encoding of "@". */
	invalid("ann\xc1\x80" "example.org", 16,
	    "email address is not valid UTF-8");
}

static void
key_composed_and_decomposed(void **state)
{
	char	*a, *b;

	(void)state;
	a = email_key(EMILE_COMPOSED, strlen(EMILE_COMPOSED));
	b = email_key(EMILE_DECOMPOSED, strlen(EMILE_DECOMPOSED));
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, EMILE_KEY);
	assert_string_equal(b, EMILE_KEY);
	free(a);
	free(b);
}

static void
key_folds_case(void **state)
{
	char	*key;

	(void)state;
	key = email_key("Ann.Lee@EXAMPLE.org", 19);
	assert_non_null(key);
	assert_string_equal(key, "ann.lee@example.org");
	free(key);

	/* Full case folding: U+00DF sharp s becomes "ss". */
	key = email_key("Stra\xc3\x9f" "e@example.org", 19);
	assert_non_null(key);
	assert_string_equal(key, "strasse@example.org");
	free(key);

	/* Greek capital sigma folds to small sigma U+03C3. */
	key = email_key("\xce\xa3@example.org", 14);
	assert_non_null(key);
	assert_string_equal(key, "\xcf\x83@example.org");
	free(key);
}

static void
key_only_reads_len_bytes(void **state)
{
	char	*key;

	(void)state;
	key = email_key("A@B.CDEF", 5);
	assert_non_null(key);
	assert_string_equal(key, "a@b.c");
	free(key);
}

static void
key_rejects_bad_input(void **state)
{
	char	long_address[EMAIL_MAX + 1];
	char	*key;

	(void)state;
	assert_null(email_key("\xc3\x28@example.org", 14));
	assert_null(email_key("a\0b@example.org", 15));
	assert_null(email_key(NULL, 0));

	memset(long_address, 'a', sizeof(long_address));
	assert_null(email_key(long_address, EMAIL_MAX + 1));
	key = email_key(long_address, EMAIL_MAX);
	assert_non_null(key);
	assert_int_equal(strlen(key), EMAIL_MAX);
	free(key);

	key = email_key("", 0);
	assert_non_null(key);
	assert_string_equal(key, "");
	free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_addresses),
		cmocka_unit_test(length_limits),
		cmocka_unit_test(at_sign_rules),
		cmocka_unit_test(domain_rules),
		cmocka_unit_test(spaces_and_controls),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(key_composed_and_decomposed),
		cmocka_unit_test(key_folds_case),
		cmocka_unit_test(key_only_reads_len_bytes),
		cmocka_unit_test(key_rejects_bad_input),
	};

	return (cmocka_run_group_tests_name("email", tests, NULL, NULL));
}
