/*
 * RS256 JWTs with OpenSSL 3. Each key is parsed once into an EVP_PKEY and
 * kept for the life of the keyset, so signing a token costs one RSA
 * operation and no PEM parsing. Every OpenSSL failure clears the thread's
 * error queue, because SSL_get_error() misreports later TLS calls on the
 * same thread while the queue is not empty.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "jwt.h"
#include "util.h"

#define B64URL_LEN(n)		(((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
#define JWT_RSA_BYTES_MAX	(JWT_RSA_BITS_MAX / 8)
#define JWT_RSA_B64_MAX		B64URL_LEN(JWT_RSA_BYTES_MAX)

/* RSA public key members in JWK form (RFC 7518 section 6.3.1). */
struct jwt_rsa_members {
	char	n[JWT_RSA_B64_MAX + 1];
	char	e[JWT_RSA_B64_MAX + 1];
};

/* The three segments of a compact JWS, pointing into the token. */
struct jwt_segments {
	const char	*header;
	size_t		 header_len;
	const char	*payload;
	size_t		 payload_len;
	const char	*signature;
	size_t		 signature_len;
	size_t		 signing_input_len;	/* header '.' payload */
};

static void	jwt_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static EVP_PKEY	*jwt_pem_read(const char *, size_t, int);
static int	jwt_pem_no_passphrase(char *, int, int, void *);
static char	*jwt_bio_string(BIO *);
static int	jwt_bn_b64url(const BIGNUM *, char *, size_t);
static int	jwt_rsa_members(const EVP_PKEY *, struct jwt_rsa_members *);
static int	jwt_rsa_has_private(const EVP_PKEY *);
static EVP_PKEY	*jwt_rsa_public_copy(const EVP_PKEY *);
static EVP_PKEY	*jwt_rsa_public_from_bn(const BIGNUM *, const BIGNUM *);
static int	jwt_thumbprint(const EVP_PKEY *, char [JWT_KID_LEN + 1]);
static const struct jwt_key *jwt_keyset_find(const struct jwt_keyset *,
		    const char *);
static char	*jwt_sign_compact(const struct jwt_key *, const char *,
		    const char *);
static int	jwt_rs256_sign(EVP_PKEY *, const char *, size_t,
		    unsigned char *, size_t *);
static int	jwt_split(const char *, size_t, struct jwt_segments *,
		    char *, size_t);
static json_t	*jwt_segment_json(const char *, size_t, const char *,
		    char *, size_t);
static const struct jwt_key *jwt_header_check(const struct jwt_keyset *,
		    json_t *, const char *, char *, size_t);
static const char *jwt_typ_short(const char *);
static int	jwt_signature_check(const struct jwt_key *, const char *,
		    const struct jwt_segments *, char *, size_t);
static int	jwt_claim_time(json_t *, const char *, double *);
static int	jwt_claims_check(json_t *, long, char *, size_t);

char *
jwt_key_generate_pem(int bits)
{
	EVP_PKEY	*pkey;
	BIO		*bio;
	char		*pem;

	if (bits < JWT_RSA_BITS_MIN || bits > JWT_RSA_BITS_MAX)
		return (NULL);

	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)) ==
	    NULL) {
		ERR_clear_error();
		return (NULL);
	}

	/* A secure-memory BIO wipes its buffer when freed. */
	pem = NULL;
	if ((bio = BIO_new(BIO_s_secmem())) != NULL &&
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1)
		pem = jwt_bio_string(bio);
	if (pem == NULL)
		ERR_clear_error();

	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return (pem);
}

int
jwt_keyset_add_pem(struct jwt_keyset *keyset, const char *pem, size_t len,
    int can_sign, char *error, size_t error_len)
{
	EVP_PKEY	*pkey;

	if (len > INT_MAX) {
		jwt_error(error, error_len, "PEM key too long");
		return (-1);
	}

	if (can_sign) {
		pkey = jwt_pem_read(pem, len, 1);
	} else if ((pkey = jwt_pem_read(pem, len, 0)) == NULL) {
		pkey = jwt_pem_read(pem, len, 1);
	}
	if (pkey == NULL) {
		jwt_error(error, error_len, can_sign ?
		    "invalid or encrypted PEM private key" :
		    "invalid PEM key");
		return (-1);
	}

	if (jwt_keyset_add_key(keyset, pkey, can_sign, error,
	    error_len) == -1) {
		EVP_PKEY_free(pkey);
		return (-1);
	}

	return (0);
}

