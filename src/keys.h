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
	    struct jwt_keyset *set, long *newest_created, char *error,
	    size_t error_len);

/* A generated key, sealed and ready to insert. */
struct keys_new {
	char	 kid[JWT_KID_LEN + 1];
	char	*sealed;
	char	*public_pem;
};

/* Generate and seal a key (slow: RSA key generation). Returns 0 or -1. */
int	keys_generate(const uint8_t master[SECRETBOX_KEY_LEN],
	    struct keys_new *out, char *error, size_t error_len);
void	keys_new_free(struct keys_new *k);

/* SQL that adds a struct keys_new through signing_key_rotate(). */
#define KEYS_ROTATE_SQL	\
	"SELECT signing_key_rotate($1, $2, $3, $4::int, $5::int, $6::int)"

/*
 * Add a new key that starts signing after 'publish_seconds' (so caches of
 * the JWKS see it first), retire the current signers from then on, and
 * keep them published for 'retain_seconds' more (the longest token
 * lifetime). Writes the new kid into 'kid'. Returns 0 or -1.
 */
int	keys_rotate(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
	    long publish_seconds, long retain_seconds, char *kid,
	    size_t kid_len, char *error, size_t error_len);

/*
 * Build a keyset from rows of KEYS_LOAD_SQL: (kid, sealed private key,
 * public PEM, may sign, created as Unix time). 'newest_created' receives
 * the creation time of the newest key, signing or only published. Returns 0 or -1 with a message.
 */
#define KEYS_LOAD_SQL \
	"SELECT kid, sealed_private_key, public_pem, sign_after <= now() AND" \
	" (retired_at IS NULL OR retired_at > now())," \
	" extract(epoch FROM created_at)::bigint FROM signing_keys" \
	" WHERE remove_after IS NULL OR remove_after > now()" \
	" ORDER BY sign_after DESC, created_at DESC LIMIT 16"

int	keys_from_rows(PGresult *res, const uint8_t master[SECRETBOX_KEY_LEN],
	    struct jwt_keyset *set, long *newest_created, char *error,
	    size_t error_len);

#endif
