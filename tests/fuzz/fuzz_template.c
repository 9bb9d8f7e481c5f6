/*
 * template_render on fuzzed template text. Templates come from assets/,
 * not from clients, but values do: a value inserted with {{name}} must
 * never add markup. Only {{{name}}}, the raw form, may add the '<' and
 * '"' of the value, so the output has no more of them than that allows.
 */
#include "fuzz.h"
#include "template.h"

static const struct template_var	fuzz_vars[] = {
	{ "name", "<script>alert(\"x\")</script> & 'y'" },
	{ "raw", "R" },
	{ "empty", NULL },
	{ "", "blank name" },
};

/* Two of each in the value of "name". */
#define FUZZ_NAME_MARKUP	2

static size_t
fuzz_count(const char *s, size_t len, char c)
{
	size_t	i, n;

	for (i = 0, n = 0; i < len; i++)
		n += s[i] == c;
	return (n);
}

/* Count the raw insertions of "name" that the template can hold. */
static size_t
fuzz_count_raw_name(const char *s, size_t len)
{
	static const char	tag[] = "{{{name}}}";
	const char		*p, *end;
	size_t			 n;

	n = 0;
	end = s + len;
	for (p = s; (p = memmem(p, (size_t)(end - p), tag,
	    sizeof(tag) - 1)) != NULL; p++)
		n++;
	return (n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template	 t;
	struct html_buf	 out;
	char		 error[256];
	size_t		 raw;
	int		 rc;

	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "fuzz.html");
	t.text = fuzz_string(data, size);
	t.len = size;

	memset(&out, 0, sizeof(out));
	error[0] = '\0';
	rc = template_render(&t, fuzz_vars,
	    sizeof(fuzz_vars) / sizeof(fuzz_vars[0]), &out, error,
	    sizeof(error));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(out.len <= HTML_BUF_MAX);
		FUZZ_CHECK(out.data == NULL || out.data[out.len] == '\0');
		raw = fuzz_count_raw_name(t.text, t.len) * FUZZ_NAME_MARKUP;
		FUZZ_CHECK(fuzz_count(out.data, out.len, '<') <=
		    fuzz_count(t.text, t.len, '<') + raw);
		FUZZ_CHECK(fuzz_count(out.data, out.len, '"') <=
		    fuzz_count(t.text, t.len, '"') + raw);
		if (memmem(t.text, t.len, "{{", 2) == NULL) {
			FUZZ_CHECK(out.len == t.len);
			FUZZ_CHECK(t.len == 0 ||
			    memcmp(out.data, t.text, t.len) == 0);
		}
	} else {
		FUZZ_CHECK(memchr(error, '\0', sizeof(error)) != NULL);
	}

	html_buf_free(&out);
	free(t.text);
	return (0);
}
