/*
 * application/x-www-form-urlencoded data: query strings, POST bodies and
 * the client credentials of HTTP Basic authentication (RFC 6749 2.3.1).
 */
#ifndef ORGO_URLFORM_H
#define ORGO_URLFORM_H

#include <stddef.h>

#define URLFORM_PARAMS_MAX	64
#define URLFORM_NAME_MAX	64	/* decoded bytes */
#define URLFORM_VALUE_MAX	8192	/* decoded bytes */
#define URLFORM_DATA_MAX	65536	/* encoded bytes */

struct urlform_param {
	/* Both are NUL-terminated and contain no other NUL byte. */
	const char	*name;
	const char	*value;
	size_t		 value_len;
};

struct urlform {
	struct urlform_param	 params[URLFORM_PARAMS_MAX];
	size_t			 count;
	char			*buf;	/* decoded names and values */
};

enum urlform_result {
	URLFORM_MISSING,
	URLFORM_FOUND,
	URLFORM_DUPLICATE,
};

/*
 * Decode 'data' into 'f'. Pieces are separated by '&', a piece without
 * '=' is a name with an empty value, and empty pieces are skipped. Names
 * and values must decode to valid UTF-8 without NUL bytes. Returns 0, or
 * -1 with a message naming the parameter in 'error' and 'f' left empty.
 * Call urlform_free after either result.
 */
int	urlform_parse(struct urlform *f, const char *data, size_t len,
	    char *error, size_t error_len);
void	urlform_free(struct urlform *f);

/*
 * Look up 'name'. URLFORM_FOUND sets '*value' and '*len' (which may be
 * NULL) to the one value, which may be empty. URLFORM_DUPLICATE means the
 * name was given more than once, which OAuth requests must reject
 * (RFC 6749 3.1 and 3.2), and sets '*value' to NULL, as URLFORM_MISSING does.
 */
enum urlform_result	urlform_get(const struct urlform *f,
			    const char *name, const char **value, size_t *len);

/*
 * Percent-encode every byte except ALPHA, DIGIT, "-", ".", "_" and "~",
 * with uppercase hex, so the output is safe in any query or form value.
 * Writes only whole escapes and a NUL. Returns the length of the whole
 * encoded text, so a result >= out_len means 'out' was truncated.
 */
size_t	urlform_encode(const char *in, size_t len, char *out,
	    size_t out_len);

/*
 * Decode one form-encoded component: "+" becomes a space and %XX a byte.
 * Writes the bytes and a NUL, and the byte count to '*out_written'.
 * Returns 0, or -1 for an invalid escape, a decoded NUL byte or an output
 * that does not fit in out_len with its NUL.
 */
int	urlform_decode_component(const char *in, size_t len, char *out,
	    size_t out_len, size_t *out_written);

#endif
