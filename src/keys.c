#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "pq.h"
#include "util.h"

/* Held while creating or rotating, so instances do not race. */
#define KEYS_LOCK_ID	"1869768560"

static int
keys_exec(PGconn *db, const char *sql, int count, const char **params,
    PGresult **out, char *error, size_t error_len)
{
	char	message[512];

	if (pq_exec(db, sql, count, params, out, message,
	    sizeof(message)) == -1) {
		message[strcspn(message, "\n")] = '\0';
		snprintf(error, error_len, "signing keys: %s", message);
		return (-1);
	}
	return (0);
}

int
keys_generate(const uint8_t master[SECRETBOX_KEY_LEN], struct keys_new *out,
    char *error, size_t error_len)
{
	struct jwt_keyset	 set;
	char			*pem;

	memset(out, 0, sizeof(*out));
	memset(&set, 0, sizeof(set));
	if ((pem = jwt_key_generate_pem(KEYS_RSA_BITS)) == NULL) {
		snprintf(error, error_len, "signing keys: key generation "
		    "failed");
		return (-1);
	}
	if (jwt_keyset_add_pem(&set, pem, strlen(pem), 1, error,
	    error_len) == -1) {
		util_wipe(pem, strlen(pem));
		free(pem);
		return (-1);
	}
	snprintf(out->kid, sizeof(out->kid), "%s", set.keys[0].kid);
	out->public_pem = jwt_public_pem(&set.keys[0]);
	/* The kid is the sealing context: a sealed key cannot be moved to
	 * another row. */
	out->sealed = secretbox_seal(master, out->kid, pem, strlen(pem));
	util_wipe(pem, strlen(pem));
	free(pem);
	jwt_keyset_free(&set);

	if (out->public_pem == NULL || out->sealed == NULL) {
		keys_new_free(out);
		snprintf(error, error_len, "signing keys: cannot seal key");
		return (-1);
	}
	return (0);
}

void
keys_new_free(struct keys_new *k)
{
	free(k->sealed);
	free(k->public_pem);
	memset(k, 0, sizeof(*k));
}

/* Generate a key and add it through signing_key_rotate(). */
static int
keys_insert(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
    long publish_seconds, long retain_seconds, char *kid, size_t kid_len,
    char *error, size_t error_len)
{
	struct keys_new	 k;
	const char	*params[6];
	char		 publish[32], retain[32];
	int		 rc;

	if (keys_generate(master, &k, error, error_len) == -1)
		return (-1);
	snprintf(publish, sizeof(publish), "%ld", publish_seconds);
	snprintf(retain, sizeof(retain), "%ld", retain_seconds);
	params[0] = k.kid;
	params[1] = k.sealed;
	params[2] = k.public_pem;
	params[3] = publish;
	params[4] = retain;
	params[5] = NULL;
	rc = keys_exec(db, KEYS_ROTATE_SQL, 6, params, NULL, error, error_len);
	snprintf(kid, kid_len, "%s", k.kid);
	keys_new_free(&k);
	return (rc);
}

static int
keys_ensure_signer(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
    char *error, size_t error_len)
{
	PGresult	*res;
	char		 kid[JWT_KID_LEN + 1];
	int		 missing, rc;

	if (keys_exec(db, "SELECT pg_advisory_lock(" KEYS_LOCK_ID ")", 0, NULL,
	    NULL, error, error_len) == -1)
		return (-1);
	rc = keys_exec(db, "SELECT NOT EXISTS (SELECT 1 FROM signing_keys"
	    " WHERE retired_at IS NULL OR retired_at > now())", 0, NULL, &res,
	    error, error_len);
	if (rc == 0) {
		missing = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		/* The first key signs at once: no cache can hold a JWKS yet. */
		if (missing)
			rc = keys_insert(db, master, 0, 0, kid, sizeof(kid),
			    error, error_len);
	}
	(void)PQclear(PQexec(db, "SELECT pg_advisory_unlock(" KEYS_LOCK_ID
	    ")"));
	return (rc);
}

int
keys_from_rows(PGresult *res, const uint8_t master[SECRETBOX_KEY_LEN],
    struct jwt_keyset *set, long *newest_created, char *error,
    size_t error_len)
{
	char		*pem;
	const char	*kid, *signer;
	size_t		 len;
	long		 created;
	int		 i, can_sign, rc;

	memset(set, 0, sizeof(*set));
	signer = NULL;
	rc = 0;
	/* Rows come newest first: the first key that can sign signs. */
	*newest_created = 0;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		kid = PQgetvalue(res, i, 0);
		created = strtol(PQgetvalue(res, i, 4), NULL, 10);
		if (created > *newest_created)
			*newest_created = created;
		can_sign = PQgetvalue(res, i, 3)[0] == 't';
		if (!can_sign) {
			rc = jwt_keyset_add_pem(set, PQgetvalue(res, i, 2),
			    strlen(PQgetvalue(res, i, 2)), 0, error,
			    error_len);
			continue;
		}
		pem = secretbox_open(master, kid, PQgetvalue(res, i, 1), &len);
		if (pem == NULL) {
			snprintf(error, error_len, "signing key %s cannot be "
			    "opened with ORGO_MASTER_KEY_FILE (wrong master "
			    "key?)", kid);
			rc = -1;
			break;
		}
		rc = jwt_keyset_add_pem(set, pem, len, 1, error, error_len);
		util_wipe(pem, len);
		free(pem);
		if (rc == 0 && signer == NULL)
			signer = set->keys[set->count - 1].kid;
	}

	if (rc == 0 && (signer == NULL ||
	    jwt_keyset_set_signer(set, signer) == -1)) {
		snprintf(error, error_len, "signing keys: no key can sign");
		rc = -1;
	}
	if (rc == -1)
		jwt_keyset_free(set);
	return (rc);
}

int
keys_load(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
    struct jwt_keyset *set, long *newest_created, char *error,
    size_t error_len)
{
	PGresult	*res;
	int		 rc;

	if (keys_ensure_signer(db, master, error, error_len) == -1)
		return (-1);
	if (keys_exec(db, KEYS_LOAD_SQL, 0, NULL, &res, error,
	    error_len) == -1)
		return (-1);
	rc = keys_from_rows(res, master, set, newest_created, error,
	    error_len);
	PQclear(res);
	return (rc);
}

int
keys_rotate(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
    long publish_seconds, long retain_seconds, char *kid, size_t kid_len,
    char *error, size_t error_len)
{
	return (keys_insert(db, master, publish_seconds, retain_seconds, kid,
	    kid_len, error, error_len));
}
