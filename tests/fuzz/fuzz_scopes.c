/*
 * scopes_parse on scope parameters. A parsed set holds only known scopes,
 * and formatting it gives a string that parses back to the same set.
 */
#include "fuzz.h"
#include "scopes.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		error[256], formatted[SCOPES_FORMAT_MAX], small[12];
	unsigned int	set, again;
	size_t		len;

	set = 0xdead;
	if (scopes_parse((const char *)data, size, &set, error,
	    sizeof(error)) == -1) {
		FUZZ_CHECK(set == 0);
		FUZZ_CHECK(error[0] != '\0');
		FUZZ_CHECK(memchr(error, '\0', sizeof(error)) != NULL);
		return (0);
	}

	FUZZ_CHECK((set & ~SCOPES_ALL) == 0);
	FUZZ_CHECK(size <= SCOPES_MAX_LEN);
	FUZZ_CHECK(memchr(data, '"', size) == NULL);
	FUZZ_CHECK(memchr(data, '\\', size) == NULL);

	len = scopes_format(set, formatted, sizeof(formatted));
	FUZZ_CHECK(len < sizeof(formatted));
	FUZZ_CHECK(strlen(formatted) == len);
	FUZZ_CHECK(scopes_parse(formatted, len, &again, error,
	    sizeof(error)) == 0);
	FUZZ_CHECK(again == set);
	FUZZ_CHECK(scopes_subset(set, SCOPES_ALL));

	/* A short buffer gets whole names only. */
	FUZZ_CHECK(scopes_format(set, small, sizeof(small)) == len);
	FUZZ_CHECK(strncmp(small, formatted, strlen(small)) == 0);
	FUZZ_CHECK(small[0] == '\0' || formatted[strlen(small)] == ' ' ||
	    formatted[strlen(small)] == '\0');
	return (0);
}
