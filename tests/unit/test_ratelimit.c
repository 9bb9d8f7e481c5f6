/* Unit tests for the shared fixed-window rate limiter. */
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "ratelimit.h"

static void
limit_per_window(void **state)
{
	struct ratelimit	rl;
	int			i;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, 3, 10), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(ratelimit_hit(&rl, "app", 3, 1000), 0);
	/* Window [1000, 1010): 10 s left at 1000, 4 s at 1006. */
	assert_int_equal(ratelimit_hit(&rl, "app", 3, 1000), 10);
	assert_int_equal(ratelimit_hit(&rl, "app", 3, 1006), 4);
	assert_int_equal(ratelimit_hit(&rl, "other", 5, 1006), 0);
	assert_int_equal(ratelimit_hit(&rl, "app", 3, 1010), 0);
	ratelimit_free(&rl);
}

static void
zero_limit_is_off(void **state)
{
	struct ratelimit	rl;
	int			i;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, 0, 1), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_hit(&rl, "app", 3, 5), 0);
	ratelimit_free(&rl);
}

/* Hits from a forked child count in the parent's table. */
static void
shared_across_processes(void **state)
{
	struct ratelimit	rl;
	pid_t			pid;
	int			status, i;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, 10, 60), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (i = 0; i < 10; i++)
			(void)ratelimit_hit(&rl, "app", 3, 120);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(ratelimit_hit(&rl, "app", 3, 130), 50);
	ratelimit_free(&rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limit_per_window),
		cmocka_unit_test(zero_limit_is_off),
		cmocka_unit_test(shared_across_processes),
	};

	return (cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL));
}
