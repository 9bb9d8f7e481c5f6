/*
 * urlform_parse on query strings and POST bodies. A parsed form must hold
 * only valid names and values, and encoding it again with urlform_encode
 * must parse back to the same parameters in the same order.
 */
#include <unistr.h>

#include "fuzz.h"
#include "urlform.h"

/* Build "name=value&..." from 'f' with every name and value percent-encoded. */
static char *
fuzz_urlform_encode_all(const struct urlform *f, size_t *len)
{
	char	*out;
	size_t	 i, cap, used, n;

	cap = 1;
	for (i = 0; i < f->count; i++) {
		cap += urlform_encode(f->params[i].name,
		    strlen(f->params[i].name), NULL, 0) + 2;
		cap += urlform_encode(f->params[i].value,
		    f->params[i].value_len, NULL, 0);
	}
	if ((out = malloc(cap)) == NULL)
		abort();

	used = 0;
	for (i = 0; i < f->count; i++) {
		if (i > 0)
			out[used++] = '&';
		n = urlform_encode(f->params[i].name,
		    strlen(f->params[i].name), out + used, cap - used);
		FUZZ_CHECK(n < cap - used);
		used += n;
		out[used++] = '=';
		n = urlform_encode(f->params[i].value, f->params[i].value_len,
		    out + used, cap - used);
		FUZZ_CHECK(n < cap - used);
		used += n;
	}
	out[used] = '\0';
	*len = used;
	return (out);
}

static void
fuzz_urlform_check(const struct urlform *f)
{
	const struct urlform_param	*p;
	enum urlform_result		 result;
	const char			*value;
	size_t				 i, len;

	FUZZ_CHECK(f->count <= URLFORM_PARAMS_MAX);
	for (i = 0; i < f->count; i++) {
		p = &f->params[i];
		FUZZ_CHECK(p->name[0] != '\0');
		FUZZ_CHECK(strlen(p->name) <= URLFORM_NAME_MAX);
		FUZZ_CHECK(strlen(p->value) == p->value_len);
		FUZZ_CHECK(p->value_len <= URLFORM_VALUE_MAX);
		FUZZ_CHECK(u8_check((const uint8_t *)p->name,
		    strlen(p->name)) == NULL);
		FUZZ_CHECK(u8_check((const uint8_t *)p->value,
		    p->value_len) == NULL);

		result = urlform_get(f, p->name, &value, &len);
		FUZZ_CHECK(result == URLFORM_FOUND ||
		    result == URLFORM_DUPLICATE);
		if (result == URLFORM_FOUND) {
			FUZZ_CHECK(value == p->value);
			FUZZ_CHECK(len == p->value_len);
		} else {
			FUZZ_CHECK(value == NULL);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct urlform	 f, again;
	char		 error[256], *encoded;
	size_t		 i, len;

	if (urlform_parse(&f, (const char *)data, size, error,
	    sizeof(error)) == -1) {
		FUZZ_CHECK(f.count == 0 && f.buf == NULL);
		FUZZ_CHECK(memchr(error, '\0', sizeof(error)) != NULL);
		urlform_free(&f);
		return (0);
	}
	fuzz_urlform_check(&f);

	encoded = fuzz_urlform_encode_all(&f, &len);
	if (len <= URLFORM_DATA_MAX) {
		FUZZ_CHECK(urlform_parse(&again, encoded, len, error,
		    sizeof(error)) == 0);
		FUZZ_CHECK(again.count == f.count);
		for (i = 0; i < f.count; i++) {
			FUZZ_CHECK(strcmp(again.params[i].name,
			    f.params[i].name) == 0);
			FUZZ_CHECK(again.params[i].value_len ==
			    f.params[i].value_len);
			FUZZ_CHECK(memcmp(again.params[i].value,
			    f.params[i].value, f.params[i].value_len) == 0);
		}
		urlform_free(&again);
	}
	free(encoded);
	urlform_free(&f);
	return (0);
}
