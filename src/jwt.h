/*
 * RS256 JSON Web Tokens (RFC 7515, RFC 7519) signed and verified with
 * OpenSSL 3, and the JWKS document that publishes the public keys.
 */
#ifndef ORGO_JWT_H
#define ORGO_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#define JWT_KEYS_MAX		16
#define JWT_KID_LEN		43	/* base64url of a SHA-256 digest */
#define JWT_TOKEN_MAX		8192	/* bytes, for signing and verifying */
#define JWT_ERROR_MAX		128
#define JWT_RSA_BITS_MIN	2048
#define JWT_RSA_BITS_MAX	16384	/* OpenSSL's own RSA modulus limit */
#define JWT_IAT_LEEWAY		60	/* seconds an iat may be ahead of now */
/*
 * Pass as 'now' to jwt_verify() to check header and signature but no time
 * claim: for an id_token_hint, which may have expired (OpenID Connect
 * RP-Initiated Logout 1.0 section 2).
 */
#define JWT_ANY_TIME		(-1L)
#define JWT_HASH_HALF_LEN	22	/* at_hash and c_hash for RS256 */

/* One RSA key, named by its RFC 7638 thumbprint. */
struct jwt_key {
	char		 kid[JWT_KID_LEN + 1];
	EVP_PKEY	*pkey;		/* public only unless can_sign */
	int		 can_sign;
};

/*
 * The keys a server verifies with, one of them the current signer. Zero-fill
 * a keyset before first use, and never copy one, because 'signer' points
 * into 'keys'. Threads may share a loaded keyset, which calls only read, but
 * adding a key or switching the signer must not run alongside other calls.
 */
struct jwt_keyset {
	struct jwt_key		 keys[JWT_KEYS_MAX];
	size_t			 count;
	const struct jwt_key	*signer;	/* NULL: cannot sign */
};

/*
 * Generate an RSA private key of 'bits' (2048 to 16384) as PKCS#8 PEM.
 * Returns a malloc'd string that the caller wipes and frees, or NULL.
 */
char	*jwt_key_generate_pem(int bits);

/*
 * Add the key in 'pem': a private key (PKCS#8 or PKCS#1, unencrypted) when
 * 'can_sign' is set, otherwise a SubjectPublicKeyInfo public key or a
 * private key whose private part is then dropped. The kid is the RFC 7638
 * thumbprint. Returns 0, or -1 with a message in 'error'.
 */
int	jwt_keyset_add_pem(struct jwt_keyset *keyset, const char *pem,
	    size_t len, int can_sign, char *error, size_t error_len);

/*
 * Add 'pkey' as jwt_keyset_add_pem() does. On success the keyset owns
 * 'pkey' and may free it at once; on failure the caller still owns it.
 */
int	jwt_keyset_add_key(struct jwt_keyset *keyset, EVP_PKEY *pkey,
	    int can_sign, char *error, size_t error_len);

/*
 * Make the key 'kid' the signer. Returns 0, or -1 when 'kid' is not in the
 * keyset or its key cannot sign.
 */
int	jwt_keyset_set_signer(struct jwt_keyset *keyset, const char *kid);

/* Free every key and leave the keyset empty. */
void	jwt_keyset_free(struct jwt_keyset *keyset);

/* Return the SubjectPublicKeyInfo PEM of 'key' (malloc'd), or NULL. */
char	*jwt_public_pem(const struct jwt_key *key);

/*
 * Build an RSA public key from big-endian modulus and exponent bytes, as
 * in the "n" and "e" members of a JWK. Returns NULL on failure.
 */
EVP_PKEY	*jwt_rsa_public_key(const uint8_t *n, size_t n_len,
		    const uint8_t *e, size_t e_len);

/*
 * Sign 'claims' (a JSON object) with the keyset's signer as an RS256 JWS
 * whose header is {"alg":"RS256","typ":typ,"kid":kid}. Safe to call from
 * several threads with the same keyset. Returns a malloc'd compact token,
 * or NULL when there is no signer, the token would exceed JWT_TOKEN_MAX
 * or OpenSSL fails.
 */
char	*jwt_sign(const struct jwt_keyset *keyset, const char *typ,
	    json_t *claims);

/*
 * Verify an RS256 token against the keyset and check exp, nbf and iat
 * against 'now' (seconds since the epoch). When 'expected_typ' is not NULL
 * the header's typ must name the same media type: case-insensitive, with
 * an optional "application/" prefix (RFC 7515 section 4.1.9). On success
 * returns 0 and, if 'claims_out' is not NULL, stores the payload there for
 * the caller to json_decref(). On failure returns -1 with a short reason
 * in 'error' that contains nothing taken from the token.
 */
int	jwt_verify(const struct jwt_keyset *keyset, const char *token,
	    size_t len, const char *expected_typ, long now,
	    json_t **claims_out, char *error, size_t error_len);

/*
 * Return {"keys":[...]} with the public JWK (kty, kid, use, alg, n, e) of
 * every key in the keyset, or NULL on failure. The caller owns the result.
 */
json_t	*jwt_keyset_jwks(const struct jwt_keyset *keyset);

/*
 * Compute an OpenID Connect at_hash or c_hash for RS256: base64url of the
 * left 128 bits of SHA-256 of 'value'. Writes JWT_HASH_HALF_LEN characters
 * and a NUL. 'out' has room for the 43 characters that the half of a
 * SHA-512 digest would need, should another algorithm be added. On an
 * OpenSSL failure 'out' is the empty string.
 */
void	jwt_hash_half(const char *value, size_t len, char out[44]);

#endif
