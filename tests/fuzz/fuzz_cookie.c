/*
 * cookie_find on Cookie header values. The input is a cookie name, a NUL,
 * and the header; the value found must be the text between "name=" and
 * the next ';' somewhere in the header.
 */
#include "cookie.h"
#include "fuzz.h"

static void
fuzz_find(const char *header, const char *name, size_t out_len)
{
	char	*out, *pair;
	size_t	 name_len;
	int	 len;

	if ((out = malloc(out_len > 0 ? out_len : 1)) == NULL)
		abort();
	len = cookie_find(header, name, out, out_len);
	FUZZ_CHECK(len >= -1);
	if (len == -1) {
		free(out);
		return;
	}

	FUZZ_CHECK((size_t)len < out_len);
	FUZZ_CHECK(strlen(out) == (size_t)len);
	FUZZ_CHECK(strchr(out, ';') == NULL);

	name_len = strlen(name);
	if ((pair = malloc(name_len + (size_t)len + 2)) == NULL)
		abort();
	memcpy(pair, name, name_len);
	pair[name_len] = '=';
	memcpy(pair + name_len + 1, out, (size_t)len + 1);
	FUZZ_CHECK(strstr(header, pair) != NULL);

	free(pair);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*parts[2];

	fuzz_split(data, size, parts, 2);
	fuzz_find(parts[1], parts[0], 44);
	fuzz_find(parts[1], parts[0], strlen(parts[1]) + 1);
	fuzz_find(parts[1], parts[0], 0);
	fuzz_find(parts[1], "__Host-orgo_session", 44);
	fuzz_free_parts(parts, 2);
	return (0);
}
