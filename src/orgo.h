/* Process-wide state of the server module. */
#ifndef ORGO_H
#define ORGO_H

#include <stdint.h>

#include "jwt.h"
#include "ratelimit.h"
#include "settings.h"

#define ORGO_VERSION	"0.1.0"
#define ORGO_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Loaded once in the parent before workers fork; read-only afterwards. */
extern struct settings	orgo_settings;

/* scheme://host[:port] of the issuer: the origin of every page. */
extern char		orgo_origin[];

/* Token signing keys, loaded in the parent and reloaded by each worker
 * (see keys.c and oidc_discovery.c), and when the newest was created. */
extern struct jwt_keyset	orgo_keys;
extern long			orgo_keys_newest_created;

/* Requests per client at the token endpoints, counted across workers. */
extern struct ratelimit		orgo_token_limit;

/* The master key that opens the sealed signing keys. */
extern uint8_t			orgo_master[];

/*
 * Write the stored form of a device user code: HMAC-SHA256 under a key
 * derived from the master key, since a code has about 35 bits and a plain
 * hash in the table would give it away. Returns 0 or -1.
 */
int	orgo_user_code_hash(const char *code, char out[65]);

/* Start the key reload timer of a worker. */
void	oidc_keys_worker_start(void);

/* Start the purge of expired rows (worker 1). */
void	housekeeping_start(void);

#endif
