/*
 * Unit tests for RS256 JWTs: round trips, cross-checks with libjwt, forged
 * tokens, the RFC 7638 thumbprint vector, JWKS, key rotation and the
 * OpenID Connect at_hash and c_hash examples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "jwt.h"
#include "util.h"

/*
 * libjwt's header is also called jwt.h, and -Isrc comes before the system
 * folders, so it is included by its Debian path.
 */
#include "/usr/include/jwt.h"

#define ISSUER		"https://issuer.example"
#define THREADS		4
#define THREAD_TOKENS	25

/* Generated once for the group because 2048-bit generation is slow. */
static char			*pem_a, *pem_b;		/* PKCS#8 private keys */
static struct jwt_keyset	 keyset_a, keyset_b;	/* each signs with its key */

static int
keyset_load_signer(struct jwt_keyset *keyset, const char *pem)
{
	char	error[JWT_ERROR_MAX];

	if (jwt_keyset_add_pem(keyset, pem, strlen(pem), 1, error,
	    sizeof(error)) == -1) {
		fprintf(stderr, "keyset_load_signer: %s\n", error);
		return (-1);
	}
	return (jwt_keyset_set_signer(keyset,
	    keyset->keys[keyset->count - 1].kid));
}

static int
keys_setup(void **state)
{
	(void)state;
	if ((pem_a = jwt_key_generate_pem(2048)) == NULL ||
	    (pem_b = jwt_key_generate_pem(2048)) == NULL)
		return (-1);
	if (keyset_load_signer(&keyset_a, pem_a) == -1 ||
	    keyset_load_signer(&keyset_b, pem_b) == -1)
		return (-1);
	return (0);
}

static int
keys_teardown(void **state)
{
	(void)state;
	jwt_keyset_free(&keyset_a);
	jwt_keyset_free(&keyset_b);
	util_wipe(pem_a, strlen(pem_a));
	util_wipe(pem_b, strlen(pem_b));
	free(pem_a);
	free(pem_b);
	return (0);
}

static json_t *
claims_new(long now)
{
	json_t	*claims;

	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}",
	    "iss", ISSUER, "sub", "user-42", "aud", "client-7",
	    "exp", (json_int_t)now + 600, "iat", (json_int_t)now,
	    "scope", "openid profile", "jti", "jti-1");
	assert_non_null(claims);
	return (claims);
}

/* Sign claims_new() after setting 'name' to 'value' (removed if NULL). */
static char *
token_with_claim(const struct jwt_keyset *keyset, long now, const char *name,
    json_t *value)
{
	json_t	*claims;
	char	*token;

	claims = claims_new(now);
	if (value == NULL)
		json_object_del(claims, name);
	else
		json_object_set_new(claims, name, value);
	token = jwt_sign(keyset, "at+jwt", claims);
	json_decref(claims);
	assert_non_null(token);
	return (token);
}

/* Decode segment 'index' (0 header, 1 payload) of a token as JSON. */
static json_t *
segment_json(const char *token, int index)
{
	const char	*start, *end;
	uint8_t		 raw[JWT_TOKEN_MAX];
	long		 raw_len;
	json_t		*json;

	start = token;
	if (index == 1)
		start = strchr(token, '.') + 1;
	end = strchr(start, '.');
	assert_non_null(end);
	raw_len = util_b64url_decode(start, (size_t)(end - start), raw,
	    sizeof(raw));
	assert_true(raw_len >= 0);
	json = json_loadb((const char *)raw, (size_t)raw_len, 0, NULL);
	assert_non_null(json);
	return (json);
}

/* Join base64url of header and payload text with a raw signature. */
static char *
token_assemble(const char *header, const char *payload,
    const uint8_t *signature, size_t signature_len)
{
	size_t	header_b64, payload_b64;
	char	*token;

	header_b64 = util_b64url_len(strlen(header));
	payload_b64 = util_b64url_len(strlen(payload));
	token = malloc(header_b64 + payload_b64 +
	    util_b64url_len(signature_len) + 3);
	assert_non_null(token);

	util_b64url_encode((const uint8_t *)header, strlen(header), token);
	token[header_b64] = '.';
	util_b64url_encode((const uint8_t *)payload, strlen(payload),
	    token + header_b64 + 1);
	token[header_b64 + 1 + payload_b64] = '.';
	util_b64url_encode(signature, signature_len,
	    token + header_b64 + payload_b64 + 2);
	return (token);
}

/* Sign header and payload text with any key and digest, as an attacker. */
static char *
token_forge(EVP_PKEY *pkey, const EVP_MD *md, const char *header,
    const char *payload)
{
	EVP_MD_CTX	*ctx;
	uint8_t		 signature[1024];
	size_t		 signature_len;
	char		*unsigned_token, *token;

	unsigned_token = token_assemble(header, payload, NULL, 0);
	signature_len = sizeof(signature);
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, pkey), 1);
	assert_int_equal(EVP_DigestSign(ctx, signature, &signature_len,
	    (const uint8_t *)unsigned_token, strlen(unsigned_token) - 1), 1);
	EVP_MD_CTX_free(ctx);

	token = token_assemble(header, payload, signature, signature_len);
	free(unsigned_token);
	return (token);
}

static const char *
header_text(const char *alg, const char *typ, const char *kid)
{
	static char	text[256];

	snprintf(text, sizeof(text), "{\"alg\":\"%s\",\"typ\":\"%s\","
	    "\"kid\":\"%s\"}", alg, typ, kid);
	return (text);
}

