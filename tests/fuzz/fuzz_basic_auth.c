/*
 * basic_auth_parse on Authorization header values, with the buffer sizes
 * of the token endpoint. Credentials that a client encodes as RFC 6749
 * section 2.3.1 describes must decode back to the same id and secret.
 */
#include <openssl/evp.h>

#include "basic_auth.h"
#include "fuzz.h"
#include "urlform.h"

/* The token endpoint's buffers: OAUTH_CLIENT_ID_MAX and its secret limit. */
#define FUZZ_ID_LEN	(64 + 1)
#define FUZZ_SECRET_LEN	(256 + 1)

static void
fuzz_parse(const char *header)
{
	char	id[FUZZ_ID_LEN], secret[FUZZ_SECRET_LEN];
	int	rc;

	memset(id, 'x', sizeof(id));
	memset(secret, 'x', sizeof(secret));
	rc = basic_auth_parse(header, id, sizeof(id), secret, sizeof(secret));
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1);
	FUZZ_CHECK(memchr(id, '\0', sizeof(id)) != NULL);
	FUZZ_CHECK(memchr(secret, '\0', sizeof(secret)) != NULL);
	if (rc != 0) {
		FUZZ_CHECK(id[0] == '\0');
		FUZZ_CHECK(secret[0] == '\0');
	}
	if (rc == 1)
		FUZZ_CHECK(strncasecmp(header, "Basic ", 6) != 0);
}

/* Encode 'id' and 'secret' as a client would and check that they come back. */
static void
fuzz_round_trip(const char *id, const char *secret)
{
	char		 plain[2 * 3 * FUZZ_SECRET_LEN + 2];
	unsigned char	 header[sizeof("Basic ") + 4 * sizeof(plain) / 3 + 4];
	char		 id_out[FUZZ_ID_LEN], secret_out[FUZZ_SECRET_LEN];
	size_t		 id_len, secret_len, n;
	int		 encoded_len;

	id_len = strlen(id);
	secret_len = strlen(secret);
	if (id_len >= FUZZ_ID_LEN || secret_len >= FUZZ_SECRET_LEN)
		return;

	n = urlform_encode(id, id_len, plain, sizeof(plain));
	FUZZ_CHECK(n < sizeof(plain));
	plain[n++] = ':';
	n += urlform_encode(secret, secret_len, plain + n, sizeof(plain) - n);
	FUZZ_CHECK(n < sizeof(plain));

	memcpy(header, "Basic ", 6);
	encoded_len = EVP_EncodeBlock(header + 6, (const unsigned char *)plain,
	    (int)n);
	if (encoded_len > BASIC_AUTH_ENCODED_MAX)
		return;

	FUZZ_CHECK(basic_auth_parse((const char *)header, id_out,
	    sizeof(id_out), secret_out, sizeof(secret_out)) == 0);
	FUZZ_CHECK(strcmp(id_out, id) == 0);
	FUZZ_CHECK(strcmp(secret_out, secret) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*header, *prefixed, *parts[2];

	header = fuzz_string(data, size);
	fuzz_parse(header);

	/* Most inputs lack the scheme, so parse each once more with it. */
	if ((prefixed = malloc(size + 7)) == NULL)
		abort();
	memcpy(prefixed, "Basic ", 6);
	memcpy(prefixed + 6, header, size + 1);
	fuzz_parse(prefixed);

	fuzz_split(data, size, parts, 2);
	fuzz_round_trip(parts[0], parts[1]);

	fuzz_free_parts(parts, 2);
	free(prefixed);
	free(header);
	return (0);
}