int
jwt_keyset_add_key(struct jwt_keyset *keyset, EVP_PKEY *pkey, int can_sign,
    char *error, size_t error_len)
{
	struct jwt_key	*key;
	EVP_PKEY	*public_key;
	char		 kid[JWT_KID_LEN + 1];
	int		 bits;

	if (keyset->count == JWT_KEYS_MAX) {
		jwt_error(error, error_len, "keyset is full (%d keys)",
		    JWT_KEYS_MAX);
		return (-1);
	}
	if (!EVP_PKEY_is_a(pkey, "RSA")) {
		jwt_error(error, error_len, "key is not an RSA key");
		return (-1);
	}
	bits = EVP_PKEY_get_bits(pkey);
	if (bits < JWT_RSA_BITS_MIN || bits > JWT_RSA_BITS_MAX) {
		jwt_error(error, error_len, "RSA key has %d bits, expected "
		    "%d to %d", bits, JWT_RSA_BITS_MIN, JWT_RSA_BITS_MAX);
		return (-1);
	}
	if (can_sign && !jwt_rsa_has_private(pkey)) {
		jwt_error(error, error_len, "signing key has no private key");
		return (-1);
	}
	if (jwt_thumbprint(pkey, kid) == -1) {
		jwt_error(error, error_len, "cannot read RSA public key");
		return (-1);
	}
	if (jwt_keyset_find(keyset, kid) != NULL) {
		jwt_error(error, error_len, "key %s is already in the keyset",
		    kid);
		return (-1);
	}

	/* A verification key keeps no private material in memory. */
	if (!can_sign) {
		if ((public_key = jwt_rsa_public_copy(pkey)) == NULL) {
			jwt_error(error, error_len,
			    "cannot copy RSA public key");
			return (-1);
		}
		EVP_PKEY_free(pkey);
		pkey = public_key;
	}

	key = &keyset->keys[keyset->count++];
	memcpy(key->kid, kid, sizeof(key->kid));
	key->pkey = pkey;
	key->can_sign = can_sign;
	return (0);
}

int
jwt_keyset_set_signer(struct jwt_keyset *keyset, const char *kid)
{
	const struct jwt_key	*key;

	if ((key = jwt_keyset_find(keyset, kid)) == NULL || !key->can_sign)
		return (-1);

	keyset->signer = key;
	return (0);
}

void
jwt_keyset_free(struct jwt_keyset *keyset)
{
	size_t		i;

	for (i = 0; i < keyset->count; i++)
		EVP_PKEY_free(keyset->keys[i].pkey);
	memset(keyset, 0, sizeof(*keyset));
}

char *
jwt_public_pem(const struct jwt_key *key)
{
	BIO		*bio;
	char		*pem;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		ERR_clear_error();
		return (NULL);
	}

	pem = NULL;
	if (PEM_write_bio_PUBKEY(bio, key->pkey) == 1)
		pem = jwt_bio_string(bio);
	if (pem == NULL)
		ERR_clear_error();

	BIO_free(bio);
	return (pem);
}

EVP_PKEY *
jwt_rsa_public_key(const uint8_t *n, size_t n_len, const uint8_t *e,
    size_t e_len)
{
	BIGNUM		*bn_n, *bn_e;
	EVP_PKEY	*pkey;

	if (n_len > INT_MAX || e_len > INT_MAX)
		return (NULL);

	pkey = NULL;
	bn_n = BN_bin2bn(n, (int)n_len, NULL);
	bn_e = BN_bin2bn(e, (int)e_len, NULL);
	if (bn_n != NULL && bn_e != NULL)
		pkey = jwt_rsa_public_from_bn(bn_n, bn_e);
	if (pkey == NULL)
		ERR_clear_error();

	BN_free(bn_n);
	BN_free(bn_e);
	return (pkey);
}

char *
jwt_sign(const struct jwt_keyset *keyset, const char *typ, json_t *claims)
{
	const struct jwt_key	*key;
	json_t			*header;
	char			*header_json, *claims_json, *token;

	key = keyset->signer;
	if (key == NULL || typ == NULL || !json_is_object(claims))
		return (NULL);

	header = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", typ,
	    "kid", key->kid);
	header_json = header ? json_dumps(header, JSON_COMPACT) : NULL;
	claims_json = json_dumps(claims, JSON_COMPACT);
	json_decref(header);

	token = NULL;
	if (header_json != NULL && claims_json != NULL)
		token = jwt_sign_compact(key, header_json, claims_json);

	free(header_json);
	free(claims_json);
	return (token);
}