static const char *
payload_text(long now)
{
	static char	text[128];

	snprintf(text, sizeof(text), "{\"sub\":\"user-42\",\"exp\":%ld}",
	    now + 600);
	return (text);
}

static void
verify_ok(const struct jwt_keyset *keyset, const char *token,
    const char *typ, long now)
{
	char	error[JWT_ERROR_MAX] = "";

	assert_int_equal(jwt_verify(keyset, token, strlen(token), typ, now,
	    NULL, error, sizeof(error)), 0);
	assert_string_equal(error, "");
}

static void
verify_fails(const struct jwt_keyset *keyset, const char *token,
    const char *typ, long now, const char *message)
{
	char	 error[JWT_ERROR_MAX] = "";
	json_t	*claims;

	/* A singleton, so that the check below shows it was reset. */
	claims = json_true();
	assert_int_equal(jwt_verify(keyset, token, strlen(token), typ, now,
	    &claims, error, sizeof(error)), -1);
	assert_null(claims);
	assert_string_equal(error, message);
}

static void
key_generate_writes_pkcs8(void **state)
{
	(void)state;
	assert_non_null(strstr(pem_a, "-----BEGIN PRIVATE KEY-----\n"));
	assert_non_null(strstr(pem_a, "-----END PRIVATE KEY-----\n"));
	assert_string_not_equal(pem_a, pem_b);
	assert_null(jwt_key_generate_pem(1024));
	assert_null(jwt_key_generate_pem(16385));
}

static char *
pem_of(EVP_PKEY *pkey, const EVP_CIPHER *cipher)
{
	BIO	*bio;
	char	*data, *pem;
	long	 len;

	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	if (cipher == NULL)
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL,
		    NULL, 0, NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, pkey,
		    cipher, "passphrase", 10, NULL, NULL), 1);
	len = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)len);
	assert_non_null(pem);
	BIO_free(bio);
	return (pem);
}

static void
keyset_add_fails(const char *pem, int can_sign, const char *message)
{
	struct jwt_keyset	keyset;
	char			error[JWT_ERROR_MAX] = "";

	memset(&keyset, 0, sizeof(keyset));
	assert_int_equal(jwt_keyset_add_pem(&keyset, pem, strlen(pem),
	    can_sign, error, sizeof(error)), -1);
	assert_string_equal(error, message);
	assert_int_equal(keyset.count, 0);
}

static void
keyset_rejects_bad_keys(void **state)
{
	EVP_PKEY	*small, *ec;
	char		*pem, *public_pem;
	char		 error[JWT_ERROR_MAX], expected[JWT_ERROR_MAX];

	(void)state;
	keyset_add_fails("not a key", 1, "invalid or encrypted PEM private key");
	keyset_add_fails("not a key", 0, "invalid PEM key");

	public_pem = jwt_public_pem(keyset_a.signer);
	assert_non_null(public_pem);
	keyset_add_fails(public_pem, 1, "invalid or encrypted PEM private key");
	free(public_pem);

	pem = pem_of(keyset_a.signer->pkey, EVP_aes_256_cbc());
	assert_non_null(strstr(pem, "ENCRYPTED PRIVATE KEY"));
	keyset_add_fails(pem, 1, "invalid or encrypted PEM private key");
	free(pem);

	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(small);
	pem = pem_of(small, NULL);
	keyset_add_fails(pem, 1, "RSA key has 1024 bits, expected 2048 to "
	    "16384");
	keyset_add_fails(pem, 0, "RSA key has 1024 bits, expected 2048 to "
	    "16384");
	free(pem);
	EVP_PKEY_free(small);

	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(ec);
	pem = pem_of(ec, NULL);
	keyset_add_fails(pem, 1, "key is not an RSA key");
	free(pem);
	EVP_PKEY_free(ec);

	snprintf(expected, sizeof(expected), "key %s is already in the "
	    "keyset", keyset_a.signer->kid);
	assert_int_equal(jwt_keyset_add_pem(&keyset_a, pem_a, strlen(pem_a),
	    1, error, sizeof(error)), -1);
	assert_string_equal(error, expected);
	assert_int_equal(keyset_a.count, 1);
}

static void
keyset_signer_needs_private_key(void **state)
{
	struct jwt_keyset	 keyset;
	EVP_PKEY		*public_key;
	BIGNUM			*d;
	char			 error[JWT_ERROR_MAX];
	json_t			*claims;

	(void)state;
	memset(&keyset, 0, sizeof(keyset));

	/* A private PEM added for verification keeps only n and e. */
	assert_int_equal(jwt_keyset_add_pem(&keyset, pem_a, strlen(pem_a), 0,
	    error, sizeof(error)), 0);
	assert_string_equal(keyset.keys[0].kid, keyset_a.signer->kid);
	d = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(keyset.keys[0].pkey,
	    OSSL_PKEY_PARAM_RSA_D, &d), 0);
	assert_int_equal(jwt_keyset_set_signer(&keyset, keyset.keys[0].kid),
	    -1);
	assert_int_equal(jwt_keyset_set_signer(&keyset, "no-such-kid"), -1);

	claims = claims_new(time(NULL));
	assert_null(jwt_sign(&keyset, "at+jwt", claims));
	json_decref(claims);

	public_key = jwt_rsa_public_key((const uint8_t *)"\x01\x00\x01", 3,
	    (const uint8_t *)"\x03", 1);
	assert_non_null(public_key);
	assert_int_equal(jwt_keyset_add_key(&keyset, public_key, 1, error,
	    sizeof(error)), -1);
	EVP_PKEY_free(public_key);

	jwt_keyset_free(&keyset);
	assert_int_equal(keyset.count, 0);
	assert_null(keyset.signer);
}

