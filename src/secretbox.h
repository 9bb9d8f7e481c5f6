/*
 * Authenticated encryption of secrets stored in PostgreSQL (signing keys),
 * with AES-256-GCM under the server's master key. The output is base64url
 * text: 12-byte nonce || ciphertext || 16-byte tag.
 */
#ifndef ORGO_SECRETBOX_H
#define ORGO_SECRETBOX_H

#include <stddef.h>
#include <stdint.h>

#define SECRETBOX_KEY_LEN	32

/*
 * Read a master key file: 64 hexadecimal characters and an optional
 * newline. Returns 0 or -1 with a message.
 */
int	secretbox_key_load(const char *path, uint8_t key[SECRETBOX_KEY_LEN],
	    char *error, size_t error_len);

/*
 * Seal 'len' bytes bound to 'context' (for example the key id, so a sealed
 * value cannot be moved to another row). Returns malloc'd text or NULL.
 */
char	*secretbox_seal(const uint8_t key[SECRETBOX_KEY_LEN],
	    const char *context, const void *plain, size_t len);

/*
 * Open a sealed value. Returns malloc'd plaintext (NUL-terminated, length
 * in *len) or NULL when the key, context or data do not match.
 */
char	*secretbox_open(const uint8_t key[SECRETBOX_KEY_LEN],
	    const char *context, const char *sealed, size_t *len);

#endif
