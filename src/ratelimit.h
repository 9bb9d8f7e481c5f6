/*
 * Fixed-window rate limits shared by all workers: a table of counters in
 * anonymous shared memory, mapped by the parent before the workers fork.
 * The table has a fixed size, so memory stays bounded whatever the keys;
 * two keys that land on the same slot share it until one takes it over.
 */
#ifndef ORGO_RATELIMIT_H
#define ORGO_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_SLOTS		4096

struct ratelimit_slot;

struct ratelimit {
	struct ratelimit_slot	*slots;
	uint32_t		 limit;		/* hits per window, 0: off */
	uint32_t		 window;	/* seconds */
};

/* Map the shared table. Returns 0 or -1. */
int		ratelimit_init(struct ratelimit *rl, uint32_t limit,
		    uint32_t window);
void		ratelimit_free(struct ratelimit *rl);

/*
 * Count one hit for 'key' at Unix time 'now'. Returns 0 when allowed, or
 * the seconds until the window ends when over the limit.
 */
uint32_t	ratelimit_hit(struct ratelimit *rl, const char *key, size_t len,
		    uint32_t now);

#endif