static void
sign_verify_round_trip(void **state)
{
	long		 now;
	json_t		*claims, *verified, *header;
	char		*token, error[JWT_ERROR_MAX];
	const char	*p;
	size_t		 dots;

	(void)state;
	now = (long)time(NULL);
	claims = claims_new(now);
	token = jwt_sign(&keyset_a, "at+jwt", claims);
	assert_non_null(token);

	dots = 0;
	for (p = token; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-_", *p));
	}
	assert_int_equal(dots, 2);

	header = segment_json(token, 0);
	assert_int_equal(json_object_size(header), 3);
	assert_string_equal(json_string_value(json_object_get(header, "alg")),
	    "RS256");
	assert_string_equal(json_string_value(json_object_get(header, "typ")),
	    "at+jwt");
	assert_string_equal(json_string_value(json_object_get(header, "kid")),
	    keyset_a.signer->kid);
	json_decref(header);

	verified = NULL;
	assert_int_equal(jwt_verify(&keyset_a, token, strlen(token), "at+jwt",
	    now, &verified, error, sizeof(error)), 0);
	assert_non_null(verified);
	assert_int_equal(json_object_size(verified), 7);
	assert_string_equal(json_string_value(json_object_get(verified,
	    "iss")), ISSUER);
	assert_string_equal(json_string_value(json_object_get(verified,
	    "sub")), "user-42");
	assert_string_equal(json_string_value(json_object_get(verified,
	    "aud")), "client-7");
	assert_int_equal(json_integer_value(json_object_get(verified, "exp")),
	    now + 600);
	assert_int_equal(json_integer_value(json_object_get(verified, "iat")),
	    now);
	assert_string_equal(json_string_value(json_object_get(verified,
	    "scope")), "openid profile");
	assert_string_equal(json_string_value(json_object_get(verified,
	    "jti")), "jti-1");
	assert_true(json_equal(verified, claims));

	json_decref(verified);
	json_decref(claims);
	free(token);
}

static void
sign_rejects_bad_input(void **state)
{
	struct jwt_keyset	 empty;
	json_t			*claims, *array;
	char			*big;

	(void)state;
	memset(&empty, 0, sizeof(empty));
	claims = claims_new(time(NULL));
	array = json_array();

	assert_null(jwt_sign(&empty, "at+jwt", claims));
	assert_null(jwt_sign(&keyset_a, NULL, claims));
	assert_null(jwt_sign(&keyset_a, "at+jwt", array));

	/* 6000 bytes of claims become more than 8192 in base64url. */
	big = malloc(6001);
	assert_non_null(big);
	memset(big, 'x', 6000);
	big[6000] = '\0';
	json_object_set_new(claims, "padding", json_string(big));
	assert_null(jwt_sign(&keyset_a, "at+jwt", claims));

	free(big);
	json_decref(array);
	json_decref(claims);
}

struct sign_thread {
	long	now;
	int	failures;
};

static void *
sign_thread_run(void *arg)
{
	struct sign_thread	*job = arg;
	json_t			*claims, *verified;
	char			*token, error[JWT_ERROR_MAX];
	int			 i;

	for (i = 0; i < THREAD_TOKENS; i++) {
		claims = claims_new(job->now);
		json_object_set_new(claims, "n", json_integer(i));
		token = jwt_sign(&keyset_a, "at+jwt", claims);
		verified = NULL;
		if (token == NULL || jwt_verify(&keyset_a, token,
		    strlen(token), "at+jwt", job->now, &verified, error,
		    sizeof(error)) == -1 || !json_equal(verified, claims))
			job->failures++;
		json_decref(verified);
		json_decref(claims);
		free(token);
	}
	return (NULL);
}

