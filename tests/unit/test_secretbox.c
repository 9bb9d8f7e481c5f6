/* Unit tests for sealing secrets with AES-256-GCM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "secretbox.h"

static const uint8_t	key_a[SECRETBOX_KEY_LEN] = { 1, 2, 3 };
static const uint8_t	key_b[SECRETBOX_KEY_LEN] = { 9, 9, 9 };

static void
seal_open_round_trip(void **state)
{
	char	*sealed, *plain;
	size_t	 len;

	(void)state;
	sealed = secretbox_seal(key_a, "kid-1", "private key", 11);
	assert_non_null(sealed);
	assert_null(strstr(sealed, "private"));
	plain = secretbox_open(key_a, "kid-1", sealed, &len);
	assert_non_null(plain);
	assert_int_equal(len, 11);
	assert_string_equal(plain, "private key");
	free(plain);
	free(sealed);
}

static void
open_rejects_wrong_key_context_or_data(void **state)
{
	char	*sealed;
	size_t	 len;

	(void)state;
	sealed = secretbox_seal(key_a, "kid-1", "private key", 11);
	assert_null(secretbox_open(key_b, "kid-1", sealed, &len));
	assert_null(secretbox_open(key_a, "kid-2", sealed, &len));
	sealed[20] = sealed[20] == 'A' ? 'B' : 'A';
	assert_null(secretbox_open(key_a, "kid-1", sealed, &len));
	assert_null(secretbox_open(key_a, "kid-1", "short", &len));
	free(sealed);
}

static void
nonce_differs_each_time(void **state)
{
	char	*a, *b;

	(void)state;
	a = secretbox_seal(key_a, "k", "same", 4);
	b = secretbox_seal(key_a, "k", "same", 4);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void
key_file_rules(void **state)
{
	uint8_t	 key[SECRETBOX_KEY_LEN];
	char	 error[256], path[] = "/tmp/orgo-secretbox-XXXXXX";
	FILE	*fp;
	int	 fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "%s\n", "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f");
	fclose(fp);
	assert_int_equal(secretbox_key_load(path, key, error, sizeof(error)), 0);
	assert_int_equal(key[0], 0x00);
	assert_int_equal(key[31], 0x1f);

	fp = fopen(path, "w");
	fprintf(fp, "abc\n");
	fclose(fp);
	assert_int_equal(secretbox_key_load(path, key, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "must hold 64 hexadecimal characters"));
	unlink(path);

	assert_int_equal(secretbox_key_load(path, key, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "cannot read"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seal_open_round_trip),
		cmocka_unit_test(open_rejects_wrong_key_context_or_data),
		cmocka_unit_test(nonce_differs_each_time),
		cmocka_unit_test(key_file_rules),
	};

	return (cmocka_run_group_tests_name("secretbox", tests, NULL, NULL));
}
