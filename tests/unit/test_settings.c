/* Unit tests for settings parsing and validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "settings.h"

static const char	*env_names[8];
static const char	*env_values[8];
static int		 env_count;

static void
env_set(const char *name, const char *value)
{
	env_names[env_count] = name;
	env_values[env_count] = value;
	env_count++;
}

static const char *
env_lookup(const char *name)
{
	int	i;

	for (i = 0; i < env_count; i++) {
		if (strcmp(env_names[i], name) == 0)
			return (env_values[i]);
	}
	return (NULL);
}

static int
env_reset(void **state)
{
	(void)state;
	env_count = 0;
	env_set("ORGO_DATABASE", "host=127.0.0.1 dbname=orgo");
	return (0);
}

static void
defaults_apply(void **state)
{
	struct settings	s;
	char		error[SETTINGS_ERROR_MAX];

	(void)state;
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), 0);
	assert_string_equal(s.issuer, "https://localhost:8443");
	assert_int_equal(s.access_token_ttl, 600);
	assert_int_equal(s.code_ttl, 60);
	assert_int_equal(s.refresh_token_ttl, 2592000);
	assert_int_equal(s.db_connections, 4);
	settings_free(&s);
}

static void
seconds_out_of_range(void **state)
{
	struct settings	s;
	char		error[SETTINGS_ERROR_MAX];

	(void)state;
	env_set("ORGO_CODE_TTL", "601");
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "ORGO_CODE_TTL: invalid value '601', "
	    "expected an integer from 10 to 600 (seconds)");
}

static void
device_code_ttl_range(void **state)
{
	struct settings	s;
	char		error[SETTINGS_ERROR_MAX];

	(void)state;
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), 0);
	assert_int_equal(s.device_code_ttl, 600);
	settings_free(&s);

	env_set("ORGO_DEVICE_CODE_TTL", "60");
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), 0);
	assert_int_equal(s.device_code_ttl, 60);
	settings_free(&s);

	env_values[env_count - 1] = "1801";
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "ORGO_DEVICE_CODE_TTL: invalid value "
	    "'1801', expected an integer from 60 to 1800 (seconds)");

	env_values[env_count - 1] = "59";
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), -1);
	assert_non_null(strstr(error, "ORGO_DEVICE_CODE_TTL"));
}

static void
seconds_trailing_garbage(void **state)
{
	struct settings	s;
	char		error[SETTINGS_ERROR_MAX];

	(void)state;
	env_set("ORGO_ACCESS_TOKEN_TTL", "600s");
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), -1);
	assert_non_null(strstr(error, "ORGO_ACCESS_TOKEN_TTL"));
}

static void
issuer_rules(void **state)
{
	struct settings	 s;
	char		 error[SETTINGS_ERROR_MAX];
	const char	*bad[] = { "http://id.example.com", "https://",
	    "https://id.example.com/", "https://id.example.com?x=1",
	    "https://id.example.com#f", "ftp://id.example.com" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_reset(NULL);
		env_set("ORGO_ISSUER", bad[i]);
		assert_int_equal(settings_load(&s, env_lookup, error,
		    sizeof(error)), -1);
		assert_non_null(strstr(error, "ORGO_ISSUER: invalid URL"));
	}

	env_reset(NULL);
	env_set("ORGO_ISSUER", "https://id.example.com/tenant");
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), 0);
	assert_string_equal(s.issuer, "https://id.example.com/tenant");
	settings_free(&s);
}

static void
database_required(void **state)
{
	struct settings	s;
	char		error[SETTINGS_ERROR_MAX];

	(void)state;
	env_count = 0;
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), -1);
	assert_non_null(strstr(error, "ORGO_DATABASE is not set"));
}

static void
idle_longer_than_max(void **state)
{
	struct settings	s;
	char		error[SETTINGS_ERROR_MAX];

	(void)state;
	env_set("ORGO_SESSION_IDLE", "7200");
	env_set("ORGO_SESSION_MAX", "3600");
	assert_int_equal(settings_load(&s, env_lookup, error,
	    sizeof(error)), -1);
	assert_non_null(strstr(error, "ORGO_SESSION_IDLE (7200)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(defaults_apply, env_reset),
		cmocka_unit_test_setup(seconds_out_of_range, env_reset),
		cmocka_unit_test_setup(device_code_ttl_range, env_reset),
		cmocka_unit_test_setup(seconds_trailing_garbage, env_reset),
		cmocka_unit_test_setup(issuer_rules, env_reset),
		cmocka_unit_test_setup(database_required, env_reset),
		cmocka_unit_test_setup(idle_longer_than_max, env_reset),
	};

	return (cmocka_run_group_tests_name("settings", tests, NULL, NULL));
}
