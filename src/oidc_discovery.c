/*
 * Discovery and keys: /.well-known/openid-configuration (OpenID Connect
 * Discovery 1.0), /.well-known/oauth-authorization-server (RFC 8414) and
 * /oauth/jwks.
 *
 * Every worker reloads the published keys from PostgreSQL every
 * KEYS_RELOAD_MS, so a key rotated by orgoctl or by another instance is
 * served and used without a restart. Worker 1 also rotates the signing
 * key when it is older than ORGO_KEY_ROTATION_DAYS.
 */
#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/tasks.h>

#include <string.h>

#include "db.h"
#include "http_util.h"
#include "keys.h"
#include "orgo.h"
#include "util.h"

#define KEYS_RELOAD_MS		30000
/* A new key is published this long before it signs: more than twice the
 * JWKS max-age, so clients that cache the JWKS know it in time. */
#define KEYS_PUBLISH_SECONDS	600
#define JWKS_MAX_AGE		"public, max-age=300"

int	oidc_discovery(struct http_request *);
int	oidc_jwks(struct http_request *);

static char		*discovery_json;

struct keys_rotation_task {
	struct kore_task	task;		/* first: the entry casts */
	struct keys_new		key;
	int			ok;
};

static struct keys_rotation_task	*keys_rotation;

/* Built once per worker from the settings. */
static void
discovery_build(void)
{
	const char	*issuer = orgo_settings.issuer;
	json_t		*doc;
	char		 url[1024];

#define ENDPOINT(key, path)	do {					\
	snprintf(url, sizeof(url), "%s%s", issuer, path);		\
	json_object_set_new(doc, key, json_string(url));		\
} while (0)

	doc = json_object();
	json_object_set_new(doc, "issuer", json_string(issuer));
	ENDPOINT("authorization_endpoint", "/oauth/authorize");
	ENDPOINT("token_endpoint", "/oauth/token");
	ENDPOINT("userinfo_endpoint", "/oauth/userinfo");
	ENDPOINT("jwks_uri", "/oauth/jwks");
	ENDPOINT("revocation_endpoint", "/oauth/revoke");
	ENDPOINT("introspection_endpoint", "/oauth/introspect");
	ENDPOINT("end_session_endpoint", "/oauth/logout");
	ENDPOINT("device_authorization_endpoint",
	    "/oauth/device_authorization");
	ENDPOINT("service_documentation", "/oauth/docs");
#undef ENDPOINT

	json_object_set_new(doc, "scopes_supported", json_pack(
	    "[s, s, s, s, s, s]", "openid", "profile", "email", "groups",
	    "roles", "offline_access"));
	json_object_set_new(doc, "response_types_supported",
	    json_pack("[s]", "code"));
	json_object_set_new(doc, "response_modes_supported",
	    json_pack("[s]", "query"));
	json_object_set_new(doc, "grant_types_supported", json_pack(
	    "[s, s, s, s]", "authorization_code", "refresh_token",
	    "client_credentials",
	    "urn:ietf:params:oauth:grant-type:device_code"));
	json_object_set_new(doc, "token_endpoint_auth_methods_supported",
	    json_pack("[s, s, s]", "client_secret_basic",
	    "client_secret_post", "none"));
	json_object_set_new(doc, "revocation_endpoint_auth_methods_supported",
	    json_pack("[s, s, s]", "client_secret_basic",
	    "client_secret_post", "none"));
	json_object_set_new(doc,
	    "introspection_endpoint_auth_methods_supported",
	    json_pack("[s, s]", "client_secret_basic", "client_secret_post"));
	json_object_set_new(doc, "code_challenge_methods_supported",
	    json_pack("[s]", "S256"));
	json_object_set_new(doc, "subject_types_supported",
	    json_pack("[s]", "public"));
	json_object_set_new(doc, "id_token_signing_alg_values_supported",
	    json_pack("[s]", "RS256"));
	json_object_set_new(doc, "claims_supported", json_pack(
	    "[s, s, s, s, s, s, s, s, s, s, s, s, s, s, s]", "sub", "iss",
	    "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp",
	    "name", "picture", "updated_at", "email", "email_verified",
	    "groups"));
	json_array_append_new(json_object_get(doc, "claims_supported"),
	    json_string("roles"));
	json_object_set_new(doc, "prompt_values_supported",
	    json_pack("[s, s, s]", "none", "login", "consent"));
	json_object_set_new(doc, "authorization_response_iss_parameter_supported",
	    json_true());
	json_object_set_new(doc, "claims_parameter_supported", json_false());
	json_object_set_new(doc, "request_parameter_supported", json_false());
	json_object_set_new(doc, "request_uri_parameter_supported",
	    json_false());

	discovery_json = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (discovery_json == NULL)
		fatal("discovery: cannot build the document");
}