int
jwt_verify(const struct jwt_keyset *keyset, const char *token, size_t len,
    const char *expected_typ, long now, json_t **claims_out, char *error,
    size_t error_len)
{
	struct jwt_segments	 segments;
	const struct jwt_key	*key;
	json_t			*header, *claims;

	if (claims_out != NULL)
		*claims_out = NULL;

	if (jwt_split(token, len, &segments, error, error_len) == -1)
		return (-1);
	if ((header = jwt_segment_json(segments.header, segments.header_len,
	    "header", error, error_len)) == NULL)
		return (-1);
	key = jwt_header_check(keyset, header, expected_typ, error, error_len);
	json_decref(header);
	if (key == NULL)
		return (-1);

	/* Only a signed payload is parsed. */
	if (jwt_signature_check(key, token, &segments, error, error_len) == -1)
		return (-1);
	if ((claims = jwt_segment_json(segments.payload, segments.payload_len,
	    "payload", error, error_len)) == NULL)
		return (-1);
	if (now != JWT_ANY_TIME &&
	    jwt_claims_check(claims, now, error, error_len) == -1) {
		json_decref(claims);
		return (-1);
	}

	if (claims_out != NULL)
		*claims_out = claims;
	else
		json_decref(claims);
	return (0);
}

json_t *
jwt_keyset_jwks(const struct jwt_keyset *keyset)
{
	struct jwt_rsa_members	 members;
	json_t			*keys, *jwk, *jwks;
	size_t			 i;

	if ((keys = json_array()) == NULL)
		return (NULL);

	for (i = 0; i < keyset->count; i++) {
		if (jwt_rsa_members(keyset->keys[i].pkey, &members) == -1)
			goto fail;
		jwk = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		    "kty", "RSA", "kid", keyset->keys[i].kid, "use", "sig",
		    "alg", "RS256", "n", members.n, "e", members.e);
		if (jwk == NULL || json_array_append_new(keys, jwk) == -1)
			goto fail;
	}

	if ((jwks = json_object()) == NULL ||
	    json_object_set_new(jwks, "keys", keys) == -1) {
		json_decref(jwks);
		return (NULL);
	}
	return (jwks);

fail:
	json_decref(keys);
	return (NULL);
}

void
jwt_hash_half(const char *value, size_t len, char out[44])
{
	unsigned char	digest[32];

	if (EVP_Digest(value, len, digest, NULL, EVP_sha256(), NULL) != 1) {
		ERR_clear_error();
		out[0] = '\0';
		return;
	}

	/* OpenID Connect Core 1.0 section 3.1.3.6: the left half. */
	util_b64url_encode(digest, 16, out);
}

static void
jwt_error(char *error, size_t error_len, const char *fmt, ...)
{
	va_list		args;

	ERR_clear_error();
	if (error == NULL || error_len == 0)
		return;

	va_start(args, fmt);
	vsnprintf(error, error_len, fmt, args);
	va_end(args);
}

static EVP_PKEY *
jwt_pem_read(const char *pem, size_t len, int want_private)
{
	BIO		*bio;
	EVP_PKEY	*pkey;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		ERR_clear_error();
		return (NULL);
	}

	if (want_private)
		pkey = PEM_read_bio_PrivateKey(bio, NULL,
		    jwt_pem_no_passphrase, NULL);
	else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, jwt_pem_no_passphrase,
		    NULL);
	if (pkey == NULL)
		ERR_clear_error();

	BIO_free(bio);
	return (pkey);
}

/*
 * Without a callback OpenSSL prompts on the terminal for the passphrase of
 * an encrypted key, which would hang a server. Failing makes it an error.
 */
static int
jwt_pem_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return (-1);
}

static char *
jwt_bio_string(BIO *bio)
{
	char		*data, *copy;
	long		 len;

	if ((len = BIO_get_mem_data(bio, &data)) <= 0)
		return (NULL);
	if ((copy = malloc((size_t)len + 1)) == NULL)
		return (NULL);

	memcpy(copy, data, (size_t)len);
	copy[len] = '\0';
	return (copy);
}

