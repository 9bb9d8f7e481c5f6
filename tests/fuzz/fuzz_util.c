/*
 * util_b64url_decode, which every JWT segment and PKCE challenge goes
 * through, and util_local_path_valid on return paths after sign-in.
 * Decoding is the exact inverse of encoding: one encoding per value.
 */
#include "fuzz.h"
#include "util.h"

static void
fuzz_b64url(const uint8_t *data, size_t size)
{
	uint8_t	*decoded;
	char	*encoded;
	long	 n;

	if ((decoded = malloc(size + 1)) == NULL)
		abort();
	n = util_b64url_decode((const char *)data, size, decoded, size);
	if (n >= 0) {
		FUZZ_CHECK((size_t)n <= size * 3 / 4);
		if ((encoded = malloc(util_b64url_len((size_t)n) + 1)) == NULL)
			abort();
		util_b64url_encode(decoded, (size_t)n, encoded);
		FUZZ_CHECK(strlen(encoded) == size);
		FUZZ_CHECK(memcmp(encoded, data, size) == 0);
		free(encoded);

		/* One byte too few must fail, never write past the end. */
		if (n > 0)
			FUZZ_CHECK(util_b64url_decode((const char *)data, size,
			    decoded, (size_t)n - 1) == -1);
	}

	/* Encoding the raw bytes and decoding them gives them back. */
	if ((encoded = malloc(util_b64url_len(size) + 1)) == NULL)
		abort();
	util_b64url_encode(data, size, encoded);
	FUZZ_CHECK(util_b64url_decode(encoded, strlen(encoded), decoded,
	    size) == (long)size);
	FUZZ_CHECK(size == 0 || memcmp(decoded, data, size) == 0);

	free(encoded);
	free(decoded);
}

static void
fuzz_local_path(const uint8_t *data, size_t size)
{
	char	*path;
	size_t	 i;

	path = fuzz_string(data, size);
	if (util_local_path_valid(path)) {
		FUZZ_CHECK(path[0] == '/');
		FUZZ_CHECK(path[1] != '/' && path[1] != '\\');
		FUZZ_CHECK(strlen(path) <= 2048);
		for (i = 0; path[i] != '\0'; i++) {
			FUZZ_CHECK((unsigned char)path[i] > 0x20);
			FUZZ_CHECK(path[i] != 0x7f && path[i] != '\\');
		}
	}
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_b64url(data, size);
	fuzz_local_path(data, size);
	return (0);
}