/* Serves both discovery documents: they have the same content here. */
int
oidc_discovery(struct http_request *req)
{
	if (discovery_json == NULL)
		discovery_build();
	http_response_header(req, "content-type", "application/json");
	http_response_header(req, "cache-control", "public, max-age=3600");
	http_response_header(req, "access-control-allow-origin", "*");
	http_response(req, HTTP_STATUS_OK, discovery_json,
	    strlen(discovery_json));
	return (KORE_RESULT_OK);
}

int
oidc_jwks(struct http_request *req)
{
	json_t	*jwks;
	char	*text;

	jwks = jwt_keyset_jwks(&orgo_keys);
	text = json_dumps(jwks, JSON_COMPACT);
	json_decref(jwks);
	if (text == NULL) {
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return (KORE_RESULT_OK);
	}
	http_response_header(req, "content-type", "application/json");
	http_response_header(req, "cache-control", JWKS_MAX_AGE);
	http_response_header(req, "access-control-allow-origin", "*");
	http_response(req, HTTP_STATUS_OK, text, strlen(text));
	free(text);
	return (KORE_RESULT_OK);
}

/* Return 1 when the rows describe the keyset already in use. */
static int
keys_unchanged(PGresult *res)
{
	const char	*kid;
	int		 i, can_sign, found;
	size_t		 j;

	if ((size_t)PQntuples(res) != orgo_keys.count)
		return (0);
	for (i = 0; i < PQntuples(res); i++) {
		kid = PQgetvalue(res, i, 0);
		can_sign = PQgetvalue(res, i, 3)[0] == 't';
		found = 0;
		for (j = 0; j < orgo_keys.count; j++) {
			if (strcmp(orgo_keys.keys[j].kid, kid) == 0 &&
			    orgo_keys.keys[j].can_sign == can_sign)
				found = 1;
		}
		if (!found)
			return (0);
		/* The newest signing key must be the signer. */
		if (can_sign && orgo_keys.signer != NULL &&
		    strcmp(orgo_keys.signer->kid, kid) != 0) {
			for (j = 0; j < (size_t)i; j++) {
				if (PQgetvalue(res, (int)j, 3)[0] == 't')
					break;
			}
			if (j == (size_t)i)
				return (0);
		}
	}
	return (1);
}

static void
keys_swap(PGresult *res)
{
	struct jwt_keyset	fresh;
	char			error[256], signer[JWT_KID_LEN + 1];
	long			newest;

	if (keys_unchanged(res))
		return;
	if (keys_from_rows(res, orgo_master, &fresh, &newest, error,
	    sizeof(error)) == -1) {
		kore_log(LOG_ERR, "keys: reload failed, keeping the current "
		    "keys: %s", error);
		return;
	}

	/* The signer points into the keys array: set it again after the
	 * copy. Nothing else runs in this worker meanwhile. */
	(void)kore_strlcpy(signer, fresh.signer->kid, sizeof(signer));
	jwt_keyset_free(&orgo_keys);
	orgo_keys = fresh;
	orgo_keys_newest_created = newest;
	if (jwt_keyset_set_signer(&orgo_keys, signer) == -1)
		fatal("keys: signer %s lost after reload", signer);
	kore_log(LOG_NOTICE, "keys: reloaded %zu key(s), signing with %s",
	    orgo_keys.count, signer);
}