static void
sign_from_threads(void **state)
{
	pthread_t		threads[THREADS];
	struct sign_thread	jobs[THREADS];
	int			i;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		jobs[i].now = (long)time(NULL);
		jobs[i].failures = 0;
		assert_int_equal(pthread_create(&threads[i], NULL,
		    sign_thread_run, &jobs[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(jobs[i].failures, 0);
	}
}

static void
libjwt_verifies_our_token(void **state)
{
	jwt_t		*decoded;
	json_t		*claims;
	char		*token, *public_pem, *other_pem;
	size_t		 len;

	(void)state;
	claims = claims_new(time(NULL));
	token = jwt_sign(&keyset_a, "JWT", claims);
	assert_non_null(token);
	public_pem = jwt_public_pem(keyset_a.signer);
	assert_non_null(public_pem);
	assert_non_null(strstr(public_pem, "-----BEGIN PUBLIC KEY-----\n"));

	decoded = NULL;
	assert_int_equal(jwt_decode(&decoded, token,
	    (const unsigned char *)public_pem, (int)strlen(public_pem)), 0);
	assert_int_equal(jwt_get_alg(decoded), JWT_ALG_RS256);
	assert_string_equal(jwt_get_grant(decoded, "sub"), "user-42");
	assert_string_equal(jwt_get_header(decoded, "kid"),
	    keyset_a.signer->kid);
	jwt_free(decoded);

	/* The check above means something only if libjwt can fail. */
	other_pem = jwt_public_pem(keyset_b.signer);
	assert_non_null(other_pem);
	decoded = NULL;
	assert_int_not_equal(jwt_decode(&decoded, token,
	    (const unsigned char *)other_pem, (int)strlen(other_pem)), 0);
	jwt_free(decoded);

	len = strlen(token);
	token[len - 2] = token[len - 2] == 'A' ? 'B' : 'A';
	decoded = NULL;
	assert_int_not_equal(jwt_decode(&decoded, token,
	    (const unsigned char *)public_pem, (int)strlen(public_pem)), 0);
	jwt_free(decoded);

	free(other_pem);
	free(public_pem);
	free(token);
	json_decref(claims);
}

static void
libjwt_token_verifies_here(void **state)
{
	jwt_t		*encoder;
	json_t		*verified;
	char		*token, error[JWT_ERROR_MAX];
	long		 now;

	(void)state;
	now = (long)time(NULL);
	assert_int_equal(jwt_new(&encoder), 0);
	assert_int_equal(jwt_set_alg(encoder, JWT_ALG_RS256,
	    (const unsigned char *)pem_a, (int)strlen(pem_a)), 0);
	assert_int_equal(jwt_add_header(encoder, "kid", keyset_a.signer->kid),
	    0);
	assert_int_equal(jwt_add_grant(encoder, "sub", "user-42"), 0);
	assert_int_equal(jwt_add_grant_int(encoder, "exp", now + 60), 0);
	token = jwt_encode_str(encoder);
	assert_non_null(token);
	jwt_free(encoder);

	verified = NULL;
	assert_int_equal(jwt_verify(&keyset_a, token, strlen(token), "JWT",
	    now, &verified, error, sizeof(error)), 0);
	assert_string_equal(json_string_value(json_object_get(verified,
	    "sub")), "user-42");
	json_decref(verified);
	free(token);
}

static void
reject_alg_none(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_assemble(header_text("none", "JWT",
	    keyset_a.signer->kid), payload_text(now), NULL, 0);
	assert_int_equal(token[strlen(token) - 1], '.');
	verify_fails(&keyset_a, token, NULL, now, "unsupported alg");
	free(token);
}

/* libjwt 1.10 accepts this token when given the public key PEM. */
static void
reject_hs256_with_public_key(void **state)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 mac_len;
	char		*public_pem, *unsigned_token, *token;
	const char	*header, *payload;
	long		 now;

	(void)state;
	now = (long)time(NULL);
	public_pem = jwt_public_pem(keyset_a.signer);
	assert_non_null(public_pem);
	header = header_text("HS256", "JWT", keyset_a.signer->kid);
	payload = payload_text(now);

	unsigned_token = token_assemble(header, payload, NULL, 0);
	assert_non_null(HMAC(EVP_sha256(), public_pem, (int)strlen(public_pem),
	    (const unsigned char *)unsigned_token, strlen(unsigned_token) - 1,
	    mac, &mac_len));
	assert_int_equal(mac_len, 32);
	token = token_assemble(header, payload, mac, mac_len);

	verify_fails(&keyset_a, token, NULL, now, "unsupported alg");
	verify_fails(&keyset_a, token, "JWT", now, "unsupported alg");

	free(token);
	free(unsigned_token);
	free(public_pem);
}

static void
reject_alg_rs512(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_forge(keyset_a.signer->pkey, EVP_sha512(),
	    header_text("RS512", "JWT", keyset_a.signer->kid),
	    payload_text(now));
	verify_fails(&keyset_a, token, NULL, now, "unsupported alg");
	free(token);
}

static void
reject_other_alg_values(void **state)
{
	const char	*algs[] = { "None", "NONE", "HS384", "RS384", "ES256",
	    "PS256", "rs256", "RS256 ", "" };
	const char	*payload;
	char		 header[256], *token;
	long		 now;
	size_t		 i;

	(void)state;
	now = (long)time(NULL);
	payload = payload_text(now);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
		    header_text(algs[i], "JWT", keyset_a.signer->kid),
		    payload);
		verify_fails(&keyset_a, token, NULL, now, "unsupported alg");
		free(token);
	}

	snprintf(header, sizeof(header), "{\"typ\":\"JWT\",\"kid\":\"%s\"}",
	    keyset_a.signer->kid);
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(), header,
	    payload);
	verify_fails(&keyset_a, token, NULL, now, "missing alg");
	free(token);

	snprintf(header, sizeof(header), "{\"alg\":256,\"kid\":\"%s\"}",
	    keyset_a.signer->kid);
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(), header,
	    payload);
	verify_fails(&keyset_a, token, NULL, now, "missing alg");
	free(token);
}

static void
reject_unknown_kid(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    header_text("RS256", "JWT",
	    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"), payload_text(now));
	verify_fails(&keyset_a, token, NULL, now, "unknown kid");
	free(token);

	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    "{\"alg\":\"RS256\"}", payload_text(now));
	verify_fails(&keyset_a, token, NULL, now, "missing kid");
	free(token);
}

static void
reject_kid_from_other_keyset(void **state)
{
	long	 now;
	json_t	*claims;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	claims = claims_new(now);
	token = jwt_sign(&keyset_b, "at+jwt", claims);
	assert_non_null(token);
	verify_ok(&keyset_b, token, "at+jwt", now);
	verify_fails(&keyset_a, token, "at+jwt", now, "unknown kid");
	free(token);
	json_decref(claims);
}

