/* Small helpers shared by every module: random bytes, hashing, encoding. */
#ifndef ORGO_UTIL_H
#define ORGO_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Overwrite memory that held a secret, in a way the compiler keeps. */
void	util_wipe(void *buf, size_t len);

/* Fill 'buf' from OpenSSL's CSPRNG. Returns 0 or -1. */
int	util_random(void *buf, size_t len);

/*
 * Encode 'len' bytes as unpadded base64url (RFC 4648 section 5) into 'out',
 * which holds at least util_b64url_len(len) + 1 bytes.
 */
size_t	util_b64url_len(size_t len);
void	util_b64url_encode(const uint8_t *in, size_t len, char *out);

/* Decode unpadded base64url. Returns the decoded length or -1. */
long	util_b64url_decode(const char *in, size_t len, uint8_t *out,
	    size_t out_len);

/* SHA-256 of 'len' bytes as lowercase hex (65 bytes with the NUL). */
void	util_sha256_hex(const void *in, size_t len, char out[65]);

/* HMAC-SHA256 (RFC 2104) of 'len' bytes under 'key', as lowercase hex.
 * Returns 0, or -1 when OpenSSL fails. */
int	util_hmac_sha256_hex(const void *key, size_t key_len, const void *in,
	    size_t len, char out[65]);

/* Compare in time independent of where the first difference is. */
int	util_equal_ct(const void *a, size_t a_len, const void *b,
	    size_t b_len);

/*
 * Return a new random token: 32 bytes from the CSPRNG, base64url encoded
 * (43 characters) in 'out' (44 bytes). Returns 0 or -1.
 */
#define UTIL_TOKEN_LEN		43
int	util_token_new(char out[UTIL_TOKEN_LEN + 1]);

/*
 * Return 1 when 'path' is a path on this server that is safe to redirect
 * to after sign-in: it starts with a single '/', holds no backslash,
 * control character or space, and is at most 2048 bytes. Everything else
 * (//host, /\host, https://host) could leave the site: an open redirect.
 */
int	util_local_path_valid(const char *path);

#endif
