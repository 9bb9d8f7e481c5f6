/* bearer_token_parse on Authorization header values (RFC 6750 section 2.1). */
#include <strings.h>

#include "basic_auth.h"
#include "fuzz.h"

static void
fuzz_parse(const char *header)
{
	const char	*token;
	size_t		 len;
	int		 rc;

	rc = bearer_token_parse(header, &token);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1);
	if (rc != 0) {
		FUZZ_CHECK(token == NULL);
		if (rc == 1)
			FUZZ_CHECK(strncasecmp(header, "Bearer ", 7) != 0);
		return;
	}

	/* The token is the non-empty tail of the header, after the spaces. */
	len = strlen(token);
	FUZZ_CHECK(len > 0);
	FUZZ_CHECK(token > header + 6);
	FUZZ_CHECK(token + len == header + strlen(header));
	FUZZ_CHECK(token[-1] == ' ');
	FUZZ_CHECK(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	    "rstuvwxyz0123456789-._~+/=") == len);
	FUZZ_CHECK(token[0] != '=');
	FUZZ_CHECK(strchr(token, '=') == NULL ||
	    strspn(strchr(token, '='), "=") == strlen(strchr(token, '=')));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*header, *prefixed;

	header = fuzz_string(data, size);
	fuzz_parse(header);

	if ((prefixed = malloc(size + 8)) == NULL)
		abort();
	memcpy(prefixed, "Bearer ", 7);
	memcpy(prefixed + 7, header, size + 1);
	fuzz_parse(prefixed);

	free(prefixed);
	free(header);
	return (0);
}
