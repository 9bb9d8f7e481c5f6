/*
 * jwt_verify on bearer tokens and id_token_hint values. The first input
 * byte picks a mode:
 *   0  the rest is a token as a client sends it;
 *   1  the rest edits a token signed at start-up: (offset, xor) pairs,
 *      then a length to cut it to;
 *   2  the rest is a JOSE header, a NUL and a payload, which the harness
 *      signs with the keyset's key, so that the header and claim checks
 *      behind the signature are fuzzed too.
 * No token but an unchanged signed one may verify, and a verified token
 * always has the RS256 header and claims that jwt_verify promises.
 */
#include <jansson.h>
#include <openssl/evp.h>

#include "fuzz.h"
#include "jwt.h"
#include "util.h"

/* Verification time of the signed tokens, seconds since the epoch. */
#define FUZZ_NOW	1700000000L
#define FUZZ_TOKENS	3

static struct jwt_keyset	 keyset;
static char			*tokens[FUZZ_TOKENS];

static void
fuzz_keyset_load(void)
{
	char	*pem, error[256];
	int	 i;

	for (i = 0; i < 2; i++) {
		if ((pem = jwt_key_generate_pem(2048)) == NULL)
			abort();
		if (jwt_keyset_add_pem(&keyset, pem, strlen(pem), i == 0,
		    error, sizeof(error)) == -1) {
			fprintf(stderr, "fuzz_jwt: %s\n", error);
			abort();
		}
		util_wipe(pem, strlen(pem));
		free(pem);
	}
	if (jwt_keyset_set_signer(&keyset, keyset.keys[0].kid) == -1)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_t	*claims;
	int	 i;

	(void)argc;
	(void)argv;
	fuzz_keyset_load();

	for (i = 0; i < FUZZ_TOKENS; i++) {
		claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}",
		    "iss", "https://orgo.example", "sub", "member-1",
		    "scope", i == 0 ? "openid" : "openid profile email",
		    "iat", (json_int_t)FUZZ_NOW,
		    "nbf", (json_int_t)FUZZ_NOW - 10,
		    "exp", (json_int_t)FUZZ_NOW + 600 * (i + 1));
		tokens[i] = jwt_sign(&keyset, i == 2 ? "JWT" : "at+jwt",
		    claims);
		json_decref(claims);
		if (tokens[i] == NULL)
			abort();
	}
	return (0);
}

/* Check what a successful jwt_verify promises about the claims. */
static void
fuzz_check_claims(json_t *claims, long now)
{
	json_t	*exp;

	FUZZ_CHECK(json_is_object(claims));
	if (now == JWT_ANY_TIME)
		return;
	exp = json_object_get(claims, "exp");
	FUZZ_CHECK(json_is_number(exp));
	FUZZ_CHECK(json_number_value(exp) > (double)now);
}

/* Verify in each mode; return how many of the four calls succeeded. */
static int
fuzz_verify(const char *token, size_t len)
{
	static const char *const	 types[] = { "at+jwt", NULL };
	static const long		 times[] = { FUZZ_NOW, JWT_ANY_TIME };
	json_t				*claims;
	char				 error[JWT_ERROR_MAX];
	size_t				 i, j;
	int				 ok;

	ok = 0;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++) {
			claims = NULL;
			if (jwt_verify(&keyset, token, len, types[i],
			    times[j], &claims, error, sizeof(error)) == 0) {
				fuzz_check_claims(claims, times[j]);
				json_decref(claims);
				ok++;
				continue;
			}
			FUZZ_CHECK(claims == NULL);
			FUZZ_CHECK(error[0] != '\0');
			FUZZ_CHECK(memchr(error, '\0', sizeof(error)) != NULL);
		}
	}
	return (ok);
}

static void
fuzz_edited(const uint8_t *data, size_t size)
{
	const char	*original;
	char		*token;
	size_t		 len, offset, i;

	if (size < 1)
		return;
	original = tokens[data[0] % FUZZ_TOKENS];
	data++;
	size--;

	len = strlen(original);
	token = fuzz_string((const uint8_t *)original, len);
	for (i = 0; i + 2 <= size; i += 2) {
		offset = data[i] * len / 256;
		token[offset] = (char)(token[offset] ^ data[i + 1]);
	}
	if (size % 2 == 1 && data[size - 1] < 255)
		len = len * data[size - 1] / 255;

	if (len == strlen(original) && memcmp(token, original, len) == 0)
		FUZZ_CHECK(fuzz_verify(token, len) > 0);
	else
		FUZZ_CHECK(fuzz_verify(token, len) == 0);
	free(token);
}

static char *
fuzz_b64url(const char *in)
{
	char	*out;
	size_t	 len;

	len = strlen(in);
	if ((out = malloc(util_b64url_len(len) + 1)) == NULL)
		abort();
	util_b64url_encode((const uint8_t *)in, len, out);
	return (out);
}

/* Sign "header.payload" as RS256 with the signer's private key. */
static char *
fuzz_sign(const char *header, const char *payload)
{
	EVP_MD_CTX	*ctx;
	char		*h, *p, *token;
	unsigned char	 signature[JWT_RSA_BITS_MAX / 8];
	size_t		 signature_len, input_len;

	h = fuzz_b64url(header);
	p = fuzz_b64url(payload);
	input_len = strlen(h) + 1 + strlen(p);
	if ((token = malloc(input_len + 2 + sizeof(signature) * 2)) == NULL)
		abort();
	snprintf(token, input_len + 1, "%s.%s", h, p);

	signature_len = sizeof(signature);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    keyset.signer->pkey) != 1 ||
	    EVP_DigestSign(ctx, signature, &signature_len,
	    (const unsigned char *)token, input_len) != 1)
		abort();
	EVP_MD_CTX_free(ctx);

	token[input_len] = '.';
	util_b64url_encode(signature, signature_len, token + input_len + 1);
	free(h);
	free(p);
	return (token);
}

static void
fuzz_signed(const uint8_t *data, size_t size)
{
	char		*parts[2], *token, header[256];
	json_t		*json;
	const char	*alg, *kid;

	fuzz_split(data, size, parts, 2);

	/* An empty header part stands for a valid one, to reach the claims. */
	if (parts[0][0] == '\0') {
		snprintf(header, sizeof(header), "{\"alg\":\"RS256\","
		    "\"typ\":\"at+jwt\",\"kid\":\"%s\"}", keyset.signer->kid);
		free(parts[0]);
		parts[0] = strdup(header);
	}

	token = fuzz_sign(parts[0], parts[1]);
	if (strlen(token) <= JWT_TOKEN_MAX && fuzz_verify(token,
	    strlen(token)) > 0) {
		json = json_loads(parts[0], JSON_REJECT_DUPLICATES, NULL);
		FUZZ_CHECK(json_is_object(json));
		alg = json_string_value(json_object_get(json, "alg"));
		FUZZ_CHECK(alg != NULL && strcmp(alg, "RS256") == 0);
		FUZZ_CHECK(json_object_get(json, "crit") == NULL);
		kid = json_string_value(json_object_get(json, "kid"));
		FUZZ_CHECK(kid != NULL);
		FUZZ_CHECK(strcmp(kid, keyset.keys[0].kid) == 0);
		json_decref(json);
	}

	free(token);
	fuzz_free_parts(parts, 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return (0);

	switch (data[0] % 3) {
	case 0:
		FUZZ_CHECK(fuzz_verify((const char *)data + 1, size - 1) == 0);
		break;
	case 1:
		fuzz_edited(data + 1, size - 1);
		break;
	case 2:
		fuzz_signed(data + 1, size - 1);
		break;
	}
	return (0);
}