static void	keys_rotation_check(void);
static void	keys_rotation_stored(PGresult *, void *);

static struct db_job	keys_rotation_job = {
	.name = "keys: rotation",
	.done = keys_rotation_stored,
};

static void
keys_reload_done(PGresult *res, void *arg)
{
	if (res != NULL)
		keys_swap(res);
	keys_rotation_check();
}

static struct db_job	keys_reload_job = {
	.name = "keys: reload",
	.done = keys_reload_done,
};

static void
keys_reload_tick(void *arg, u_int64_t now)
{
	/* Still running, queued or the database is down: the next tick
	 * tries again. */
	(void)db_job_start(&keys_reload_job, KEYS_LOAD_SQL, 0, NULL);
	db_job_reap(&keys_rotation_job);
}

/* ---- Scheduled rotation (worker 1 only) ------------------------------ */

static int
keys_rotation_run(struct kore_task *task)
{
	struct keys_rotation_task	*job = (struct keys_rotation_task *)task;
	char				 error[256];

	job->ok = keys_generate(orgo_master, &job->key, error,
	    sizeof(error)) == 0;
	return (KORE_RESULT_OK);
}

static void
keys_rotation_stored(PGresult *res, void *arg)
{
	if (res != NULL && PQgetvalue(res, 0, 0)[0] == 't')
		kore_log(LOG_NOTICE, "keys: rotated, new key %s signs in %d s",
		    keys_rotation->key.kid, KEYS_PUBLISH_SECONDS);
	keys_new_free(&keys_rotation->key);
	kore_free(keys_rotation);
	keys_rotation = NULL;
}

/* The key is generated on a task thread; store it from the event loop. */
static void
keys_rotation_generated(struct kore_task *task)
{
	struct keys_rotation_task	*job = (struct keys_rotation_task *)task;
	const char			*params[6];
	char				 publish[16], retain[32], age[32];

	if (kore_task_state(task) != KORE_TASK_STATE_FINISHED)
		return;
	kore_task_destroy(task);
	if (!job->ok) {
		kore_log(LOG_ERR, "keys: generating a new key failed");
		goto done;
	}

	snprintf(publish, sizeof(publish), "%d", KEYS_PUBLISH_SECONDS);
	/* Tokens signed by the old key live at most this long. */
	snprintf(retain, sizeof(retain), "%ld",
	    orgo_settings.access_token_ttl + 60);
	snprintf(age, sizeof(age), "%ld",
	    orgo_settings.key_rotation_days * 86400);
	params[0] = job->key.kid;
	params[1] = job->key.sealed;
	params[2] = job->key.public_pem;
	params[3] = publish;
	params[4] = retain;
	params[5] = age;

	if (db_job_start(&keys_rotation_job, KEYS_ROTATE_SQL, 6, params) == 0)
		return;
	kore_log(LOG_ERR, "keys: storing the new key failed to start");

done:
	keys_new_free(&job->key);
	kore_free(job);
	keys_rotation = NULL;
}

/*
 * After a reload: when the newest key is older than the rotation period,
 * generate a new key. signing_key_rotate() adds it only if no instance
 * added one meanwhile.
 */
static void
keys_rotation_check(void)
{
	if (orgo_settings.key_rotation_days == 0 || worker->id != 1 ||
	    keys_rotation != NULL || orgo_keys.signer == NULL)
		return;
	if (time(NULL) - orgo_keys_newest_created <
	    orgo_settings.key_rotation_days * 86400)
		return;

	keys_rotation = kore_calloc(1, sizeof(*keys_rotation));
	kore_task_create(&keys_rotation->task, keys_rotation_run);
	kore_task_bind_callback(&keys_rotation->task, keys_rotation_generated);
	kore_task_run(&keys_rotation->task);
}

void
oidc_keys_worker_start(void)
{
	discovery_build();
	kore_timer_add(keys_reload_tick, KEYS_RELOAD_MS, NULL, 0);
}
