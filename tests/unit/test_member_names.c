/* Unit tests for role and group names, the rules of their CHECKs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "member_names.h"

#define VALID_ROLE(s)	member_role_valid((s), strlen(s))
#define VALID_GROUP(s)	member_group_valid((s), strlen(s))

static void
role_names(void **state)
{
	char	longest[MEMBER_NAME_MAX + 2];

	(void)state;
	assert_true(VALID_ROLE("ADMIN"));
	assert_true(VALID_ROLE("A"));
	assert_true(VALID_ROLE("WIKI_EDITOR_2"));
	assert_false(VALID_ROLE(""));
	assert_false(VALID_ROLE("admin"));
	assert_false(VALID_ROLE("_ADMIN"));
	assert_false(VALID_ROLE("2FA"));
	assert_false(VALID_ROLE("WIKI-EDITOR"));
	assert_false(VALID_ROLE("WIKI EDITOR"));

	memset(longest, 'R', MEMBER_NAME_MAX);
	longest[MEMBER_NAME_MAX] = '\0';
	assert_true(VALID_ROLE(longest));
	longest[MEMBER_NAME_MAX] = 'R';
	longest[MEMBER_NAME_MAX + 1] = '\0';
	assert_false(VALID_ROLE(longest));
}

static void
group_names(void **state)
{
	char	longest[MEMBER_NAME_MAX + 2];

	(void)state;
	assert_true(VALID_GROUP("Design"));
	assert_true(VALID_GROUP("Night shift"));
	assert_true(VALID_GROUP("2026 board.members_a-b"));
	assert_false(VALID_GROUP(""));
	assert_false(VALID_GROUP(" Design"));
	assert_false(VALID_GROUP("-team"));
	assert_false(VALID_GROUP("!bad"));
	assert_false(VALID_GROUP("a/b"));
	assert_false(VALID_GROUP("caf\xc3\xa9"));

	memset(longest, 'g', MEMBER_NAME_MAX);
	longest[MEMBER_NAME_MAX] = '\0';
	assert_true(VALID_GROUP(longest));
	longest[MEMBER_NAME_MAX] = 'g';
	longest[MEMBER_NAME_MAX + 1] = '\0';
	assert_false(VALID_GROUP(longest));
}

static void
name_with_nul_is_invalid(void **state)
{
	(void)state;
	assert_false(member_role_valid("AB\0C", 4));
	assert_false(member_group_valid("ab\0c", 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(role_names),
		cmocka_unit_test(group_names),
		cmocka_unit_test(name_with_nul_is_invalid),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