static void
reject_tampered_payload(void **state)
{
	long		 now;
	json_t		*claims, *payload;
	char		*token, *payload_json, *tampered, *signature;
	size_t		 header_len, tampered_len;

	(void)state;
	now = (long)time(NULL);
	claims = claims_new(now);
	token = jwt_sign(&keyset_a, "at+jwt", claims);
	assert_non_null(token);

	payload = segment_json(token, 1);
	json_object_set_new(payload, "sub", json_string("admin"));
	payload_json = json_dumps(payload, JSON_COMPACT);
	assert_non_null(payload_json);

	header_len = (size_t)(strchr(token, '.') - token);
	signature = strrchr(token, '.');
	tampered_len = header_len + 1 + util_b64url_len(strlen(payload_json)) +
	    strlen(signature);
	tampered = malloc(tampered_len + 1);
	assert_non_null(tampered);
	memcpy(tampered, token, header_len + 1);
	util_b64url_encode((const uint8_t *)payload_json, strlen(payload_json),
	    tampered + header_len + 1);
	strcat(tampered, signature);
	assert_int_equal(strlen(tampered), tampered_len);
	verify_fails(&keyset_a, tampered, "at+jwt", now, "bad signature");

	/* One changed signature character is caught too. */
	tampered_len = strlen(token);
	token[tampered_len - 3] = token[tampered_len - 3] == 'A' ? 'B' : 'A';
	verify_fails(&keyset_a, token, "at+jwt", now, "bad signature");

	free(tampered);
	free(payload_json);
	json_decref(payload);
	free(token);
	json_decref(claims);
}

static void
reject_signature_by_other_key(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_forge(keyset_b.signer->pkey, EVP_sha256(),
	    header_text("RS256", "at+jwt", keyset_a.signer->kid),
	    payload_text(now));
	verify_fails(&keyset_a, token, "at+jwt", now, "bad signature");
	free(token);

	/* The same forge with the right key passes, so only the key differs. */
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    header_text("RS256", "at+jwt", keyset_a.signer->kid),
	    payload_text(now));
	verify_ok(&keyset_a, token, "at+jwt", now);
	free(token);
}

static void
reject_expired(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_with_claim(&keyset_a, now, "exp",
	    json_integer(now - 1));
	verify_fails(&keyset_a, token, "at+jwt", now, "token expired");
	verify_ok(&keyset_a, token, "at+jwt", now - 2);
	free(token);

	token = token_with_claim(&keyset_a, now, "exp", json_integer(now));
	verify_fails(&keyset_a, token, "at+jwt", now, "token expired");
	free(token);

	token = token_with_claim(&keyset_a, now, "exp", NULL);
	verify_fails(&keyset_a, token, "at+jwt", now, "missing exp");
	free(token);

	token = token_with_claim(&keyset_a, now, "exp", json_string("9999"));
	verify_fails(&keyset_a, token, "at+jwt", now, "invalid exp");
	free(token);

	/* NumericDate may have a fraction (RFC 7519 section 2). */
	token = token_with_claim(&keyset_a, now, "exp",
	    json_real((double)now + 0.5));
	verify_ok(&keyset_a, token, "at+jwt", now);
	free(token);
}

static void
reject_nbf_in_future(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_with_claim(&keyset_a, now, "nbf",
	    json_integer(now + 1));
	verify_fails(&keyset_a, token, "at+jwt", now, "token not yet valid");
	verify_ok(&keyset_a, token, "at+jwt", now + 1);
	free(token);

	token = token_with_claim(&keyset_a, now, "nbf", json_string("now"));
	verify_fails(&keyset_a, token, "at+jwt", now, "invalid nbf");
	free(token);
}

static void
reject_iat_in_future(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_with_claim(&keyset_a, now, "iat",
	    json_integer(now + JWT_IAT_LEEWAY + 1));
	verify_fails(&keyset_a, token, "at+jwt", now, "iat in the future");
	free(token);

	token = token_with_claim(&keyset_a, now, "iat",
	    json_integer(now + JWT_IAT_LEEWAY));
	verify_ok(&keyset_a, token, "at+jwt", now);
	free(token);

	token = token_with_claim(&keyset_a, now, "iat", json_true());
	verify_fails(&keyset_a, token, "at+jwt", now, "invalid iat");
	free(token);
}

static void
reject_wrong_typ(void **state)
{
	long		 now;
	json_t		*claims;
	char		*token;
	const char	*payload, *kid;

	(void)state;
	now = (long)time(NULL);
	claims = claims_new(now);
	token = jwt_sign(&keyset_a, "JWT", claims);
	assert_non_null(token);
	verify_fails(&keyset_a, token, "at+jwt", now, "unexpected typ");
	verify_ok(&keyset_a, token, "JWT", now);
	verify_ok(&keyset_a, token, "jwt", now);
	verify_ok(&keyset_a, token, NULL, now);
	free(token);

	/* Media types compare case-insensitively, "application/" optional. */
	token = jwt_sign(&keyset_a, "at+jwt", claims);
	assert_non_null(token);
	verify_ok(&keyset_a, token, "AT+JWT", now);
	verify_ok(&keyset_a, token, "application/at+jwt", now);
	verify_fails(&keyset_a, token, "JWT", now, "unexpected typ");
	free(token);

	payload = payload_text(now);
	kid = keyset_a.signer->kid;
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    header_text("RS256", "Application/AT+JWT", kid), payload);
	verify_ok(&keyset_a, token, "at+jwt", now);
	free(token);

	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    header_text("RS256", "text/at+jwt", kid), payload);
	verify_fails(&keyset_a, token, "at+jwt", now, "unexpected typ");
	free(token);

	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    header_text("RS256", "application/", kid), payload);
	verify_fails(&keyset_a, token, "at+jwt", now, "unexpected typ");
	free(token);

	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    "{\"alg\":\"RS256\",\"kid\":\"x\"}", payload);
	verify_fails(&keyset_a, token, "at+jwt", now, "missing typ");
	free(token);

	json_decref(claims);
}

