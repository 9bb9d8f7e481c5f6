/*
 * cors_origin_allowed on Origin headers. The input is the Origin value, a
 * NUL, and an application's newline-separated redirect URIs. An allowed
 * origin must be exactly the scheme and authority of one http or https
 * redirect URI.
 */
#include "cors.h"
#include "fuzz.h"

/* Return 1 if some line of 'uris' starts with 'origin' then '/', '?', '#' or ends. */
static int
fuzz_origin_of_line(const char *origin, const char *uris)
{
	const char	*line, *end;
	size_t		 len;

	len = strlen(origin);
	for (line = uris; ; line = end + 1) {
		end = line + strcspn(line, "\n");
		if ((size_t)(end - line) >= len &&
		    memcmp(line, origin, len) == 0 &&
		    (line + len == end || strchr("/?#", line[len]) != NULL))
			return (1);
		if (*end == '\0')
			return (0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*parts[2];
	size_t	 scheme_len;

	fuzz_split(data, size, parts, 2);
	if (cors_origin_allowed(parts[0], parts[1])) {
		FUZZ_CHECK(strcmp(parts[0], "null") != 0);
		FUZZ_CHECK(strchr(parts[0], '\n') == NULL);
		if (strncmp(parts[0], "https://", 8) == 0)
			scheme_len = 8;
		else if (strncmp(parts[0], "http://", 7) == 0)
			scheme_len = 7;
		else
			scheme_len = 0;
		FUZZ_CHECK(scheme_len > 0);
		FUZZ_CHECK(parts[0][scheme_len] != '\0');
		FUZZ_CHECK(strpbrk(parts[0] + scheme_len, "/?#") == NULL);
		FUZZ_CHECK(fuzz_origin_of_line(parts[0], parts[1]));
	}
	FUZZ_CHECK(cors_origin_allowed(parts[0], "") == 0);
	FUZZ_CHECK(cors_origin_allowed("", parts[1]) == 0);
	fuzz_free_parts(parts, 2);
	return (0);
}
