#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "util.h"

/* Held while creating or rotating, so instances do not race. */
#define KEYS_LOCK_ID	"1869768560"

static int
keys_exec(PGconn *db, const char *sql, int count, const char **params,
    PGresult **out, char *error, size_t error_len)
{
	PGresult	*res;
	int		 status;

	res = PQexecParams(db, sql, count, NULL, params, NULL, NULL, 0);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		snprintf(error, error_len, "signing keys: %s",
		    PQresultErrorMessage(res));
		error[strcspn(error, "\n")] = '\0';
		PQclear(res);
		return (-1);
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return (0);
}

/* Generate a key, seal it and insert it; 'kid' receives its id. */
static int
keys_insert(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
    long sign_after_seconds, char *kid, size_t kid_len, char *error,
    size_t error_len)
{
	struct jwt_keyset	 set;
	const char		*params[4];
	char			*pem, *public_pem, *sealed, delay[32];
	int			 rc;

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
	public_pem = jwt_public_pem(&set.keys[0]);
	sealed = secretbox_seal(master, set.keys[0].kid, pem, strlen(pem));
	util_wipe(pem, strlen(pem));
	free(pem);
	snprintf(kid, kid_len, "%s", set.keys[0].kid);
	jwt_keyset_free(&set);
	if (public_pem == NULL || sealed == NULL) {
		free(public_pem);
		free(sealed);
		snprintf(error, error_len, "signing keys: cannot seal key");
		return (-1);
	}

	snprintf(delay, sizeof(delay), "%ld", sign_after_seconds);
	params[0] = kid;
	params[1] = sealed;
	params[2] = public_pem;
	params[3] = delay;
	rc = keys_exec(db, "INSERT INTO signing_keys (kid, sealed_private_key,"
	    " public_pem, sign_after) VALUES ($1, $2, $3, now() +"
	    " make_interval(secs => $4::int))", 4, params, NULL, error,
	    error_len);
	free(public_pem);
	free(sealed);
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
			rc = keys_insert(db, master, 0, kid, sizeof(kid), error,
			    error_len);
	}
	(void)PQclear(PQexec(db, "SELECT pg_advisory_unlock(" KEYS_LOCK_ID
	    ")"));
	return (rc);
}

int
keys_load(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
    struct jwt_keyset *set, char *error, size_t error_len)
{
	PGresult	*res;
	char		*pem;
	const char	*kid, *signer;
	size_t		 len;
	int		 i, can_sign, rc;

	if (keys_ensure_signer(db, master, error, error_len) == -1)
		return (-1);

	/* Newest first, so the first key that can sign is the signer. */
	if (keys_exec(db, "SELECT kid, sealed_private_key, public_pem,"
	    " sign_after <= now() AND (retired_at IS NULL OR retired_at >"
	    " now()) FROM signing_keys WHERE remove_after IS NULL OR"
	    " remove_after > now() ORDER BY sign_after DESC, created_at DESC"
	    " LIMIT " "16", 0, NULL, &res, error, error_len) == -1)
		return (-1);

	memset(set, 0, sizeof(*set));
	signer = NULL;
	rc = 0;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		kid = PQgetvalue(res, i, 0);
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
	PQclear(res);

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
keys_rotate(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN],
    long publish_seconds, long retain_seconds, char *kid, size_t kid_len,
    char *error, size_t error_len)
{
	const char	*params[2];
	char		 publish[32], retain[32];
	int		 rc;

	snprintf(publish, sizeof(publish), "%ld", publish_seconds);
	snprintf(retain, sizeof(retain), "%ld", retain_seconds);
	params[0] = publish;
	params[1] = retain;

	if (keys_exec(db, "BEGIN", 0, NULL, NULL, error, error_len) == -1)
		return (-1);
	rc = keys_exec(db, "SELECT pg_advisory_xact_lock(" KEYS_LOCK_ID ")", 0,
	    NULL, NULL, error, error_len);
	if (rc == 0)
		rc = keys_exec(db, "UPDATE signing_keys SET retired_at = now() +"
		    " make_interval(secs => $1::int), remove_after = now() +"
		    " make_interval(secs => $1::int + $2::int)"
		    " WHERE retired_at IS NULL", 2, params, NULL, error,
		    error_len);
	if (rc == 0)
		rc = keys_insert(db, master, publish_seconds, kid, kid_len,
		    error, error_len);
	if (rc == 0)
		rc = keys_exec(db, "COMMIT", 0, NULL, NULL, error, error_len);
	if (rc == -1)
		(void)PQclear(PQexec(db, "ROLLBACK"));
	return (rc);
}