static void
reject_two_segments(void **state)
{
	(void)state;
	verify_fails(&keyset_a, "eyJhbGciOiJSUzI1NiJ9.e30", NULL, 0,
	    "token does not have 3 segments");
	verify_fails(&keyset_a, "eyJhbGciOiJSUzI1NiJ9", NULL, 0,
	    "token does not have 3 segments");
	verify_fails(&keyset_a, "", NULL, 0, "missing token");
}

static void
reject_four_segments(void **state)
{
	long	 now;
	json_t	*claims;
	char	*token, *longer;

	(void)state;
	now = (long)time(NULL);
	claims = claims_new(now);
	token = jwt_sign(&keyset_a, "at+jwt", claims);
	assert_non_null(token);
	assert_int_not_equal(asprintf(&longer, "%s.", token), -1);
	verify_fails(&keyset_a, longer, NULL, now,
	    "token does not have 3 segments");
	free(longer);
	assert_int_not_equal(asprintf(&longer, "%s.e30", token), -1);
	verify_fails(&keyset_a, longer, NULL, now,
	    "token does not have 3 segments");
	free(longer);
	verify_fails(&keyset_a, "a.b.c.d", NULL, now,
	    "token does not have 3 segments");
	free(token);
	json_decref(claims);
}

static void
reject_padding(void **state)
{
	long	 now;
	json_t	*claims;
	char	*token, *padded, *dot;

	(void)state;
	now = (long)time(NULL);
	claims = claims_new(now);
	token = jwt_sign(&keyset_a, "at+jwt", claims);
	assert_non_null(token);

	padded = malloc(strlen(token) + 2);
	assert_non_null(padded);
	dot = strrchr(token, '.');
	memcpy(padded, token, (size_t)(dot - token));
	padded[dot - token] = '=';
	strcpy(padded + (dot - token) + 1, dot);
	verify_fails(&keyset_a, padded, NULL, now,
	    "token has base64url padding");

	strcpy(padded, token);
	strcat(padded, "=");
	verify_fails(&keyset_a, padded, NULL, now,
	    "token has base64url padding");

	free(padded);
	free(token);
	json_decref(claims);
}

static void
reject_non_object_header(void **state)
{
	long	 now;
	char	*token;

	(void)state;
	now = (long)time(NULL);
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    "[\"RS256\"]", payload_text(now));
	verify_fails(&keyset_a, token, NULL, now,
	    "header is not a JSON object");
	free(token);

	token = token_forge(keyset_a.signer->pkey, EVP_sha256(),
	    "\"RS256\"", payload_text(now));
	verify_fails(&keyset_a, token, NULL, now, "header is not valid JSON");
	free(token);

	verify_fails(&keyset_a, "e!J9.e30.AAAA", NULL, now,
	    "header is not valid base64url");
	verify_fails(&keyset_a, ".e30.AAAA", NULL, now,
	    "header is not valid JSON");
}

static void
reject_bad_header_members(void **state)
{
	long		 now;
	char		 header[256], *token;
	const char	*kid;

	(void)state;
	now = (long)time(NULL);
	kid = keyset_a.signer->kid;

	/* Duplicate names are rejected, so "alg" cannot be read two ways. */
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\","
	    "\"alg\":\"none\"}", kid);
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(), header,
	    payload_text(now));
	verify_fails(&keyset_a, token, NULL, now, "header is not valid JSON");
	free(token);

	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\","
	    "\"crit\":[\"b64\"],\"b64\":false}", kid);
	token = token_forge(keyset_a.signer->pkey, EVP_sha256(), header,
	    payload_text(now));
	verify_fails(&keyset_a, token, NULL, now, "unsupported crit header");
	free(token);
}

static void
reject_non_object_payload(void **state)
{
	long	 now;
	char	*token, header[256];

	(void)state;
	now = (long)time(NULL);
	snprintf(header, sizeof(header), "%s",
	    header_text("RS256", "at+jwt", keyset_a.signer->kid));

	token = token_forge(keyset_a.signer->pkey, EVP_sha256(), header,
	    "[{\"exp\":99999999999}]");
	verify_fails(&keyset_a, token, "at+jwt", now,
	    "payload is not a JSON object");
	free(token);

	token = token_forge(keyset_a.signer->pkey, EVP_sha256(), header,
	    "{\"exp\":");
	verify_fails(&keyset_a, token, "at+jwt", now,
	    "payload is not valid JSON");
	free(token);
}

static void
reject_oversized_token(void **state)
{
	char	*token;
	char	 message[JWT_ERROR_MAX];

	(void)state;
	token = malloc(JWT_TOKEN_MAX + 2);
	assert_non_null(token);
	memset(token, 'A', JWT_TOKEN_MAX + 1);
	token[10] = '.';
	token[20] = '.';
	token[JWT_TOKEN_MAX + 1] = '\0';
	snprintf(message, sizeof(message), "token longer than %d bytes",
	    JWT_TOKEN_MAX);
	verify_fails(&keyset_a, token, NULL, 0, message);

	/* At the limit the length check passes and the header is parsed. */
	token[JWT_TOKEN_MAX] = '\0';
	verify_fails(&keyset_a, token, NULL, 0, "header is not valid JSON");
	free(token);
}

