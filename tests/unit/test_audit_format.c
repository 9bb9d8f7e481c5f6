/* Unit tests for audit details as text and the redaction of secrets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "audit_format.h"

/* Format the JSON text 'in' into a buffer of 'out_len' bytes. */
static void
format_check(const char *in, size_t out_len, const char *expected,
    int expected_truncated)
{
	json_t		*details;
	json_error_t	 error;
	char		*out;
	int		 truncated;

	details = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
	assert_non_null(details);
	out = malloc(out_len);
	assert_non_null(out);
	assert_int_equal(audit_format_details(details, out, out_len,
	    &truncated), 0);
	assert_string_equal(out, expected);
	assert_int_equal(truncated, expected_truncated);
	free(out);
	json_decref(details);
}

/* Redact the JSON text 'in' and compare its compact dump with 'expected'. */
static void
redact_check(const char *in, const char *expected)
{
	json_t		*details;
	json_error_t	 error;
	char		*out;

	details = json_loads(in, 0, &error);
	assert_non_null(details);
	audit_format_redact(details);
	out = json_dumps(details, JSON_COMPACT);
	assert_non_null(out);
	assert_string_equal(out, expected);
	free(out);
	json_decref(details);
}

static void
format_flat_pairs(void **state)
{
	(void)state;
	format_check("{\"locked\": false, \"grant_id\": 42, \"via\": "
	    "\"orgoctl\"}", 256, "locked: false, grant_id: 42, via: orgoctl",
	    0);
}

static void
format_empty_object(void **state)
{
	(void)state;
	format_check("{}", 16, "", 0);
}

static void
format_quotes_free_text(void **state)
{
	(void)state;
	/* A comma and a colon in a value must not read as another pair. */
	format_check("{\"name\": \"Billing, admin: yes\"}", 256,
	    "name: \"Billing, admin: yes\"", 0);
	format_check("{\"name\": \"\"}", 256, "name: \"\"", 0);
	format_check("{\"name\": \"Say \\\"hi\\\" \\\\ bye\"}", 256,
	    "name: \"Say \\\"hi\\\" \\\\ bye\"", 0);
}

static void
format_keeps_utf8_letters(void **state)
{
	(void)state;
	/* "Émile" with a precomposed É. */
	format_check("{\"name\": \"\xc3\x89mile\"}", 256,
	    "name: \"\xc3\x89mile\"", 0);
}

static void
format_escapes_line_breaks_and_bidi(void **state)
{
	(void)state;
	format_check("{\"name\": \"a\\nb\\rc\\td\\u0000e\\u007f\"}", 256,
	    "name: \"a\\nb\\u000dc\\td\\u0000e\\u007f\"", 0);
	/* A NUL byte alone must not pass as a bare value and end the text. */
	format_check("{\"name\": \"New\\u0000e\", \"next\": 1}", 256,
	    "name: \"New\\u0000e\", next: 1", 0);
	/* U+2028 LINE SEPARATOR, U+202E RIGHT-TO-LEFT OVERRIDE, U+0085 NEL. */
	format_check("{\"name\": \"x\\u2028y\\u202ez\\u0085\"}", 256,
	    "name: \"x\\u2028y\\u202ez\\u0085\"", 0);
}

static void
format_changes_as_arrows(void **state)
{
	(void)state;
	format_check("{\"name\": {\"from\": \"Old\", \"to\": \"New\"}, "
	    "\"roles\": {\"from\": [\"MEMBER\"], \"to\": [\"ADMIN_TENANT\", "
	    "\"MEMBER\"]}}", 256, "name: Old \xe2\x86\x92 New, roles: [MEMBER] "
	    "\xe2\x86\x92 [ADMIN_TENANT, MEMBER]", 0);
}

static void
format_nested_objects_and_arrays(void **state)
{
	(void)state;
	format_check("{\"a\": {\"b\": 1, \"c\": null}, \"d\": [], \"e\": "
	    "[true, 1.5]}", 256, "a: {b: 1, c: null}, d: [], e: [true, 1.5]",
	    0);
	format_check("{\"from\": 1, \"to\": 2, \"x\": 3}", 256,
	    "from: 1, to: 2, x: 3", 0);
}

