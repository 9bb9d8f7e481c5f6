/*
 * Module entry points. Workers chroot into an empty folder and drop
 * privileges before kore_worker_configure() runs, so everything read from
 * disk (settings, migrations, assets) is read here in the parent, before
 * the workers fork.
 */
#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/seccomp.h>
#include <kore/hooks.h>

#include <malloc.h>
#include <stdlib.h>

#include "device_code.h"
#include "keys.h"
#include "migrate.h"
#include "page.h"
#include "util.h"
#include "orgo.h"

/* HMAC input that derives the user code key from the master key. */
#define ORGO_USER_CODE_LABEL	"device user codes"
#define ORGO_MMAP_THRESHOLD	(1024 * 1024)	/* bytes */

struct settings	orgo_settings;
char		orgo_origin[512];
struct jwt_keyset	orgo_keys;
long			orgo_keys_newest_created;
struct ratelimit	orgo_token_limit;
uint8_t			orgo_master[SECRETBOX_KEY_LEN];
static char		orgo_user_code_key[65];	/* hex, from the master key */


/*
 * System calls that the default worker filter of Kore 4.1 lacks: libpq
 * stats files while connecting, and glibc 2.36 starts task threads with
 * clone3 and registers them with rseq.
 */
KORE_SECCOMP_FILTER("orgo",
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(clone3),
	KORE_SYSCALL_ALLOW(rseq),
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer's thread start-up (make asan). */
	KORE_SYSCALL_ALLOW(gettid),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
#endif
);

static const char *
orgo_getenv(const char *name)
{
	return (getenv(name));
}

static void
orgo_report_migration(const char *file)
{
	kore_log(LOG_NOTICE, "migrate: applied %s", file);
}

int
orgo_user_code_hash(const char *code, char out[65])
{
	return (util_hmac_sha256_hex(orgo_user_code_key,
	    sizeof(orgo_user_code_key) - 1, code, DEVICE_USER_CODE_LEN, out));
}

/* Load the signing keys, creating the first one on a new database. */
static void
orgo_keys_load(PGconn *db)
{
	char		error[512];

	/* Kept in memory: workers need it to load rotated keys. */
	if (secretbox_key_load(orgo_settings.master_key_file, orgo_master,
	    error, sizeof(error)) == -1)
		fatalx("ORGO_MASTER_KEY_FILE: %s", error);
	if (util_hmac_sha256_hex(orgo_master, SECRETBOX_KEY_LEN,
	    ORGO_USER_CODE_LABEL, sizeof(ORGO_USER_CODE_LABEL) - 1,
	    orgo_user_code_key) == -1)
		fatalx("keys: deriving the user code key failed");
	if (keys_load(db, orgo_master, &orgo_keys, &orgo_keys_newest_created,
	    error, sizeof(error)) == -1)
		fatalx("%s", error);
	kore_log(LOG_NOTICE, "keys: %zu signing key(s) published, signing "
	    "with %s", orgo_keys.count, orgo_keys.signer->kid);
}

static void
orgo_migrate(void)
{
	PGconn		*db;
	char		 error[1024];
	int		 applied;

	db = PQconnectdb(orgo_settings.database);
	if (PQstatus(db) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password. */
		fatalx("ORGO_DATABASE: cannot connect: %s",
		    PQerrorMessage(db));
	}

	if (migrate_apply(db, orgo_settings.migrations_dir, &applied,
	    orgo_report_migration, error, sizeof(error)) == -1) {
		PQfinish(db);
		fatalx("migrate: %s", error);
	}
	kore_log(LOG_NOTICE, "migrate: %d migration(s) applied", applied);

	orgo_keys_load(db);
	PQfinish(db);
}

/* The origin is the issuer up to the first '/' after "https://". */
static void
orgo_origin_from_issuer(void)
{
	const char	*host, *slash;
	size_t		 len;

	host = strstr(orgo_settings.issuer, "://") + 3;
	slash = strchr(host, '/');
	len = slash ? (size_t)(slash - orgo_settings.issuer) :
	    strlen(orgo_settings.issuer);
	if (len >= sizeof(orgo_origin))
		fatalx("ORGO_ISSUER: longer than %zu bytes",
		    sizeof(orgo_origin) - 1);
	memcpy(orgo_origin, orgo_settings.issuer, len);
	orgo_origin[len] = '\0';
}

void
kore_parent_configure(int argc, char **argv)
{
	char		error[SETTINGS_ERROR_MAX];

	/* Kore logs with printf in the foreground: flush per line so a
	 * buffer is not copied into every forked worker. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Name the server, not the version of the library underneath. */
	http_server_version("orgo");

	if (settings_load(&orgo_settings, orgo_getenv, error,
	    sizeof(error)) == -1)
		fatalx("invalid setting: %s", error);

	orgo_origin_from_issuer();
	orgo_migrate();

	if (page_load_assets(orgo_settings.assets_dir, error,
	    sizeof(error)) == -1)
		fatalx("ORGO_ASSETS_DIR: %s", error);

	if (ratelimit_init(&orgo_token_limit,
	    (uint32_t)orgo_settings.token_rate_limit, 1) == -1)
		fatalx("ORGO_TOKEN_RATE_LIMIT: cannot map the shared table");

	pgsql_conn_max = (u_int16_t)orgo_settings.db_connections;
	if (!kore_pgsql_register("db", orgo_settings.database))
		fatalx("cannot register the database");

	kore_log(LOG_NOTICE, "orgo %s: issuer %s", ORGO_VERSION,
	    orgo_settings.issuer);
}

void
kore_worker_configure(void)
{
	/* Keep Argon2id's 19 MiB blocks mmapped, so that they go back to the
	 * system when freed instead of staying in a task thread's arena. */
	if (mallopt(M_MMAP_THRESHOLD, ORGO_MMAP_THRESHOLD) != 1)
		kore_log(LOG_WARNING, "mallopt(M_MMAP_THRESHOLD) failed");
	oidc_keys_worker_start();
	housekeeping_start();
}