/* RFC 7638 section 3.1: the example RSA key and its thumbprint. */
static void
thumbprint_rfc7638_vector(void **state)
{
	static const char	n_b64[] =
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1"
	    "RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5"
	    "n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8K"
	    "JZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQF"
	    "h6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJz"
	    "KnqDKgw";
	struct jwt_keyset	 keyset;
	EVP_PKEY		*pkey;
	uint8_t			 n[256], e[3] = { 0x01, 0x00, 0x01 };
	char			 error[JWT_ERROR_MAX];
	json_t			*jwks, *jwk;

	(void)state;
	assert_int_equal(util_b64url_decode(n_b64, strlen(n_b64), n,
	    sizeof(n)), 256);
	pkey = jwt_rsa_public_key(n, sizeof(n), e, sizeof(e));
	assert_non_null(pkey);

	memset(&keyset, 0, sizeof(keyset));
	assert_int_equal(jwt_keyset_add_key(&keyset, pkey, 0, error,
	    sizeof(error)), 0);
	assert_string_equal(keyset.keys[0].kid,
	    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");

	jwks = jwt_keyset_jwks(&keyset);
	assert_non_null(jwks);
	jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(jwk, "n")),
	    n_b64);
	assert_string_equal(json_string_value(json_object_get(jwk, "e")),
	    "AQAB");

	json_decref(jwks);
	jwt_keyset_free(&keyset);
}

static void
jwks_has_public_members_only(void **state)
{
	static const char	*private_members[] = { "d", "p", "q", "dp",
	    "dq", "qi", "oth", "k" };
	struct jwt_keyset	 keyset;
	json_t			*jwks, *keys, *jwk;
	char			 error[JWT_ERROR_MAX], *text;
	uint8_t			 n[512];
	size_t			 i, j;

	(void)state;
	memset(&keyset, 0, sizeof(keyset));
	assert_int_equal(jwt_keyset_add_pem(&keyset, pem_a, strlen(pem_a), 1,
	    error, sizeof(error)), 0);
	assert_int_equal(jwt_keyset_add_pem(&keyset, pem_b, strlen(pem_b), 0,
	    error, sizeof(error)), 0);

	jwks = jwt_keyset_jwks(&keyset);
	assert_non_null(jwks);
	assert_int_equal(json_object_size(jwks), 1);
	keys = json_object_get(jwks, "keys");
	assert_int_equal(json_array_size(keys), 2);

	for (i = 0; i < 2; i++) {
		jwk = json_array_get(keys, i);
		assert_int_equal(json_object_size(jwk), 6);
		assert_string_equal(json_string_value(json_object_get(jwk,
		    "kty")), "RSA");
		assert_string_equal(json_string_value(json_object_get(jwk,
		    "kid")), keyset.keys[i].kid);
		assert_string_equal(json_string_value(json_object_get(jwk,
		    "use")), "sig");
		assert_string_equal(json_string_value(json_object_get(jwk,
		    "alg")), "RS256");
		assert_string_equal(json_string_value(json_object_get(jwk,
		    "e")), "AQAB");
		text = (char *)json_string_value(json_object_get(jwk, "n"));
		assert_non_null(text);
		assert_int_equal(util_b64url_decode(text, strlen(text), n,
		    sizeof(n)), 256);
		for (j = 0; j < sizeof(private_members) /
		    sizeof(private_members[0]); j++)
			assert_null(json_object_get(jwk, private_members[j]));
	}

	text = json_dumps(jwks, JSON_COMPACT);
	assert_non_null(text);
	assert_null(strstr(text, "\"d\""));
	assert_null(strstr(text, "\"p\""));
	assert_null(strstr(text, "\"qi\""));
	free(text);

	json_decref(jwks);
	jwt_keyset_free(&keyset);
}

/* A verifier that only has the JWKS accepts our tokens. */
static void
jwks_key_verifies_token(void **state)
{
	struct jwt_keyset	 keyset;
	json_t			*jwks, *jwk, *claims;
	const char		*n_b64, *e_b64;
	uint8_t			 n[512], e[8];
	long			 n_len, e_len, now;
	EVP_PKEY		*pkey;
	char			*token, error[JWT_ERROR_MAX];

	(void)state;
	jwks = jwt_keyset_jwks(&keyset_a);
	assert_non_null(jwks);
	jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	n_b64 = json_string_value(json_object_get(jwk, "n"));
	e_b64 = json_string_value(json_object_get(jwk, "e"));
	n_len = util_b64url_decode(n_b64, strlen(n_b64), n, sizeof(n));
	e_len = util_b64url_decode(e_b64, strlen(e_b64), e, sizeof(e));
	assert_true(n_len > 0 && e_len > 0);
	pkey = jwt_rsa_public_key(n, (size_t)n_len, e, (size_t)e_len);
	assert_non_null(pkey);

	memset(&keyset, 0, sizeof(keyset));
	assert_int_equal(jwt_keyset_add_key(&keyset, pkey, 0, error,
	    sizeof(error)), 0);
	assert_string_equal(keyset.keys[0].kid, keyset_a.signer->kid);

	now = (long)time(NULL);
	claims = claims_new(now);
	token = jwt_sign(&keyset_a, "at+jwt", claims);
	assert_non_null(token);
	verify_ok(&keyset, token, "at+jwt", now);

	free(token);
	json_decref(claims);
	json_decref(jwks);
	jwt_keyset_free(&keyset);
}

