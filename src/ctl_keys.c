/* orgoctl keys list|rotate: token signing keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_keys.h"
#include "keys.h"
#include "orgo.h"
#include "util.h"

/* A rotated key is published this long before it signs (JWKS caches). */
#define CTL_KEYS_PUBLISH	600

static int
ctl_keys_list(PGconn *db)
{
	PGresult	*res;
	int		 i;

	res = PQexec(db, "SELECT kid, to_char(created_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD HH24:MI:SS'), CASE WHEN remove_after IS NOT NULL AND"
	    " remove_after <= now() THEN 'removed' WHEN retired_at IS NOT NULL"
	    " AND retired_at <= now() THEN 'retired (published)' WHEN"
	    " sign_after > now() THEN 'published, signs from ' || to_char("
	    "sign_after AT TIME ZONE 'UTC', 'HH24:MI:SS') ELSE 'signing' END"
	    " FROM signing_keys ORDER BY created_at");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "orgoctl: database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (1);
	}
	for (i = 0; i < PQntuples(res); i++)
		printf("%s  created %s UTC  %s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	PQclear(res);
	return (0);
}

/*
 * Check that 'master' opens every key that signs now or will sign. Once a
 * key sealed under another master key starts signing, workers cannot
 * reload the keys and servers fail to start. Returns 0 or -1 with a message.
 */
static int
ctl_keys_check_master(PGconn *db, const uint8_t master[SECRETBOX_KEY_LEN])
{
	PGresult	*res;
	char		*pem;
	size_t		 len;
	int		 i, rc;

	res = PQexec(db, "SELECT kid, sealed_private_key FROM signing_keys"
	    " WHERE retired_at IS NULL OR retired_at > now()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "orgoctl: database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	rc = 0;
	for (i = 0; i < PQntuples(res); i++) {
		pem = secretbox_open(master, PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), &len);
		if (pem == NULL) {
			fprintf(stderr, "orgoctl: ORGO_MASTER_KEY_FILE: signing "
			    "key %s cannot be opened with '%s'. Set "
			    "ORGO_MASTER_KEY_FILE to the server's master key "
			    "file.\n", PQgetvalue(res, i, 0),
			    orgo_settings.master_key_file);
			rc = -1;
			break;
		}
		util_wipe(pem, len);
		free(pem);
	}
	PQclear(res);
	return (rc);
}

static int
ctl_keys_rotate(PGconn *db)
{
	uint8_t		master[SECRETBOX_KEY_LEN];
	char		error[512], kid[JWT_KID_LEN + 1];
	int		rc;

	if (secretbox_key_load(orgo_settings.master_key_file, master, error,
	    sizeof(error)) == -1) {
		fprintf(stderr, "orgoctl: ORGO_MASTER_KEY_FILE: %s\n", error);
		return (1);
	}
	if (ctl_keys_check_master(db, master) == -1) {
		util_wipe(master, sizeof(master));
		return (1);
	}
	/* Old keys stay published until the tokens they signed expired. */
	rc = keys_rotate(db, master, CTL_KEYS_PUBLISH,
	    orgo_settings.access_token_ttl + 60, kid, sizeof(kid), error,
	    sizeof(error));
	util_wipe(master, sizeof(master));
	if (rc == -1) {
		fprintf(stderr, "orgoctl: %s\n", error);
		return (1);
	}
	printf("new signing key %s: published now, signs in %d s; the "
	    "previous key stops signing then\n", kid, CTL_KEYS_PUBLISH);
	return (0);
}

int
ctl_keys(PGconn *db, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return (ctl_keys_list(db));
	if (argc == 2 && strcmp(argv[1], "rotate") == 0)
		return (ctl_keys_rotate(db));
	fprintf(stderr, "usage: orgoctl keys list|rotate\n");
	return (2);
}
