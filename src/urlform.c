/*
 * Parser and encoder for application/x-www-form-urlencoded data. Every
 * value is decoded into one buffer owned by the struct urlform, and every
 * error names the parameter so that the client can find its mistake.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "urlform.h"

/* Maximum length of a parameter name quoted in an error message. */
#define URLFORM_QUOTE_MAX	64

enum urlform_decode_status {
	URLFORM_DECODE_OK,
	URLFORM_DECODE_BAD_ESCAPE,
	URLFORM_DECODE_NUL,
	URLFORM_DECODE_TOO_LONG,
};

static int	urlform_add(struct urlform *, const char *, size_t, size_t *,
		    size_t, char *, size_t);
static enum urlform_decode_status
		urlform_decode(const char *, size_t, char *, size_t, size_t *);
static int	urlform_hex_value(char);
static void	urlform_quote(const char *, size_t,
		    char[URLFORM_QUOTE_MAX + 4]);

int
urlform_parse(struct urlform *f, const char *data, size_t len, char *error,
    size_t error_len)
{
	size_t		start, end, used, cap;

	memset(f, 0, sizeof(*f));
	if (len > URLFORM_DATA_MAX) {
		snprintf(error, error_len, "form data is longer than %d bytes",
		    URLFORM_DATA_MAX);
		return (-1);
	}
	if (len == 0)
		return (0);

	/*
	 * Decoding never makes a piece longer, and each stored parameter
	 * needs at most two more bytes for the NULs after its name and value.
	 */
	cap = len + 2 * URLFORM_PARAMS_MAX;
	if ((f->buf = malloc(cap)) == NULL) {
		snprintf(error, error_len, "out of memory parsing form data");
		return (-1);
	}

	used = 0;
	for (start = 0; start < len; start = end + 1) {
		for (end = start; end < len && data[end] != '&'; end++)
			;
		if (end == start)
			continue;
		if (urlform_add(f, data + start, end - start, &used, cap,
		    error, error_len) == -1) {
			urlform_free(f);
			return (-1);
		}
	}

	return (0);
}

void
urlform_free(struct urlform *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

enum urlform_result
urlform_get(const struct urlform *f, const char *name, const char **value,
    size_t *len)
{
	const struct urlform_param	*found;
	size_t				 i;

	if (value != NULL)
		*value = NULL;
	if (len != NULL)
		*len = 0;

	found = NULL;
	for (i = 0; i < f->count; i++) {
		if (strcmp(f->params[i].name, name) != 0)
			continue;
		if (found != NULL)
			return (URLFORM_DUPLICATE);
		found = &f->params[i];
	}
	if (found == NULL)
		return (URLFORM_MISSING);

	if (value != NULL)
		*value = found->value;
	if (len != NULL)
		*len = found->value_len;

	return (URLFORM_FOUND);
}

size_t
urlform_encode(const char *in, size_t len, char *out, size_t out_len)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;
	size_t			i, n, need, written;

	need = 0;
	written = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			n = 1;
		else
			n = 3;

		/*
		 * Because 'need' only grows, no piece after one that does
		 * not fit is written, and the output never ends inside an
		 * escape.
		 */
		if (need + n < out_len) {
			if (n == 1) {
				out[written] = (char)c;
			} else {
				out[written] = '%';
				out[written + 1] = hex[c >> 4];
				out[written + 2] = hex[c & 15];
			}
			written += n;
		}
		need += n;
	}

	if (out_len > 0)
		out[written] = '\0';

	return (need);
}

int
urlform_decode_component(const char *in, size_t len, char *out,
    size_t out_len, size_t *out_written)
{
	size_t		written;

	if (urlform_decode(in, len, out, out_len, &written) !=
	    URLFORM_DECODE_OK)
		return (-1);

	if (out_written != NULL)
		*out_written = written;

	return (0);
}

/*
 * Decode one "name" or "name=value" piece into f->buf at '*used', which
 * has 'cap' bytes in all.
 */
