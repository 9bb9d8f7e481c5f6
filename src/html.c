/*
 * HTML escaping. Escaping both quote characters makes the output safe in
 * element text and in quoted attribute values. It is not enough inside
 * <script>, <style> or unquoted attributes, which pages must not fill from
 * input, nor for URL attributes such as href, whose scheme needs a check.
 */
#include <stdlib.h>
#include <string.h>

#include "html.h"

static const char	*html_entity(char);
static int		 html_buf_reserve(struct html_buf *, size_t);

size_t
html_escape(const char *in, size_t len, char *out, size_t out_len)
{
	const char	*entity;
	size_t		 i, n, need, written;

	need = 0;
	written = 0;
	for (i = 0; i < len; i++) {
		entity = html_entity(in[i]);
		n = entity != NULL ? strlen(entity) : 1;

		/*
		 * Because 'need' only grows, no piece after one that does
		 * not fit is written, and the output never ends inside an
		 * entity.
		 */
		if (need + n < out_len) {
			if (entity != NULL)
				memcpy(out + written, entity, n);
			else
				out[written] = in[i];
			written += n;
		}
		need += n;
	}

	if (out_len > 0)
		out[written] = '\0';

	return (need);
}

int
html_buf_append(struct html_buf *b, const char *s, size_t len)
{
	if (html_buf_reserve(b, len) == -1)
		return (-1);

	if (len > 0)
		memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';

	return (0);
}

int
html_buf_append_escaped(struct html_buf *b, const char *s, size_t len)
{
	size_t		need;

	need = html_escape(s, len, NULL, 0);
	if (html_buf_reserve(b, need) == -1)
		return (-1);

	html_escape(s, len, b->data + b->len, b->cap - b->len);
	b->len += need;

	return (0);
}

void
html_buf_free(struct html_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

static const char *
html_entity(char c)
{
	switch (c) {
	case '&':
		return ("&amp;");
	case '<':
		return ("&lt;");
	case '>':
		return ("&gt;");
	case '"':
		return ("&quot;");
	case '\'':
		return ("&#39;");
	default:
		return (NULL);
	}
}

/* Make room for 'more' bytes plus the NUL after the current text. */
static int
html_buf_reserve(struct html_buf *b, size_t more)
{
	size_t		 cap;
	char		*data;

	if (more > HTML_BUF_MAX || b->len + more > HTML_BUF_MAX)
		return (-1);
	if (b->len + more < b->cap)
		return (0);

	cap = b->cap > 0 ? b->cap : 256;
	while (cap <= b->len + more)
		cap *= 2;

	if ((data = realloc(b->data, cap)) == NULL)
		return (-1);
	b->data = data;
	b->cap = cap;

	return (0);
}
