/* Random tokens, hashing and encodings used across the server. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "util.h"

static const char	b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
util_wipe(void *buf, size_t len)
{
	OPENSSL_cleanse(buf, len);
}

int
util_random(void *buf, size_t len)
{
	if (len > 0x7fffffff)
		return (-1);
	return (RAND_bytes(buf, (int)len) == 1 ? 0 : -1);
}

size_t
util_b64url_len(size_t len)
{
	return ((len / 3) * 4 + ((len % 3) ? (len % 3) + 1 : 0));
}

void
util_b64url_encode(const uint8_t *in, size_t len, char *out)
{
	size_t		i, o;
	uint32_t	v;

	for (i = 0, o = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '-')
		return (62);
	if (c == '_')
		return (63);
	return (-1);
}

long
util_b64url_decode(const char *in, size_t len, uint8_t *out, size_t out_len)
{
	size_t		i, o, bits;
	uint32_t	acc;
	int		v;

	/* A single leftover character can never encode a whole byte. */
	if (len % 4 == 1)
		return (-1);

	acc = 0;
	bits = 0;
	for (i = 0, o = 0; i < len; i++) {
		if ((v = b64url_value(in[i])) == -1)
			return (-1);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= out_len)
				return (-1);
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, so each value has one encoding. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return (-1);

	return ((long)o);
}

static void
util_hex32(const unsigned char md[32], char out[65])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned int		i;

	for (i = 0; i < 32; i++) {
		out[i * 2] = hex[md[i] >> 4];
		out[i * 2 + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
util_sha256_hex(const void *in, size_t len, char out[65])
{
	unsigned char	md[32];
	unsigned int	md_len;

	md_len = sizeof(md);
	EVP_Digest(in, len, md, &md_len, EVP_sha256(), NULL);
	util_hex32(md, out);
}

int
util_hmac_sha256_hex(const void *key, size_t key_len, const void *in,
    size_t len, char out[65])
{
	unsigned char	md[32];
	unsigned int	md_len;

	md_len = sizeof(md);
	if (HMAC(EVP_sha256(), key, (int)key_len, in, len, md, &md_len) ==
	    NULL || md_len != sizeof(md))
		return (-1);
	util_hex32(md, out);
	return (0);
}

int
util_equal_ct(const void *a, size_t a_len, const void *b, size_t b_len)
{
	if (a_len != b_len)
		return (0);
	return (CRYPTO_memcmp(a, b, a_len) == 0);
}

int
util_token_new(char out[UTIL_TOKEN_LEN + 1])
{
	uint8_t		raw[32];

	if (util_random(raw, sizeof(raw)) == -1)
		return (-1);
	util_b64url_encode(raw, sizeof(raw), out);
	util_wipe(raw, sizeof(raw));
	return (0);
}

int
util_local_path_valid(const char *path)
{
	size_t	i;

	if (path[0] != '/' || path[1] == '/' || path[1] == '\\')
		return (0);
	for (i = 0; path[i] != '\0'; i++) {
		if (i >= 2048)
			return (0);
		if ((unsigned char)path[i] <= 0x20 || path[i] == 0x7f ||
		    path[i] == '\\')
			return (0);
	}
	return (1);
}