static void
format_depth_limit(void **state)
{
	(void)state;
	format_check("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
	    "{\"a\":1}}}}}}}}}", 256, "a: {a: {a: {a: {a: {a: {a: {a: {"
	    "\xe2\x80\xa6}}}}}}}}", 0);
}

static void
format_top_level_not_object(void **state)
{
	(void)state;
	format_check("[1, \"two words\"]", 64, "[1, \"two words\"]", 0);
	format_check("\"text\"", 64, "text", 0);
}

static void
format_truncates_with_ellipsis(void **state)
{
	(void)state;
	/* 12 bytes: 8 of text, 3 of ellipsis and the NUL. */
	format_check("{\"name\": \"abcdefghij\"}", 12,
	    "name: ab\xe2\x80\xa6", 1);
	/* Exactly fits: 9 bytes of text in 13 with the ellipsis room. */
	format_check("{\"k\": \"abcdef\"}", 13, "k: abcdef", 0);
}

static void
format_truncates_whole_characters(void **state)
{
	(void)state;
	/* 4 text bytes: "k: \"" fills them, so the é is dropped whole. */
	format_check("{\"k\": \"\xc3\xa9\xc3\xa9\"}", 8, "k: \"\xe2\x80\xa6",
	    1);
	/* 6 text bytes end inside the 5-byte " → ", so the cut is before →. */
	format_check("{\"a\": {\"from\": 1, \"to\": 2}}", 10,
	    "a: 1 \xe2\x80\xa6", 1);
}

static void
format_rejects_tiny_buffer(void **state)
{
	json_t	*details;
	char	 out[7];
	int	 truncated;

	(void)state;
	details = json_object();
	assert_int_equal(audit_format_details(details, out, sizeof(out),
	    &truncated), -1);
	json_decref(details);
}

static void
redact_secret_keys(void **state)
{
	(void)state;
	redact_check("{\"client_secret\": \"s3cr3t\", \"password\": \"pw\", "
	    "\"refresh_token\": \"rt\", \"code\": \"c\", \"code_verifier\": "
	    "\"v\", \"secret_hash\": \"h\", \"Authorization\": \"Basic x\", "
	    "\"name\": \"Billing\"}",
	    "{\"client_secret\":\"[redacted]\",\"password\":\"[redacted]\","
	    "\"refresh_token\":\"[redacted]\",\"code\":\"[redacted]\","
	    "\"code_verifier\":\"[redacted]\",\"secret_hash\":\"[redacted]\","
	    "\"Authorization\":\"[redacted]\",\"name\":\"Billing\"}");
}

static void
redact_keeps_flags_and_numbers(void **state)
{
	(void)state;
	redact_check("{\"password_generated\": true, \"token_count\": 3, "
	    "\"secret_rotated\": null, \"grant_id\": 7}",
	    "{\"password_generated\":true,\"token_count\":3,"
	    "\"secret_rotated\":null,\"grant_id\":7}");
}

static void
redact_nested_values(void **state)
{
	(void)state;
	redact_check("{\"changes\": [{\"secret\": {\"from\": \"a\", \"to\": "
	    "\"b\"}}, {\"tokens\": [\"x\", \"y\"]}], \"note\": {\"password\": "
	    "\"p\"}}",
	    "{\"changes\":[{\"secret\":\"[redacted]\"},{\"tokens\":"
	    "\"[redacted]\"}],\"note\":{\"password\":\"[redacted]\"}}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_flat_pairs),
		cmocka_unit_test(format_empty_object),
		cmocka_unit_test(format_quotes_free_text),
		cmocka_unit_test(format_keeps_utf8_letters),
		cmocka_unit_test(format_escapes_line_breaks_and_bidi),
		cmocka_unit_test(format_changes_as_arrows),
		cmocka_unit_test(format_nested_objects_and_arrays),
		cmocka_unit_test(format_depth_limit),
		cmocka_unit_test(format_top_level_not_object),
		cmocka_unit_test(format_truncates_with_ellipsis),
		cmocka_unit_test(format_truncates_whole_characters),
		cmocka_unit_test(format_rejects_tiny_buffer),
		cmocka_unit_test(redact_secret_keys),
		cmocka_unit_test(redact_keeps_flags_and_numbers),
		cmocka_unit_test(redact_nested_values),
	};

	return (cmocka_run_group_tests_name("audit_format", tests, NULL, NULL));
}