/* Encode as a JWK integer: big-endian, no leading zero bytes, base64url. */
static int
jwt_bn_b64url(const BIGNUM *bn, char *out, size_t out_len)
{
	unsigned char	raw[JWT_RSA_BYTES_MAX];
	int		len;

	len = BN_num_bytes(bn);
	if (len <= 0 || (size_t)len > sizeof(raw) ||
	    B64URL_LEN((size_t)len) >= out_len)
		return (-1);

	BN_bn2bin(bn, raw);
	util_b64url_encode(raw, (size_t)len, out);
	return (0);
}

static int
jwt_rsa_members(const EVP_PKEY *pkey, struct jwt_rsa_members *members)
{
	BIGNUM		*n, *e;
	int		 rc;

	n = NULL;
	e = NULL;
	rc = -1;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
	    jwt_bn_b64url(n, members->n, sizeof(members->n)) == 0 &&
	    jwt_bn_b64url(e, members->e, sizeof(members->e)) == 0)
		rc = 0;
	if (rc == -1)
		ERR_clear_error();

	BN_free(n);
	BN_free(e);
	return (rc);
}

static int
jwt_rsa_has_private(const EVP_PKEY *pkey)
{
	BIGNUM		*d;

	d = NULL;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) != 1) {
		ERR_clear_error();
		return (0);
	}

	BN_clear_free(d);
	return (1);
}

static EVP_PKEY *
jwt_rsa_public_copy(const EVP_PKEY *pkey)
{
	BIGNUM		*n, *e;
	EVP_PKEY	*public_key;

	n = NULL;
	e = NULL;
	public_key = NULL;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1)
		public_key = jwt_rsa_public_from_bn(n, e);
	if (public_key == NULL)
		ERR_clear_error();

	BN_free(n);
	BN_free(e);
	return (public_key);
}

static EVP_PKEY *
jwt_rsa_public_from_bn(const BIGNUM *n, const BIGNUM *e)
{
	OSSL_PARAM_BLD	*build;
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pkey;

	pkey = NULL;
	params = NULL;
	ctx = NULL;
	if ((build = OSSL_PARAM_BLD_new()) == NULL)
		goto done;
	if (OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(build)) == NULL)
		goto done;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;

done:
	if (pkey == NULL)
		ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(build);
	return (pkey);
}

/*
 * RFC 7638: SHA-256 over the required members in lexicographic order with
 * no whitespace. Base64url output never needs JSON escaping.
 */
static int
jwt_thumbprint(const EVP_PKEY *pkey, char kid[JWT_KID_LEN + 1])
{
	struct jwt_rsa_members	members;
	char			json[2 * JWT_RSA_B64_MAX + 32];
	unsigned char		digest[32];
	int			len;

	if (jwt_rsa_members(pkey, &members) == -1)
		return (-1);

	len = snprintf(json, sizeof(json), "{\"e\":\"%s\",\"kty\":\"RSA\","
	    "\"n\":\"%s\"}", members.e, members.n);
	if (len < 0 || (size_t)len >= sizeof(json))
		return (-1);
	if (EVP_Digest(json, (size_t)len, digest, NULL, EVP_sha256(),
	    NULL) != 1) {
		ERR_clear_error();
		return (-1);
	}

	util_b64url_encode(digest, sizeof(digest), kid);
	return (0);
}

static const struct jwt_key *
jwt_keyset_find(const struct jwt_keyset *keyset, const char *kid)
{
	size_t		i;

	for (i = 0; i < keyset->count; i++) {
		if (strcmp(keyset->keys[i].kid, kid) == 0)
			return (&keyset->keys[i]);
	}
	return (NULL);
}

