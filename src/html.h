/* HTML escaping for text and attribute values in server-rendered pages. */
#ifndef ORGO_HTML_H
#define ORGO_HTML_H

#include <stddef.h>

/* Maximum length of an html_buf in bytes, so a runaway loop fails early. */
#define HTML_BUF_MAX		(1024 * 1024)

/*
 * Escape & < > " ' as &amp; &lt; &gt; &quot; &#39; and copy other bytes
 * unchanged. Writes at most out_len - 1 bytes and a NUL, never a partial
 * entity. Returns the length of the whole escaped text, without the NUL,
 * so a result >= out_len means 'out' was truncated. 'out' may be NULL
 * when out_len is 0.
 */
size_t	html_escape(const char *in, size_t len, char *out,
	    size_t out_len);

/*
 * A growing, NUL-terminated buffer. A zeroed struct is an empty buffer.
 * The append functions return 0, or -1 when memory runs out or the
 * buffer would exceed HTML_BUF_MAX, and leave the buffer as it was.
 */
struct html_buf {
	char		*data;
	size_t		 len;
	size_t		 cap;
};

int	html_buf_append(struct html_buf *b, const char *s, size_t len);
int	html_buf_append_escaped(struct html_buf *b, const char *s,
	    size_t len);
void	html_buf_free(struct html_buf *b);

#endif
