/*
 * urlform_decode_component with every output size, and urlform_encode:
 * decoding what urlform_encode wrote must give back the input, and a
 * truncated encoding must be a prefix of the whole one.
 */
#include "fuzz.h"
#include "urlform.h"

static void
fuzz_decode(const char *in, size_t len, size_t out_len)
{
	char	*out;
	size_t	 written;

	if ((out = malloc(out_len > 0 ? out_len : 1)) == NULL)
		abort();
	written = (size_t)-1;
	if (urlform_decode_component(in, len, out, out_len, &written) == 0) {
		FUZZ_CHECK(written < out_len);
		FUZZ_CHECK(written <= len);
		FUZZ_CHECK(out[written] == '\0');
		FUZZ_CHECK(strlen(out) == written);
	} else {
		FUZZ_CHECK(written == (size_t)-1);
	}
	free(out);
}

static void
fuzz_round_trip(const char *in, size_t len)
{
	char	*encoded, *decoded, *cut;
	size_t	 need, written, cut_len;

	need = urlform_encode(in, len, NULL, 0);
	FUZZ_CHECK(need >= len && need <= 3 * len);
	if ((encoded = malloc(need + 1)) == NULL ||
	    (decoded = malloc(len + 1)) == NULL)
		abort();
	FUZZ_CHECK(urlform_encode(in, len, encoded, need + 1) == need);
	FUZZ_CHECK(strlen(encoded) == need);
	FUZZ_CHECK(strcspn(encoded, "+&= ") == need);

	/* The encoder escapes NUL, which the decoder rejects by design. */
	if (memchr(in, '\0', len) == NULL) {
		FUZZ_CHECK(urlform_decode_component(encoded, need, decoded,
		    len + 1, &written) == 0);
		FUZZ_CHECK(written == len);
		FUZZ_CHECK(memcmp(decoded, in, len) == 0);
	} else {
		FUZZ_CHECK(urlform_decode_component(encoded, need, decoded,
		    len + 1, &written) == -1);
	}

	/* A short buffer holds a prefix that ends on a whole escape. */
	cut_len = need / 2;
	if ((cut = malloc(cut_len + 1)) == NULL)
		abort();
	FUZZ_CHECK(urlform_encode(in, len, cut, cut_len + 1) == need);
	FUZZ_CHECK(strncmp(cut, encoded, strlen(cut)) == 0);
	FUZZ_CHECK(strlen(cut) <= cut_len);
	FUZZ_CHECK(strlen(cut) + 2 >= cut_len || strlen(cut) == need);

	free(cut);
	free(encoded);
	free(decoded);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in;
	size_t		 len, out_len;

	if (size < 1)
		return (0);

	/* The first byte picks the output size, so short buffers get tested. */
	out_len = data[0];
	in = (const char *)data + 1;
	len = size - 1;

	fuzz_decode(in, len, out_len);
	fuzz_decode(in, len, len + 1);
	fuzz_round_trip(in, len);
	return (0);
}
