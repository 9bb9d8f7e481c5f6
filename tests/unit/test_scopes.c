/* Unit tests for scope parsing, formatting and consent texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scopes.h"

#define ERROR_LEN	256

static void
parse_known_scopes(void **state)
{
	const char	*s =
	    "openid profile email groups roles offline_access";
	unsigned int	 set;
	char		 error[ERROR_LEN];

	(void)state;
	assert_int_equal(scopes_parse(s, strlen(s), &set, error,
	    sizeof(error)), 0);
	assert_int_equal(set, SCOPES_ALL);

	assert_int_equal(scopes_parse("email openid", 12, &set, error,
	    sizeof(error)), 0);
	assert_int_equal(set, SCOPE_OPENID | SCOPE_EMAIL);
}

static void
parse_collapses_duplicates(void **state)
{
	const char	*s = "openid email openid email";
	unsigned int	 set;
	char		 error[ERROR_LEN];

	(void)state;
	assert_int_equal(scopes_parse(s, strlen(s), &set, error,
	    sizeof(error)), 0);
	assert_int_equal(set, SCOPE_OPENID | SCOPE_EMAIL);
}

static void
parse_skips_extra_spaces(void **state)
{
	const char	*s = "  openid   roles ";
	unsigned int	 set;
	char		 error[ERROR_LEN];

	(void)state;
	assert_int_equal(scopes_parse(s, strlen(s), &set, error,
	    sizeof(error)), 0);
	assert_int_equal(set, SCOPE_OPENID | SCOPE_ROLES);
}

static void
parse_empty_is_empty_set(void **state)
{
	unsigned int	set;
	char		error[ERROR_LEN];

	(void)state;
	set = 99;
	assert_int_equal(scopes_parse("", 0, &set, error, sizeof(error)), 0);
	assert_int_equal(set, 0);
	set = 99;
	assert_int_equal(scopes_parse("   ", 3, &set, error, sizeof(error)),
	    0);
	assert_int_equal(set, 0);
}

static void
parse_unknown_scope(void **state)
{
	const char	*s = "openid xyz email";
	unsigned int	 set;
	char		 error[ERROR_LEN];

	(void)state;
	assert_int_equal(scopes_parse(s, strlen(s), &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "unknown scope \"xyz\"");
	assert_int_equal(set, 0);

	/* Scope names are case-sensitive. */
	assert_int_equal(scopes_parse("OpenID", 6, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "unknown scope \"OpenID\"");

	/* A prefix of a known name is not that name. */
	assert_int_equal(scopes_parse("open", 4, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "unknown scope \"open\"");
}

static void
parse_quotes_64_bytes(void **state)
{
	char		s[101];
	char		expected[ERROR_LEN];
	unsigned int	set;
	char		error[ERROR_LEN];

	(void)state;
	memset(s, 'x', 100);
	s[100] = '\0';
	memcpy(expected, "unknown scope \"", 15);
	memset(expected + 15, 'x', 64);
	memcpy(expected + 79, "...\"", 5);

	assert_int_equal(scopes_parse(s, 100, &set, error, sizeof(error)),
	    -1);
	assert_string_equal(error, expected);
}

static void
parse_invalid_characters(void **state)
{
	unsigned int	set;
	char		error[ERROR_LEN];

	(void)state;
	assert_int_equal(scopes_parse("openid \"x\"", 10, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "scope contains an invalid character "
	    "(byte 0x22 at offset 7)");
	assert_int_equal(scopes_parse("a\\b", 3, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "scope contains an invalid character "
	    "(byte 0x5c at offset 1)");
	assert_int_equal(scopes_parse("openid\temail", 12, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "scope contains an invalid character "
	    "(byte 0x09 at offset 6)");
	assert_int_equal(scopes_parse("openid\x7f", 7, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "scope contains an invalid character "
	    "(byte 0x7f at offset 6)");
	assert_int_equal(scopes_parse("e\xc3\xa9", 3, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "scope contains an invalid character "
	    "(byte 0xc3 at offset 1)");
	assert_int_equal(scopes_parse("openid\0email", 12, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "scope contains an invalid character "
	    "(byte 0x00 at offset 6)");
}

static void
parse_length_limit(void **state)
{
	char		s[SCOPES_MAX_LEN + 1];
	unsigned int	set;
	char		error[ERROR_LEN];
	size_t		i;

	(void)state;
	/* 146 times "openid " is 1022 bytes, and "  " makes 1024. */
	memset(s, ' ', sizeof(s));
	for (i = 0; i < 146; i++)
		memcpy(s + i * 7, "openid ", 7);
	assert_int_equal(scopes_parse(s, SCOPES_MAX_LEN, &set, error,
	    sizeof(error)), 0);
	assert_int_equal(set, SCOPE_OPENID);
	assert_int_equal(scopes_parse(s, SCOPES_MAX_LEN + 1, &set, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "scope is longer than 1024 bytes");
}

static void
format_canonical_order(void **state)
{
	char	out[SCOPES_FORMAT_MAX];

	(void)state;
	assert_int_equal(scopes_format(SCOPES_ALL, out, sizeof(out)), 48);
	assert_string_equal(out,
	    "openid profile email groups roles offline_access");
	assert_int_equal(scopes_format(SCOPE_OFFLINE_ACCESS | SCOPE_EMAIL |
	    SCOPE_OPENID, out, sizeof(out)), 27);
	assert_string_equal(out, "openid email offline_access");
	assert_int_equal(scopes_format(0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Bits of no known scope are ignored. */
	assert_int_equal(scopes_format(0x40u | SCOPE_ROLES, out, sizeof(out)),
	    5);
	assert_string_equal(out, "roles");
}

static void
format_truncates_whole_names(void **state)
{
	char	out[16];

	(void)state;
	/* "openid email" needs 12 bytes and the NUL. */
	assert_int_equal(scopes_format(SCOPE_OPENID | SCOPE_EMAIL, out, 13),
	    12);
	assert_string_equal(out, "openid email");
	assert_int_equal(scopes_format(SCOPE_OPENID | SCOPE_EMAIL, out, 12),
	    12);
	assert_string_equal(out, "openid");
	assert_int_equal(scopes_format(SCOPE_OPENID, out, 6), 6);
	assert_string_equal(out, "");
	assert_int_equal(scopes_format(SCOPE_OPENID, NULL, 0), 6);
}

static void
format_then_parse_round_trip(void **state)
{
	char		out[SCOPES_FORMAT_MAX];
	char		error[ERROR_LEN];
	unsigned int	set, parsed;

	(void)state;
	for (set = 0; set <= SCOPES_ALL; set++) {
		scopes_format(set, out, sizeof(out));
		assert_int_equal(scopes_parse(out, strlen(out), &parsed, error,
		    sizeof(error)), 0);
		assert_int_equal(parsed, set);
	}
}

static void
subset_rules(void **state)
{
	(void)state;
	assert_true(scopes_subset(0, 0));
	assert_true(scopes_subset(0, SCOPE_OPENID));
	assert_true(scopes_subset(SCOPE_OPENID, SCOPE_OPENID | SCOPE_EMAIL));
	assert_true(scopes_subset(SCOPES_ALL, SCOPES_ALL));
	assert_false(scopes_subset(SCOPE_EMAIL, SCOPE_OPENID));
	assert_false(scopes_subset(SCOPE_OPENID | SCOPE_OFFLINE_ACCESS,
	    SCOPE_OPENID));
	assert_false(scopes_subset(SCOPE_OPENID, 0));
}

static void
description_texts(void **state)
{
	(void)state;
	assert_string_equal(scopes_description(SCOPE_OPENID),
	    "Sign you in with your Orgo account");
	assert_string_equal(scopes_description(SCOPE_PROFILE),
	    "Your name and profile picture");
	assert_string_equal(scopes_description(SCOPE_EMAIL),
	    "Your email address and whether it is verified");
	assert_string_equal(scopes_description(SCOPE_GROUPS),
	    "The groups you belong to");
	assert_string_equal(scopes_description(SCOPE_ROLES),
	    "Your roles in the organisation");
	assert_string_equal(scopes_description(SCOPE_OFFLINE_ACCESS),
	    "Stay connected when you are not using the app");
	assert_null(scopes_description(0));
	assert_null(scopes_description(SCOPE_OPENID | SCOPE_EMAIL));
	assert_null(scopes_description(0x40u));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_known_scopes),
		cmocka_unit_test(parse_collapses_duplicates),
		cmocka_unit_test(parse_skips_extra_spaces),
		cmocka_unit_test(parse_empty_is_empty_set),
		cmocka_unit_test(parse_unknown_scope),
		cmocka_unit_test(parse_quotes_64_bytes),
		cmocka_unit_test(parse_invalid_characters),
		cmocka_unit_test(parse_length_limit),
		cmocka_unit_test(format_canonical_order),
		cmocka_unit_test(format_truncates_whole_names),
		cmocka_unit_test(format_then_parse_round_trip),
		cmocka_unit_test(subset_rules),
		cmocka_unit_test(description_texts),
	};

	return (cmocka_run_group_tests_name("scopes", tests, NULL, NULL));
}