static void
key_rotation(void **state)
{
	struct jwt_keyset	 both, new_only;
	json_t			*claims, *header;
	char			*old_token, *new_token, error[JWT_ERROR_MAX];
	char			 kid_a[JWT_KID_LEN + 1], kid_b[JWT_KID_LEN + 1];
	long			 now;

	(void)state;
	memset(&both, 0, sizeof(both));
	memset(&new_only, 0, sizeof(new_only));
	strcpy(kid_a, keyset_a.signer->kid);
	strcpy(kid_b, keyset_b.signer->kid);
	assert_int_equal(jwt_keyset_add_pem(&both, pem_a, strlen(pem_a), 1,
	    error, sizeof(error)), 0);
	assert_int_equal(jwt_keyset_add_pem(&both, pem_b, strlen(pem_b), 1,
	    error, sizeof(error)), 0);
	now = (long)time(NULL);
	claims = claims_new(now);

	assert_int_equal(jwt_keyset_set_signer(&both, kid_a), 0);
	old_token = jwt_sign(&both, "at+jwt", claims);
	assert_non_null(old_token);
	assert_int_equal(jwt_keyset_set_signer(&both, kid_b), 0);
	new_token = jwt_sign(&both, "at+jwt", claims);
	assert_non_null(new_token);

	header = segment_json(new_token, 0);
	assert_string_equal(json_string_value(json_object_get(header, "kid")),
	    kid_b);
	json_decref(header);
	verify_ok(&both, old_token, "at+jwt", now);
	verify_ok(&both, new_token, "at+jwt", now);

	/* Once the old key is retired its tokens stop verifying. */
	assert_int_equal(jwt_keyset_add_pem(&new_only, pem_b, strlen(pem_b), 1,
	    error, sizeof(error)), 0);
	assert_int_equal(jwt_keyset_set_signer(&new_only, kid_b), 0);
	verify_fails(&new_only, old_token, "at+jwt", now, "unknown kid");
	verify_ok(&new_only, new_token, "at+jwt", now);

	free(old_token);
	free(new_token);
	json_decref(claims);
	jwt_keyset_free(&both);
	jwt_keyset_free(&new_only);
}

/* Base64url of the first 16 bytes of SHA-256, computed with OpenSSL only. */
static void
hash_half_reference(const char *value, char out[32])
{
	unsigned char	digest[32], base64[32];
	int		len, i;

	assert_int_equal(EVP_Digest(value, strlen(value), digest, NULL,
	    EVP_sha256(), NULL), 1);
	len = EVP_EncodeBlock(base64, digest, 16);
	assert_int_equal(len, 24);
	for (i = 0; i < len && base64[i] != '='; i++)
		out[i] = base64[i] == '+' ? '-' : base64[i] == '/' ? '_' :
		    (char)base64[i];
	out[i] = '\0';
}

static void
hash_half_oidc_examples(void **state)
{
	/* OpenID Connect Core 1.0 Appendix A.3 (at_hash), A.4 (c_hash). */
	static const char	access_token[] =
	    "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
	static const char	code[] =
	    "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
	char			out[44], expected[32];

	(void)state;
	jwt_hash_half(access_token, strlen(access_token), out);
	assert_string_equal(out, "77QmUPtjPfzWtF2AnpK9RQ");
	jwt_hash_half(code, strlen(code), out);
	assert_string_equal(out, "LDktKdoQak3Pk0cnXxCltA");

	hash_half_reference(access_token, expected);
	jwt_hash_half(access_token, strlen(access_token), out);
	assert_string_equal(out, expected);
	hash_half_reference("", expected);
	jwt_hash_half("", 0, out);
	assert_string_equal(out, expected);
	assert_int_equal(strlen(out), JWT_HASH_HALF_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_generate_writes_pkcs8),
		cmocka_unit_test(keyset_rejects_bad_keys),
		cmocka_unit_test(keyset_signer_needs_private_key),
		cmocka_unit_test(sign_verify_round_trip),
		cmocka_unit_test(sign_rejects_bad_input),
		cmocka_unit_test(sign_from_threads),
		cmocka_unit_test(libjwt_verifies_our_token),
		cmocka_unit_test(libjwt_token_verifies_here),
		cmocka_unit_test(reject_alg_none),
		cmocka_unit_test(reject_hs256_with_public_key),
		cmocka_unit_test(reject_alg_rs512),
		cmocka_unit_test(reject_other_alg_values),
		cmocka_unit_test(reject_unknown_kid),
		cmocka_unit_test(reject_kid_from_other_keyset),
		cmocka_unit_test(reject_tampered_payload),
		cmocka_unit_test(reject_signature_by_other_key),
		cmocka_unit_test(reject_expired),
		cmocka_unit_test(reject_nbf_in_future),
		cmocka_unit_test(reject_iat_in_future),
		cmocka_unit_test(reject_wrong_typ),
		cmocka_unit_test(reject_two_segments),
		cmocka_unit_test(reject_four_segments),
		cmocka_unit_test(reject_padding),
		cmocka_unit_test(reject_non_object_header),
		cmocka_unit_test(reject_bad_header_members),
		cmocka_unit_test(reject_non_object_payload),
		cmocka_unit_test(reject_oversized_token),
		cmocka_unit_test(thumbprint_rfc7638_vector),
		cmocka_unit_test(jwks_has_public_members_only),
		cmocka_unit_test(jwks_key_verifies_token),
		cmocka_unit_test(key_rotation),
		cmocka_unit_test(hash_half_oidc_examples),
	};

	return (cmocka_run_group_tests_name("jwt", tests, keys_setup,
	    keys_teardown));
}