/* Encode header and claims, sign both and append the signature. */
static char *
jwt_sign_compact(const struct jwt_key *key, const char *header_json,
    const char *claims_json)
{
	unsigned char	 signature[JWT_RSA_BYTES_MAX];
	size_t		 header_len, claims_len, signature_len, token_len, at;
	char		*token;

	/* Bound the token here so that jwt_verify() accepts all we issue. */
	header_len = strlen(header_json);
	claims_len = strlen(claims_json);
	signature_len = (size_t)EVP_PKEY_get_size(key->pkey);
	token_len = B64URL_LEN(header_len) + 1 + B64URL_LEN(claims_len) + 1 +
	    B64URL_LEN(signature_len);
	if (signature_len > sizeof(signature) || token_len > JWT_TOKEN_MAX)
		return (NULL);
	if ((token = malloc(token_len + 1)) == NULL)
		return (NULL);

	util_b64url_encode((const uint8_t *)header_json, header_len, token);
	at = B64URL_LEN(header_len);
	token[at++] = '.';
	util_b64url_encode((const uint8_t *)claims_json, claims_len,
	    token + at);
	at += B64URL_LEN(claims_len);

	signature_len = sizeof(signature);
	if (jwt_rs256_sign(key->pkey, token, at, signature,
	    &signature_len) == -1) {
		free(token);
		return (NULL);
	}
	token[at++] = '.';
	util_b64url_encode(signature, signature_len, token + at);
	return (token);
}

/*
 * RSASSA-PKCS1-v1_5 with SHA-256, the RSA default padding. Each call has
 * its own context, so concurrent callers only read the shared EVP_PKEY.
 */
static int
jwt_rs256_sign(EVP_PKEY *pkey, const char *input, size_t input_len,
    unsigned char *signature, size_t *signature_len)
{
	EVP_MD_CTX	*ctx;
	int		 rc;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		ERR_clear_error();
		return (-1);
	}

	rc = -1;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestSign(ctx, signature, signature_len,
	    (const unsigned char *)input, input_len) == 1)
		rc = 0;
	if (rc == -1)
		ERR_clear_error();

	EVP_MD_CTX_free(ctx);
	return (rc);
}

static int
jwt_split(const char *token, size_t len, struct jwt_segments *segments,
    char *error, size_t error_len)
{
	const char	*first, *second;

	if (token == NULL || len == 0) {
		jwt_error(error, error_len, "missing token");
		return (-1);
	}
	if (len > JWT_TOKEN_MAX) {
		jwt_error(error, error_len, "token longer than %d bytes",
		    JWT_TOKEN_MAX);
		return (-1);
	}

	first = memchr(token, '.', len);
	second = first ? memchr(first + 1, '.', len - (size_t)(first + 1 -
	    token)) : NULL;
	if (second == NULL ||
	    memchr(second + 1, '.', len - (size_t)(second + 1 - token))) {
		jwt_error(error, error_len, "token does not have 3 segments");
		return (-1);
	}
	if (memchr(token, '=', len) != NULL) {
		jwt_error(error, error_len, "token has base64url padding");
		return (-1);
	}

	segments->header = token;
	segments->header_len = (size_t)(first - token);
	segments->payload = first + 1;
	segments->payload_len = (size_t)(second - first - 1);
	segments->signature = second + 1;
	segments->signature_len = len - (size_t)(second + 1 - token);
	segments->signing_input_len = (size_t)(second - token);
	return (0);
}

/* Decode one segment into a JSON object. 'what' names it in errors. */
static json_t *
jwt_segment_json(const char *segment, size_t len, const char *what,
    char *error, size_t error_len)
{
	json_error_t	 json_error;
	json_t		*json;
	uint8_t		*raw;
	long		 raw_len;

	if ((raw = malloc(len + 1)) == NULL) {
		jwt_error(error, error_len, "out of memory");
		return (NULL);
	}
	if ((raw_len = util_b64url_decode(segment, len, raw, len)) == -1) {
		free(raw);
		jwt_error(error, error_len, "%s is not valid base64url", what);
		return (NULL);
	}

	/* Duplicate names are rejected, one of the two choices RFC 7515 gives. */
	json = json_loadb((const char *)raw, (size_t)raw_len,
	    JSON_REJECT_DUPLICATES, &json_error);
	free(raw);
	if (json == NULL) {
		jwt_error(error, error_len, "%s is not valid JSON", what);
		return (NULL);
	}
	if (!json_is_object(json)) {
		json_decref(json);
		jwt_error(error, error_len, "%s is not a JSON object", what);
		return (NULL);
	}

	return (json);
}

/*
 * Check the header before any key is used. Only RS256 is accepted, so a
 * token cannot choose "none", or HS256 with the public key as the secret.
 */