static int
urlform_add(struct urlform *f, const char *piece, size_t len, size_t *used,
    size_t cap, char *error, size_t error_len)
{
	struct urlform_param		*param;
	const char			*equals, *value;
	char				*name_out, *value_out;
	char				 quoted[URLFORM_QUOTE_MAX + 4];
	size_t				 name_len, value_len, room, n;
	enum urlform_decode_status	 status;

	if (f->count == URLFORM_PARAMS_MAX) {
		snprintf(error, error_len, "form data has more than %d "
		    "parameters", URLFORM_PARAMS_MAX);
		return (-1);
	}

	equals = memchr(piece, '=', len);
	name_len = equals != NULL ? (size_t)(equals - piece) : len;
	value = equals != NULL ? equals + 1 : piece + len;
	value_len = equals != NULL ? len - name_len - 1 : 0;

	if (name_len == 0) {
		snprintf(error, error_len,
		    "form data contains a parameter with an empty name");
		return (-1);
	}
	urlform_quote(piece, name_len, quoted);

	name_out = f->buf + *used;
	room = cap - *used;
	if (room > URLFORM_NAME_MAX + 1)
		room = URLFORM_NAME_MAX + 1;
	status = urlform_decode(piece, name_len, name_out, room, &n);
	switch (status) {
	case URLFORM_DECODE_OK:
		break;
	case URLFORM_DECODE_BAD_ESCAPE:
		snprintf(error, error_len, "invalid percent-encoding in "
		    "parameter name \"%s\"", quoted);
		return (-1);
	case URLFORM_DECODE_NUL:
		snprintf(error, error_len, "parameter name \"%s\" contains "
		    "a NUL byte", quoted);
		return (-1);
	case URLFORM_DECODE_TOO_LONG:
		snprintf(error, error_len, "parameter name \"%s\" is longer "
		    "than %d bytes", quoted, URLFORM_NAME_MAX);
		return (-1);
	}
	if (u8_check((const uint8_t *)name_out, n) != NULL) {
		snprintf(error, error_len, "parameter name \"%s\" is not "
		    "valid UTF-8", quoted);
		return (-1);
	}
	*used += n + 1;

	/* From here on, quote the decoded name that the client meant. */
	urlform_quote(name_out, n, quoted);

	value_out = f->buf + *used;
	room = cap - *used;
	if (room > URLFORM_VALUE_MAX + 1)
		room = URLFORM_VALUE_MAX + 1;
	status = urlform_decode(value, value_len, value_out, room, &n);
	switch (status) {
	case URLFORM_DECODE_OK:
		break;
	case URLFORM_DECODE_BAD_ESCAPE:
		snprintf(error, error_len, "invalid percent-encoding in "
		    "parameter \"%s\"", quoted);
		return (-1);
	case URLFORM_DECODE_NUL:
		snprintf(error, error_len, "parameter \"%s\" contains a NUL "
		    "byte", quoted);
		return (-1);
	case URLFORM_DECODE_TOO_LONG:
		snprintf(error, error_len, "parameter \"%s\" is longer than "
		    "%d bytes", quoted, URLFORM_VALUE_MAX);
		return (-1);
	}
	if (u8_check((const uint8_t *)value_out, n) != NULL) {
		snprintf(error, error_len, "parameter \"%s\" is not valid "
		    "UTF-8", quoted);
		return (-1);
	}
	*used += n + 1;

	param = &f->params[f->count++];
	param->name = name_out;
	param->value = value_out;
	param->value_len = n;

	return (0);
}

/* Decode into 'out', which needs room for the bytes and a NUL after them. */
static enum urlform_decode_status
urlform_decode(const char *in, size_t len, char *out, size_t out_len,
    size_t *written)
{
	size_t		i, o;
	int		high, low;
	char		c;

	*written = 0;
	for (i = 0, o = 0; i < len; i++) {
		c = in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (len - i < 3)
				return (URLFORM_DECODE_BAD_ESCAPE);
			high = urlform_hex_value(in[i + 1]);
			low = urlform_hex_value(in[i + 2]);
			if (high == -1 || low == -1)
				return (URLFORM_DECODE_BAD_ESCAPE);
			c = (char)(high << 4 | low);
			i += 2;
		}

		if (c == '\0')
			return (URLFORM_DECODE_NUL);
		if (o + 1 >= out_len)
			return (URLFORM_DECODE_TOO_LONG);
		out[o++] = c;
	}

	if (out_len == 0)
		return (URLFORM_DECODE_TOO_LONG);
	out[o] = '\0';
	*written = o;

	return (URLFORM_DECODE_OK);
}

static int
urlform_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Copy untrusted bytes for an error message: printable ASCII other than
 * '"' and '\' is kept, any other byte becomes '?', and text past
 * URLFORM_QUOTE_MAX bytes is cut and marked with "...".
 */
static void
urlform_quote(const char *s, size_t len, char out[URLFORM_QUOTE_MAX + 4])
{
	size_t		i, n;
	unsigned char	c;

	n = len > URLFORM_QUOTE_MAX ? URLFORM_QUOTE_MAX : len;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			c = '?';
		out[i] = (char)c;
	}
	if (len > URLFORM_QUOTE_MAX) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}
