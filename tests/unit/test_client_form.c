/* Unit tests for application registration fields and client ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "client_form.h"
#include "scopes.h"

static void
client_id_never_starts_like_an_option(void **state)
{
	char	id[CLIENT_ID_LEN + 1];
	int	i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		assert_int_equal(client_id_new(id), 0);
		assert_int_equal(strlen(id), CLIENT_ID_LEN);
		assert_true(id[0] != '-' && id[0] != '_');
	}
}

static void
valid_input_is_cleaned(void **state)
{
	struct client_input	 in;
	const char		*scopes[] = { "profile", "email" };

	(void)state;
	assert_int_equal(client_input_check(&in, "  Wiki  ", "Team wiki\n",
	    " https://wiki.example.org/cb \n\nhttp://127.0.0.1/cb\n",
	    "https://wiki.example.org/bye", scopes, 2, "public", 0), 0);
	assert_string_equal(in.name, "Wiki");
	assert_string_equal(in.description, "Team wiki");
	assert_int_equal(in.redirect_count, 2);
	assert_string_equal(in.redirect_uris[0], "https://wiki.example.org/cb");
	assert_string_equal(in.redirect_uris[1], "http://127.0.0.1/cb");
	assert_int_equal(in.logout_count, 1);
	assert_int_equal(in.scopes, SCOPE_OPENID | SCOPE_PROFILE | SCOPE_EMAIL);
	assert_int_equal(in.is_public, 1);
	client_input_free(&in);
}

static void
each_field_reports_its_error(void **state)
{
	struct client_input	 in;
	const char		*scopes[] = { "admin" };

	(void)state;
	assert_int_equal(client_input_check(&in, "", "", "https://a.example/cb\n"
	    "https://a.example/cb", "ftp://x.example", scopes, 1, "other", 0),
	    -1);
	assert_string_equal(in.name_error, "Name is required");
	assert_string_equal(in.redirect_error, "line 2: duplicate of line 1");
	assert_non_null(strstr(in.logout_error, "line 1:"));
	assert_non_null(strstr(in.scopes_error, "unknown scope \"admin\""));
	assert_string_equal(in.type_error,
	    "Client type must be confidential or public");
	client_input_free(&in);
}

static void
name_counts_characters(void **state)
{
	struct client_input	in;
	char			name[2 * 101 + 1];
	int			i;

	(void)state;
	for (i = 0; i < 100; i++)
		memcpy(name + i * 2, "\xc3\xa9", 2);	/* e with acute */
	name[200] = '\0';
	assert_int_equal(client_input_check(&in, name, "",
	    "https://a.example/cb", "", NULL, 0, "public", 0), 0);
	client_input_free(&in);

	memcpy(name + 200, "\xc3\xa9", 2);
	name[202] = '\0';
	assert_int_equal(client_input_check(&in, name, "",
	    "https://a.example/cb", "", NULL, 0, "public", 0), -1);
	assert_string_equal(in.name_error, "Name must be at most 100 "
	    "characters");
	client_input_free(&in);
}

static void
redirect_uri_needed_by_public_app(void **state)
{
	struct client_input	in;

	(void)state;
	assert_int_equal(client_input_check(&in, "TV", "", " \n", "", NULL, 0,
	    "public", 0), -1);
	assert_string_equal(in.redirect_error, "a public app without the "
	    "device grant needs at least one redirect URI");
	client_input_free(&in);

	assert_int_equal(client_input_check(&in, "TV", "", "", "", NULL, 0,
	    "public", 1), 0);
	assert_int_equal(in.redirect_count, 0);
	client_input_free(&in);

	assert_int_equal(client_input_check(&in, "Billing job", "", "", "",
	    NULL, 0, "confidential", 0), 0);
	assert_int_equal(in.redirect_count, 0);
	assert_int_equal(in.is_public, 0);
	client_input_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_id_never_starts_like_an_option),
		cmocka_unit_test(valid_input_is_cleaned),
		cmocka_unit_test(each_field_reports_its_error),
		cmocka_unit_test(name_counts_characters),
		cmocka_unit_test(redirect_uri_needed_by_public_app),
	};

	return (cmocka_run_group_tests_name("client_form", tests, NULL, NULL));
}
