/* Unit tests for device authorization user codes (RFC 8628 section 6.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "device_code.h"

static void
new_code_uses_alphabet(void **state)
{
	char	code[DEVICE_USER_CODE_LEN + 1];
	size_t	i;
	int	round;

	(void)state;
	for (round = 0; round < 200; round++) {
		assert_int_equal(device_user_code_new(code), 0);
		assert_int_equal(strlen(code), DEVICE_USER_CODE_LEN);
		for (i = 0; i < DEVICE_USER_CODE_LEN; i++)
			assert_non_null(strchr(DEVICE_USER_CODE_ALPHABET,
			    code[i]));
	}
}

static void
new_code_covers_every_letter(void **state)
{
	char	code[DEVICE_USER_CODE_LEN + 1];
	int	seen[26] = { 0 };
	size_t	i, distinct;
	int	round;

	(void)state;
	/* 4000 letters: each of 20 is missed with chance (19/20)^4000. */
	for (round = 0; round < 500; round++) {
		assert_int_equal(device_user_code_new(code), 0);
		for (i = 0; i < DEVICE_USER_CODE_LEN; i++)
			seen[code[i] - 'A']++;
	}
	distinct = 0;
	for (i = 0; i < 26; i++)
		distinct += seen[i] > 0;
	assert_int_equal(distinct, strlen(DEVICE_USER_CODE_ALPHABET));
	assert_int_equal(seen['A' - 'A'], 0);
	assert_int_equal(seen['E' - 'A'], 0);
	assert_int_equal(seen['Y' - 'A'], 0);
}

static void
new_codes_differ(void **state)
{
	char	first[DEVICE_USER_CODE_LEN + 1];
	char	second[DEVICE_USER_CODE_LEN + 1];

	(void)state;
	assert_int_equal(device_user_code_new(first), 0);
	assert_int_equal(device_user_code_new(second), 0);
	assert_string_not_equal(first, second);
}

static void
parse_accepts_typed_forms(void **state)
{
	static const char *const	typed[] = {
		"BCDF-GHJK", "BCDFGHJK", "bcdf-ghjk", "bcdfghjk", "BcDf-gHjK",
		" BCDF GHJK ", "BC-DF-GH-JK", "-BCDFGHJK-",
	};
	char				out[DEVICE_USER_CODE_LEN + 1];
	size_t				i;

	(void)state;
	for (i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		memset(out, 'x', sizeof(out));
		if (device_user_code_parse(typed[i], strlen(typed[i]),
		    out) != 0)
			print_message("rejected \"%s\"\n", typed[i]);
		assert_int_equal(device_user_code_parse(typed[i],
		    strlen(typed[i]), out), 0);
		assert_string_equal(out, "BCDFGHJK");
	}
}

static void
parse_rejects_bad_codes(void **state)
{
	static const char *const	bad[] = {
		"", "-", "BCDF-GHJ", "BCDF-GHJKL", "BCDF-GHJA", "BCDF-GHJ1",
		"BCDF_GHJK", "BCDF.GHJK", "BCDF\tGHJK", "BCDF-GHJ\xc3\x89",
		"bcdf-ghj0", "BCDF-GHJKBCDF-GHJK",
		"B - C - D - F - G - H - J - K - -",
	};
	char				out[DEVICE_USER_CODE_LEN + 1];
	size_t				i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (device_user_code_parse(bad[i], strlen(bad[i]), out) != -1)
			print_message("accepted \"%s\"\n", bad[i]);
		assert_int_equal(device_user_code_parse(bad[i], strlen(bad[i]),
		    out), -1);
	}
}

static void
parse_rejects_nul_and_long_input(void **state)
{
	char	out[DEVICE_USER_CODE_LEN + 1];
	char	long_input[DEVICE_USER_CODE_INPUT_MAX + 2];

	(void)state;
	/* A NUL inside the counted length. */
	assert_int_equal(device_user_code_parse("BCDF\0GHJK", 9, out), -1);

	/* Dashes up to the limit are fine, one byte more is not. */
	memset(long_input, '-', sizeof(long_input));
	memcpy(long_input, "BCDFGHJK", 8);
	assert_int_equal(device_user_code_parse(long_input,
	    DEVICE_USER_CODE_INPUT_MAX, out), 0);
	assert_int_equal(device_user_code_parse(long_input,
	    DEVICE_USER_CODE_INPUT_MAX + 1, out), -1);
}

static void
show_inserts_dash(void **state)
{
	char	shown[DEVICE_USER_CODE_SHOWN_MAX];

	(void)state;
	memset(shown, 'x', sizeof(shown));
	device_user_code_show("WDJBMJHT", shown);
	assert_string_equal(shown, "WDJB-MJHT");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_code_uses_alphabet),
		cmocka_unit_test(new_code_covers_every_letter),
		cmocka_unit_test(new_codes_differ),
		cmocka_unit_test(parse_accepts_typed_forms),
		cmocka_unit_test(parse_rejects_bad_codes),
		cmocka_unit_test(parse_rejects_nul_and_long_input),
		cmocka_unit_test(show_inserts_dash),
	};

	return (cmocka_run_group_tests_name("device_code", tests, NULL,
	    NULL));
}
