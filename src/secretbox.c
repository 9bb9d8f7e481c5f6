#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "secretbox.h"
#include "util.h"

#define SECRETBOX_NONCE_LEN	12
#define SECRETBOX_TAG_LEN	16
#define SECRETBOX_PLAIN_MAX	(64 * 1024)

static int
secretbox_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
secretbox_key_load(const char *path, uint8_t key[SECRETBOX_KEY_LEN],
    char *error, size_t error_len)
{
	FILE	*fp;
	char	 text[SECRETBOX_KEY_LEN * 2 + 3];
	size_t	 len, i;
	int	 hi, lo;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(error, error_len, "cannot read '%s': %s", path,
		    strerror(errno));
		return (-1);
	}
	len = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[len] = '\0';
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';

	if (len != SECRETBOX_KEY_LEN * 2) {
		util_wipe(text, sizeof(text));
		snprintf(error, error_len, "'%s' must hold %d hexadecimal "
		    "characters (create one with: openssl rand -hex 32)", path,
		    SECRETBOX_KEY_LEN * 2);
		return (-1);
	}
	for (i = 0; i < SECRETBOX_KEY_LEN; i++) {
		hi = secretbox_hex_value(text[i * 2]);
		lo = secretbox_hex_value(text[i * 2 + 1]);
		if (hi < 0 || lo < 0) {
			util_wipe(text, sizeof(text));
			util_wipe(key, SECRETBOX_KEY_LEN);
			snprintf(error, error_len, "'%s' holds a character that "
			    "is not hexadecimal", path);
			return (-1);
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	util_wipe(text, sizeof(text));
	return (0);
}

char *
secretbox_seal(const uint8_t key[SECRETBOX_KEY_LEN], const char *context,
    const void *plain, size_t len)
{
	EVP_CIPHER_CTX	*ctx;
	uint8_t		*raw;
	char		*out;
	int		 n, ok;
	size_t		 raw_len;

	if (len > SECRETBOX_PLAIN_MAX)
		return (NULL);
	raw_len = SECRETBOX_NONCE_LEN + len + SECRETBOX_TAG_LEN;
	if ((raw = malloc(raw_len)) == NULL)
		return (NULL);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(raw);
		return (NULL);
	}

	ok = util_random(raw, SECRETBOX_NONCE_LEN) == 0 &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)context,
	    (int)strlen(context)) == 1 &&
	    EVP_EncryptUpdate(ctx, raw + SECRETBOX_NONCE_LEN, &n, plain,
	    (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, raw + SECRETBOX_NONCE_LEN + n, &n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRETBOX_TAG_LEN,
	    raw + SECRETBOX_NONCE_LEN + len) == 1;
	EVP_CIPHER_CTX_free(ctx);

	out = NULL;
	if (ok && (out = malloc(util_b64url_len(raw_len) + 1)) != NULL)
		util_b64url_encode(raw, raw_len, out);
	util_wipe(raw, raw_len);
	free(raw);
	if (!ok)
		ERR_clear_error();
	return (out);
}

char *
secretbox_open(const uint8_t key[SECRETBOX_KEY_LEN], const char *context,
    const char *sealed, size_t *len)
{
	EVP_CIPHER_CTX	*ctx;
	uint8_t		*raw, tag[SECRETBOX_TAG_LEN];
	char		*plain;
	long		 raw_len;
	size_t		 text_len, plain_len;
	int		 n, ok;

	text_len = strlen(sealed);
	if (text_len > util_b64url_len(SECRETBOX_PLAIN_MAX +
	    SECRETBOX_NONCE_LEN + SECRETBOX_TAG_LEN))
		return (NULL);
	if ((raw = malloc(text_len)) == NULL)
		return (NULL);
	raw_len = util_b64url_decode(sealed, text_len, raw, text_len);
	if (raw_len < SECRETBOX_NONCE_LEN + SECRETBOX_TAG_LEN) {
		free(raw);
		return (NULL);
	}
	plain_len = (size_t)raw_len - SECRETBOX_NONCE_LEN - SECRETBOX_TAG_LEN;
	if ((plain = malloc(plain_len + 1)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(plain);
		free(raw);
		return (NULL);
	}
	memcpy(tag, raw + SECRETBOX_NONCE_LEN + plain_len, sizeof(tag));

	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)context,
	    (int)strlen(context)) == 1 &&
	    EVP_DecryptUpdate(ctx, (uint8_t *)plain, &n,
	    raw + SECRETBOX_NONCE_LEN, (int)plain_len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRETBOX_TAG_LEN,
	    tag) == 1 &&
	    EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	free(raw);

	if (!ok) {
		ERR_clear_error();
		util_wipe(plain, plain_len);
		free(plain);
		return (NULL);
	}
	plain[plain_len] = '\0';
	*len = plain_len;
	return (plain);
}
