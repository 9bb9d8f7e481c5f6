/*
 * secretbox_open on sealed text as read from PostgreSQL, and seal/open
 * round trips. Without the key, no input may open; with it, every sealed
 * value opens to its plaintext under the same context only.
 */
#include "fuzz.h"
#include "secretbox.h"

static const uint8_t	fuzz_key[SECRETBOX_KEY_LEN] = {
	0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*parts[2], *sealed, *plain;
	size_t	 len;

	fuzz_split(data, size, parts, 2);

	/* Forging a GCM tag is out of reach, so nothing opens. */
	FUZZ_CHECK(secretbox_open(fuzz_key, "kid-1", parts[1], &len) == NULL);

	sealed = secretbox_seal(fuzz_key, parts[0], parts[1],
	    strlen(parts[1]));
	if (sealed != NULL) {
		plain = secretbox_open(fuzz_key, parts[0], sealed, &len);
		FUZZ_CHECK(plain != NULL);
		FUZZ_CHECK(len == strlen(parts[1]));
		FUZZ_CHECK(memcmp(plain, parts[1], len) == 0);
		FUZZ_CHECK(plain[len] == '\0');
		free(plain);
		FUZZ_CHECK(secretbox_open(fuzz_key, "other context", sealed,
		    &len) == NULL || strcmp(parts[0], "other context") == 0);
		free(sealed);
	}

	fuzz_free_parts(parts, 2);
	return (0);
}