static const struct jwt_key *
jwt_header_check(const struct jwt_keyset *keyset, json_t *header,
    const char *expected_typ, char *error, size_t error_len)
{
	const struct jwt_key	*key;
	const char		*alg, *kid, *typ;

	if ((alg = json_string_value(json_object_get(header, "alg"))) ==
	    NULL) {
		jwt_error(error, error_len, "missing alg");
		return (NULL);
	}
	if (strcmp(alg, "RS256") != 0) {
		jwt_error(error, error_len, "unsupported alg");
		return (NULL);
	}
	/* RFC 7515 section 4.1.11: reject crit, as no extension is supported. */
	if (json_object_get(header, "crit") != NULL) {
		jwt_error(error, error_len, "unsupported crit header");
		return (NULL);
	}

	if (expected_typ != NULL) {
		typ = json_string_value(json_object_get(header, "typ"));
		if (typ == NULL) {
			jwt_error(error, error_len, "missing typ");
			return (NULL);
		}
		if (strcasecmp(jwt_typ_short(typ),
		    jwt_typ_short(expected_typ)) != 0) {
			jwt_error(error, error_len, "unexpected typ");
			return (NULL);
		}
	}

	if ((kid = json_string_value(json_object_get(header, "kid"))) ==
	    NULL) {
		jwt_error(error, error_len, "missing kid");
		return (NULL);
	}
	if ((key = jwt_keyset_find(keyset, kid)) == NULL) {
		jwt_error(error, error_len, "unknown kid");
		return (NULL);
	}

	return (key);
}

/*
 * RFC 7515 section 4.1.9: a typ without '/' means "application/" + typ,
 * so both forms name the same media type once the prefix is removed.
 */
static const char *
jwt_typ_short(const char *typ)
{
	static const char	prefix[] = "application/";

	if (strncasecmp(typ, prefix, sizeof(prefix) - 1) == 0 &&
	    strchr(typ + sizeof(prefix) - 1, '/') == NULL)
		return (typ + sizeof(prefix) - 1);
	return (typ);
}

static int
jwt_signature_check(const struct jwt_key *key, const char *token,
    const struct jwt_segments *segments, char *error, size_t error_len)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 signature[JWT_RSA_BYTES_MAX];
	long		 signature_len;
	int		 rc;

	signature_len = util_b64url_decode(segments->signature,
	    segments->signature_len, signature, sizeof(signature));
	if (signature_len != EVP_PKEY_get_size(key->pkey)) {
		jwt_error(error, error_len, "bad signature");
		return (-1);
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		jwt_error(error, error_len, "out of memory");
		return (-1);
	}

	rc = -1;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    key->pkey) == 1 &&
	    EVP_DigestVerify(ctx, signature, (size_t)signature_len,
	    (const unsigned char *)token, segments->signing_input_len) == 1)
		rc = 0;
	EVP_MD_CTX_free(ctx);

	if (rc == -1)
		jwt_error(error, error_len, "bad signature");
	return (rc);
}

/* Returns 1 with the value, 0 when absent, -1 when not a number. */
static int
jwt_claim_time(json_t *claims, const char *name, double *value)
{
	json_t		*claim;

	if ((claim = json_object_get(claims, name)) == NULL)
		return (0);
	if (!json_is_number(claim))
		return (-1);

	*value = json_number_value(claim);
	return (1);
}

/* RFC 7519 section 4.1: exp is required here, nbf and iat are optional. */
static int
jwt_claims_check(json_t *claims, long now, char *error, size_t error_len)
{
	double		value;
	int		found;

	if ((found = jwt_claim_time(claims, "exp", &value)) != 1) {
		jwt_error(error, error_len, found == 0 ? "missing exp" :
		    "invalid exp");
		return (-1);
	}
	if (value <= (double)now) {
		jwt_error(error, error_len, "token expired");
		return (-1);
	}

	if ((found = jwt_claim_time(claims, "nbf", &value)) == -1) {
		jwt_error(error, error_len, "invalid nbf");
		return (-1);
	}
	if (found == 1 && value > (double)now) {
		jwt_error(error, error_len, "token not yet valid");
		return (-1);
	}

	if ((found = jwt_claim_time(claims, "iat", &value)) == -1) {
		jwt_error(error, error_len, "invalid iat");
		return (-1);
	}
	if (found == 1 && value > (double)now + JWT_IAT_LEEWAY) {
		jwt_error(error, error_len, "iat in the future");
		return (-1);
	}

	return (0);
}
