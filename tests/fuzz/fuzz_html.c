/*
 * html_escape and html_buf_append_escaped on untrusted text. The output
 * has no markup characters, unescapes to the input, and a short buffer
 * holds a prefix that never ends inside an entity.
 */
#include "fuzz.h"
#include "html.h"

static const char *const	entities[] = {
	"&amp;", "&lt;", "&gt;", "&quot;", "&#39;",
};
static const char	entity_chars[] = "&<>\"'";

/* Unescape 'in' (html_escape output) into 'out'; return the length. */
static size_t
fuzz_unescape(const char *in, size_t len, char *out)
{
	size_t	i, o, k, n;

	for (i = 0, o = 0; i < len; o++) {
		if (in[i] != '&') {
			out[o] = in[i++];
			continue;
		}
		for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
			n = strlen(entities[k]);
			if (len - i >= n && memcmp(in + i, entities[k], n) == 0)
				break;
		}
		FUZZ_CHECK(k < sizeof(entities) / sizeof(entities[0]));
		out[o] = entity_chars[k];
		i += n;
	}
	return (o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;
	struct html_buf	 b;
	char		*out, *plain, small[16];
	size_t		 need, i;

	need = html_escape(in, size, NULL, 0);
	FUZZ_CHECK(need >= size && need <= 6 * size);
	if ((out = malloc(need + 1)) == NULL || (plain = malloc(size + 1)) ==
	    NULL)
		abort();
	FUZZ_CHECK(html_escape(in, size, out, need + 1) == need);
	FUZZ_CHECK(out[need] == '\0');
	for (i = 0; i < need; i++)
		FUZZ_CHECK(out[i] != '<' && out[i] != '>' && out[i] != '"' &&
		    out[i] != '\'');
	FUZZ_CHECK(fuzz_unescape(out, need, plain) == size);
	FUZZ_CHECK(size == 0 || memcmp(plain, in, size) == 0);

	/* The prefix in a short buffer unescapes too: no cut entity. */
	FUZZ_CHECK(html_escape(in, size, small, sizeof(small)) == need);
	FUZZ_CHECK(strlen(small) < sizeof(small));
	FUZZ_CHECK(strncmp(small, out, strlen(small)) == 0);
	(void)fuzz_unescape(small, strlen(small), plain);

	memset(&b, 0, sizeof(b));
	FUZZ_CHECK(html_buf_append(&b, "x", 1) == 0);
	FUZZ_CHECK(html_buf_append_escaped(&b, in, size) == 0);
	FUZZ_CHECK(b.len == need + 1);
	FUZZ_CHECK(b.data[b.len] == '\0');
	FUZZ_CHECK(memcmp(b.data + 1, out, need) == 0);
	html_buf_free(&b);

	free(plain);
	free(out);
	return (0);
}
