/*
 * Token signing keys, stored in PostgreSQL so that every server instance
 * signs with the same keys. Used at start-up and by orgoctl, with libpq.
 */
#ifndef ORGO_KEYS_H
#define ORGO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "jwt.h"
#include "secretbox.h"

#define KEYS_RSA_BITS	2048

/*
 * Create a first signing key when the table has none that can sign, then
 * load every published key into 'set' (signers with their private part,
 * the others public only) and choose the newest signing key as signer.
 * Returns 0 or -1 with a message.
 */
int	keys_load(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
	    struct jwt_keyset *set, char *error, size_t error_len);

/*
 * Add a new key that starts signing after 'publish_seconds' (so caches of
 * the JWKS see it first), retire the current signers from then on, and
 * keep them published for 'retain_seconds' more (the longest token
 * lifetime). Writes the new kid into 'kid'. Returns 0 or -1.
 */
int	keys_rotate(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
	    long publish_seconds, long retain_seconds, char *kid,
	    size_t kid_len, char *error, size_t error_len);

#endif
