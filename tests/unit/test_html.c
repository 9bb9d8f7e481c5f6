/* Unit tests for HTML escaping and the growing page buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "html.h"

static void
escape_script_tag(void **state)
{
	const char	*in = "<script>alert(\"x\")</script>";
	const char	*expected = "&lt;script&gt;alert(&quot;x&quot;)"
	    "&lt;/script&gt;";
	char		 out[128];

	(void)state;
	assert_int_equal(html_escape(in, strlen(in), out, sizeof(out)),
	    strlen(expected));
	assert_string_equal(out, expected);
}

static void
escape_attribute_breakout(void **state)
{
	const char	*in = "' onmouseover=alert(1) x='";
	const char	*expected = "&#39; onmouseover=alert(1) x=&#39;";
	char		 out[128];

	(void)state;
	assert_int_equal(html_escape(in, strlen(in), out, sizeof(out)),
	    strlen(expected));
	assert_string_equal(out, expected);
}

static void
escape_ampersand_and_utf8(void **state)
{
	/* "Café & co" with é as two UTF-8 bytes, which pass unchanged. */
	const char	*in = "Caf\xc3\xa9 & co";
	const char	*expected = "Caf\xc3\xa9 &amp; co";
	char		 out[32];

	(void)state;
	assert_int_equal(html_escape(in, strlen(in), out, sizeof(out)),
	    strlen(expected));
	assert_string_equal(out, expected);
}

static void
escape_empty_input(void **state)
{
	char	out[4];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(html_escape("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(html_escape("", 0, NULL, 0), 0);
}

static void
escape_truncates_whole_entities(void **state)
{
	char	out[8];

	(void)state;
	/* "a&lt;b" needs 6 bytes and a NUL, so 7 bytes hold all of it. */
	assert_int_equal(html_escape("a<b", 3, out, 7), 6);
	assert_string_equal(out, "a&lt;b");
	assert_int_equal(html_escape("a<b", 3, out, 6), 6);
	assert_string_equal(out, "a&lt;");
	/* "&lt;" does not fit in 4 bytes with its NUL and is left out whole. */
	assert_int_equal(html_escape("a<b", 3, out, 5), 6);
	assert_string_equal(out, "a");
	/* Nothing more is written after the first piece that did not fit. */
	assert_int_equal(html_escape("<a", 2, out, 4), 5);
	assert_string_equal(out, "");
	assert_int_equal(html_escape("abc", 3, out, 1), 3);
	assert_string_equal(out, "");
	/* Only the return value when there is no buffer. */
	assert_int_equal(html_escape("<>", 2, NULL, 0), 8);
}

static void
escape_keeps_length_counted_bytes(void **state)
{
	char	out[8];

	(void)state;
	/* Only 'len' bytes are read, so the "<" after them is ignored. */
	assert_int_equal(html_escape("ab<", 2, out, sizeof(out)), 2);
	assert_string_equal(out, "ab");
}

static void
buf_appends_and_escapes(void **state)
{
	struct html_buf	 b;
	const char	*name = "<Ann & \"Bo\">";

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(html_buf_append(&b, "<p>", 3), 0);
	assert_int_equal(html_buf_append_escaped(&b, name, strlen(name)), 0);
	assert_int_equal(html_buf_append(&b, "</p>", 4), 0);
	assert_int_equal(html_buf_append(&b, "\n", 1), 0);
	assert_string_equal(b.data,
	    "<p>&lt;Ann &amp; &quot;Bo&quot;&gt;</p>\n");
	assert_int_equal(b.len, strlen(b.data));
	assert_true(b.cap > b.len);

	html_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void
buf_empty_append(void **state)
{
	struct html_buf	b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(html_buf_append(&b, NULL, 0), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(html_buf_append_escaped(&b, "", 0), 0);
	assert_int_equal(b.len, 0);
	html_buf_free(&b);
}

static void
buf_grows_past_initial_size(void **state)
{
	struct html_buf	b;
	size_t		i;

	(void)state;
	memset(&b, 0, sizeof(b));
	/* 1000 times "&" escapes to 5000 bytes, past several doublings. */
	for (i = 0; i < 1000; i++)
		assert_int_equal(html_buf_append_escaped(&b, "&", 1), 0);
	assert_int_equal(b.len, 5000);
	assert_int_equal(strlen(b.data), 5000);
	assert_memory_equal(b.data + 4995, "&amp;", 5);
	html_buf_free(&b);
}

static void
buf_rejects_over_max(void **state)
{
	struct html_buf	 b;
	static char	 big[HTML_BUF_MAX];

	(void)state;
	memset(&b, 0, sizeof(b));
	memset(big, 'a', sizeof(big));
	assert_int_equal(html_buf_append(&b, big, sizeof(big)), 0);
	assert_int_equal(b.len, HTML_BUF_MAX);

	/* One more byte would pass the maximum, so nothing is appended. */
	assert_int_equal(html_buf_append(&b, "b", 1), -1);
	assert_int_equal(html_buf_append_escaped(&b, "<", 1), -1);
	assert_int_equal(b.len, HTML_BUF_MAX);
	assert_int_equal(b.data[HTML_BUF_MAX], '\0');
	html_buf_free(&b);

	/* Each "<" becomes 4 bytes, so a quarter of the maximum fits. */
	memset(big, '<', HTML_BUF_MAX / 4 + 1);
	assert_int_equal(html_buf_append_escaped(&b, big,
	    HTML_BUF_MAX / 4 + 1), -1);
	assert_null(b.data);
	assert_int_equal(html_buf_append_escaped(&b, big,
	    HTML_BUF_MAX / 4), 0);
	assert_int_equal(b.len, HTML_BUF_MAX);
	html_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_script_tag),
		cmocka_unit_test(escape_attribute_breakout),
		cmocka_unit_test(escape_ampersand_and_utf8),
		cmocka_unit_test(escape_empty_input),
		cmocka_unit_test(escape_truncates_whole_entities),
		cmocka_unit_test(escape_keeps_length_counted_bytes),
		cmocka_unit_test(buf_appends_and_escapes),
		cmocka_unit_test(buf_empty_append),
		cmocka_unit_test(buf_grows_past_initial_size),
		cmocka_unit_test(buf_rejects_over_max),
	};

	return (cmocka_run_group_tests_name("html", tests, NULL, NULL));
}
