#include <sys/mman.h>

#include <string.h>

#include "ratelimit.h"

struct ratelimit_slot {
	uint64_t	key;
	uint32_t	window_start;
	uint32_t	count;
	uint8_t		lock;
};

int
ratelimit_init(struct ratelimit *rl, uint32_t limit, uint32_t window)
{
	void	*p;

	memset(rl, 0, sizeof(*rl));
	rl->limit = limit;
	rl->window = window > 0 ? window : 1;
	if (limit == 0)
		return (0);

	p = mmap(NULL, RATELIMIT_SLOTS * sizeof(struct ratelimit_slot),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	rl->slots = p;
	return (0);
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl->slots != NULL)
		(void)munmap(rl->slots, RATELIMIT_SLOTS *
		    sizeof(struct ratelimit_slot));
	memset(rl, 0, sizeof(*rl));
}

/* FNV-1a, 64 bits: spreads client ids over the slots. */
static uint64_t
ratelimit_hash(const char *key, size_t len)
{
	uint64_t	h;
	size_t		i;

	h = 0xcbf29ce484222325ULL;
	for (i = 0; i < len; i++) {
		h ^= (uint8_t)key[i];
		h *= 0x100000001b3ULL;
	}
	return (h == 0 ? 1 : h);
}

uint32_t
ratelimit_hit(struct ratelimit *rl, const char *key, size_t len, uint32_t now)
{
	struct ratelimit_slot	*slot;
	uint64_t		 hash;
	uint32_t		 start, wait;

	if (rl->limit == 0 || rl->slots == NULL)
		return (0);

	hash = ratelimit_hash(key, len);
	slot = &rl->slots[hash % RATELIMIT_SLOTS];
	start = now - now % rl->window;

	/* Workers are processes: a spin lock in the shared page, held for
	 * a few instructions. */
	while (__atomic_test_and_set(&slot->lock, __ATOMIC_ACQUIRE))
		;

	if (slot->key != hash || slot->window_start != start) {
		slot->key = hash;
		slot->window_start = start;
		slot->count = 0;
	}
	wait = 0;
	if (slot->count >= rl->limit)
		wait = start + rl->window - now;
	else
		slot->count++;

	__atomic_clear(&slot->lock, __ATOMIC_RELEASE);
	return (wait);
}
