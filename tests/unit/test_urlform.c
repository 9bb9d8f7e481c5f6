/* Unit tests for form-urlencoded parsing, encoding and decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "urlform.h"

#define ERROR_LEN	256

/* Parse 'data' and expect failure with the message 'expected'. */
static void
parse_fails(const char *data, size_t len, const char *expected)
{
	struct urlform	f;
	char		error[ERROR_LEN];

	assert_int_equal(urlform_parse(&f, data, len, error, sizeof(error)),
	    -1);
	assert_string_equal(error, expected);
	assert_int_equal(f.count, 0);
	assert_null(f.buf);
	urlform_free(&f);
}

static void
parse_authorization_request(void **state)
{
	const char	*data = "response_type=code&client_id=s6BhdRkqt3"
	    "&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb"
	    "&scope=openid+email";
	struct urlform	 f;
	char		 error[ERROR_LEN];
	const char	*value;
	size_t		 len;

	(void)state;
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(f.count, 4);
	assert_string_equal(f.params[0].name, "response_type");

	assert_int_equal(urlform_get(&f, "client_id", &value, &len),
	    URLFORM_FOUND);
	assert_string_equal(value, "s6BhdRkqt3");
	assert_int_equal(len, 10);
	assert_int_equal(urlform_get(&f, "redirect_uri", &value, &len),
	    URLFORM_FOUND);
	assert_string_equal(value, "https://client.example.com/cb");
	assert_int_equal(len, 29);
	assert_int_equal(urlform_get(&f, "scope", &value, &len),
	    URLFORM_FOUND);
	assert_string_equal(value, "openid email");
	assert_int_equal(urlform_get(&f, "state", &value, &len),
	    URLFORM_MISSING);
	assert_null(value);
	assert_int_equal(len, 0);

	urlform_free(&f);
	assert_null(f.buf);
	assert_int_equal(f.count, 0);
}

static void
parse_plus_and_escapes(void **state)
{
	const char	*data = "a=x+y&b=x%20y&c=%2f%2F&d=%C3%A9&e=a%2Bb";
	struct urlform	 f;
	char		 error[ERROR_LEN];
	const char	*value;
	size_t		 len;

	(void)state;
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(urlform_get(&f, "a", &value, &len), URLFORM_FOUND);
	assert_string_equal(value, "x y");
	assert_int_equal(urlform_get(&f, "b", &value, &len), URLFORM_FOUND);
	assert_string_equal(value, "x y");
	assert_int_equal(urlform_get(&f, "c", &value, &len), URLFORM_FOUND);
	assert_string_equal(value, "//");
	assert_int_equal(urlform_get(&f, "d", &value, &len), URLFORM_FOUND);
	assert_string_equal(value, "\xc3\xa9");
	assert_int_equal(len, 2);
	assert_int_equal(urlform_get(&f, "e", &value, &len), URLFORM_FOUND);
	assert_string_equal(value, "a+b");
	urlform_free(&f);
}

static void
parse_name_is_decoded(void **state)
{
	const char	*data = "client%5Fid=x&a+b=y";
	struct urlform	 f;
	char		 error[ERROR_LEN];
	const char	*value;

	(void)state;
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(urlform_get(&f, "client_id", &value, NULL),
	    URLFORM_FOUND);
	assert_string_equal(value, "x");
	assert_int_equal(urlform_get(&f, "a b", &value, NULL), URLFORM_FOUND);
	assert_string_equal(value, "y");
	urlform_free(&f);
}

static void
parse_duplicate_parameter(void **state)
{
	const char	*data = "scope=openid&state=1&scope=email";
	struct urlform	 f;
	char		 error[ERROR_LEN];
	const char	*value;
	size_t		 len;

	(void)state;
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(urlform_get(&f, "scope", &value, &len),
	    URLFORM_DUPLICATE);
	assert_null(value);
	assert_int_equal(len, 0);
	assert_int_equal(urlform_get(&f, "state", &value, &len),
	    URLFORM_FOUND);
	urlform_free(&f);

	/* A repeat with an empty value is still a repeat. */
	data = "state=1&state=";
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(urlform_get(&f, "state", NULL, NULL),
	    URLFORM_DUPLICATE);
	urlform_free(&f);
}

static void
parse_names_case_sensitive(void **state)
{
	const char	*data = "state=1&State=2";
	struct urlform	 f;
	char		 error[ERROR_LEN];
	const char	*value;

	(void)state;
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(urlform_get(&f, "state", &value, NULL),
	    URLFORM_FOUND);
	assert_string_equal(value, "1");
	assert_int_equal(urlform_get(&f, "State", &value, NULL),
	    URLFORM_FOUND);
	assert_string_equal(value, "2");
	urlform_free(&f);
}

static void
parse_empty_value_and_bare_name(void **state)
{
	const char	*data = "prompt=&nonce";
	struct urlform	 f;
	char		 error[ERROR_LEN];
	const char	*value;
	size_t		 len;

	(void)state;
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(f.count, 2);
	assert_int_equal(urlform_get(&f, "prompt", &value, &len),
	    URLFORM_FOUND);
	assert_string_equal(value, "");
	assert_int_equal(len, 0);
	assert_int_equal(urlform_get(&f, "nonce", &value, &len),
	    URLFORM_FOUND);
	assert_string_equal(value, "");
	assert_int_equal(len, 0);
	urlform_free(&f);
}

static void
parse_skips_empty_pieces(void **state)
{
	const char	*data = "&a=1&&b=2&";
	struct urlform	 f;
	char		 error[ERROR_LEN];

	(void)state;
	assert_int_equal(urlform_parse(&f, data, strlen(data), error,
	    sizeof(error)), 0);
	assert_int_equal(f.count, 2);
	assert_string_equal(f.params[0].name, "a");
	assert_string_equal(f.params[0].value, "1");
	assert_string_equal(f.params[1].name, "b");
	assert_string_equal(f.params[1].value, "2");
	urlform_free(&f);

	assert_int_equal(urlform_parse(&f, "&&", 2, error, sizeof(error)), 0);
	assert_int_equal(f.count, 0);
	urlform_free(&f);

	assert_int_equal(urlform_parse(&f, "", 0, error, sizeof(error)), 0);
	assert_int_equal(f.count, 0);
	assert_int_equal(urlform_get(&f, "a", NULL, NULL), URLFORM_MISSING);
	urlform_free(&f);
}

static void
parse_bad_percent_encoding(void **state)
{
	(void)state;
	parse_fails("code=abc&state=%2", 17,
	    "invalid percent-encoding in parameter \"state\"");
	parse_fails("state=%zz&code=abc", 18,
	    "invalid percent-encoding in parameter \"state\"");
	parse_fails("state=%", 7,
	    "invalid percent-encoding in parameter \"state\"");
	parse_fails("state=%+1", 9,
	    "invalid percent-encoding in parameter \"state\"");
	parse_fails("sta%zte=1", 9,
	    "invalid percent-encoding in parameter name \"sta%zte\"");
	/* The "1" after the counted length does not complete the escape. */
	parse_fails("state=%41", 8,
	    "invalid percent-encoding in parameter \"state\"");
}

static void
parse_nul_byte(void **state)
{
	(void)state;
	parse_fails("state=a%00b", 11,
	    "parameter \"state\" contains a NUL byte");
	parse_fails("state=a\0b", 9,
	    "parameter \"state\" contains a NUL byte");
	parse_fails("st%00ate=1", 10,
	    "parameter name \"st%00ate\" contains a NUL byte");
}

static void
parse_invalid_utf8(void **state)
{
	(void)state;
	parse_fails("name=%C3%28", 11,
	    "parameter \"name\" is not valid UTF-8");
	/* A truncated sequence and a UTF-8 encoded surrogate. */
	parse_fails("name=%C3", 8, "parameter \"name\" is not valid UTF-8");
	parse_fails("name=%ED%A0%80", 14,
	    "parameter \"name\" is not valid UTF-8");
	/* The name is quoted with '?' in place of bytes that are not ASCII. */
	parse_fails("n%C3%28=1", 9,
	    "parameter name \"n%C3%28\" is not valid UTF-8");
	parse_fails("n\xc3\x28=1", 5,
	    "parameter name \"n?(\" is not valid UTF-8");
}

static void
parse_value_length_limit(void **state)
{
	char		*data;
	struct urlform	 f;
	char		 error[ERROR_LEN];
	size_t		 len, i;

	(void)state;
	/* "state=" and 8193 escaped bytes: 24579 bytes before decoding. */
	len = 6 + 3 * (URLFORM_VALUE_MAX + 1);
	assert_non_null(data = malloc(len));
	memcpy(data, "state=", 6);
	for (i = 0; i <= URLFORM_VALUE_MAX; i++)
		memcpy(data + 6 + 3 * i, "%41", 3);

	parse_fails(data, len, "parameter \"state\" is longer than 8192 bytes");

	assert_int_equal(urlform_parse(&f, data, len - 3, error,
	    sizeof(error)), 0);
	assert_int_equal(f.params[0].value_len, URLFORM_VALUE_MAX);
	assert_int_equal(strlen(f.params[0].value), URLFORM_VALUE_MAX);
	urlform_free(&f);
	free(data);
}

static void
parse_name_length_limit(void **state)
{
	char		data[80];
	char		expected[ERROR_LEN];
	struct urlform	f;
	char		error[ERROR_LEN];

	(void)state;
	memset(data, 'n', 65);
	memcpy(data + 65, "=1", 2);
	memcpy(expected, "parameter name \"", 16);
	memset(expected + 16, 'n', 64);
	strcpy(expected + 80, "...\" is longer than 64 bytes");
	parse_fails(data, 67, expected);

	/* 64 bytes is the maximum and is accepted. */
	assert_int_equal(urlform_parse(&f, data + 1, 66, error,
	    sizeof(error)), 0);
	assert_int_equal(strlen(f.params[0].name), URLFORM_NAME_MAX);
	urlform_free(&f);
}

static void
parse_parameter_count_limit(void **state)
{
	char		data[65 * 8];
	struct urlform	f;
	char		error[ERROR_LEN];
	size_t		len, i;

	(void)state;
	len = 0;
	for (i = 0; i < 65; i++)
		len += (size_t)snprintf(data + len, sizeof(data) - len,
		    "%sp%zu=v", i > 0 ? "&" : "", i);

	parse_fails(data, len, "form data has more than 64 parameters");

	/* Without "&p64=v" there are 64 parameters, the maximum. */
	assert_int_equal(urlform_parse(&f, data, len - 6, error,
	    sizeof(error)), 0);
	assert_int_equal(f.count, 64);
	assert_string_equal(f.params[63].name, "p63");
	urlform_free(&f);
}

static void
parse_empty_name(void **state)
{
	(void)state;
	parse_fails("a=1&=2", 6,
	    "form data contains a parameter with an empty name");
	parse_fails("=", 1,
	    "form data contains a parameter with an empty name");
}

static void
parse_data_length_limit(void **state)
{
	char		*data;
	struct urlform	 f;
	char		 error[ERROR_LEN];

	(void)state;
	assert_non_null(data = malloc(URLFORM_DATA_MAX + 1));
	memset(data, '&', URLFORM_DATA_MAX + 1);
	parse_fails(data, URLFORM_DATA_MAX + 1,
	    "form data is longer than 65536 bytes");
	assert_int_equal(urlform_parse(&f, data, URLFORM_DATA_MAX, error,
	    sizeof(error)), 0);
	assert_int_equal(f.count, 0);
	urlform_free(&f);
	free(data);
}

static void
encode_reserved_and_utf8(void **state)
{
	const char	*in = "a b&c=d/\xc3\xa9~-._+%";
	const char	*expected = "a%20b%26c%3Dd%2F%C3%A9~-._%2B%25";
	char		 out[64];

	(void)state;
	assert_int_equal(urlform_encode(in, strlen(in), out, sizeof(out)),
	    strlen(expected));
	assert_string_equal(out, expected);
	assert_int_equal(urlform_encode("\0\xff", 2, out, sizeof(out)), 6);
	assert_string_equal(out, "%00%FF");
}

static void
encode_truncates_whole_escapes(void **state)
{
	char	out[8];

	(void)state;
	/* "a%2Fb" needs 5 bytes and the NUL. */
	assert_int_equal(urlform_encode("a/b", 3, out, 6), 5);
	assert_string_equal(out, "a%2Fb");
	assert_int_equal(urlform_encode("a/b", 3, out, 5), 5);
	assert_string_equal(out, "a%2F");
	assert_int_equal(urlform_encode("a/b", 3, out, 4), 5);
	assert_string_equal(out, "a");
	assert_int_equal(urlform_encode("a/b", 3, NULL, 0), 5);
	assert_int_equal(urlform_encode("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void
decode_basic_auth_credentials(void **state)
{
	/* RFC 6749 2.3.1: client_id and secret are form-encoded first. */
	const char	*in = "s6Bhd%3ARkqt3+x%2By";
	char		 out[32];
	size_t		 n;

	(void)state;
	assert_int_equal(urlform_decode_component(in, strlen(in), out,
	    sizeof(out), &n), 0);
	assert_string_equal(out, "s6Bhd:Rkqt3 x+y");
	assert_int_equal(n, 15);
}

static void
decode_rejects_bad_input(void **state)
{
	char	out[8];
	size_t	n;

	(void)state;
	n = 99;
	assert_int_equal(urlform_decode_component("%zz", 3, out, sizeof(out),
	    &n), -1);
	assert_int_equal(n, 99);
	assert_int_equal(urlform_decode_component("ab%4", 4, out, sizeof(out),
	    &n), -1);
	assert_int_equal(urlform_decode_component("%41", 2, out, sizeof(out),
	    &n), -1);
	assert_int_equal(urlform_decode_component("a%00", 4, out, sizeof(out),
	    &n), -1);
	/* Seven bytes and the NUL fit in 8 bytes, eight bytes do not. */
	assert_int_equal(urlform_decode_component("abcdefg", 7, out, 8, &n), 0);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(n, 7);
	assert_int_equal(urlform_decode_component("abcdefgh", 8, out, 8, &n),
	    -1);
	assert_int_equal(urlform_decode_component("", 0, out, 0, &n), -1);
	assert_int_equal(urlform_decode_component("", 0, out, 1, &n), 0);
	assert_string_equal(out, "");
	assert_int_equal(n, 0);
}

static void
encode_decode_round_trip(void **state)
{
	char	in[255], encoded[255 * 3 + 1], decoded[256];
	size_t	i, n;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i + 1);
	assert_int_equal(urlform_encode(in, sizeof(in), encoded,
	    sizeof(encoded)), sizeof(encoded) - 1 - 66 * 2);
	assert_int_equal(urlform_decode_component(encoded, strlen(encoded),
	    decoded, sizeof(decoded), &n), 0);
	assert_int_equal(n, sizeof(in));
	assert_memory_equal(decoded, in, sizeof(in));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_authorization_request),
		cmocka_unit_test(parse_plus_and_escapes),
		cmocka_unit_test(parse_name_is_decoded),
		cmocka_unit_test(parse_duplicate_parameter),
		cmocka_unit_test(parse_names_case_sensitive),
		cmocka_unit_test(parse_empty_value_and_bare_name),
		cmocka_unit_test(parse_skips_empty_pieces),
		cmocka_unit_test(parse_bad_percent_encoding),
		cmocka_unit_test(parse_nul_byte),
		cmocka_unit_test(parse_invalid_utf8),
		cmocka_unit_test(parse_value_length_limit),
		cmocka_unit_test(parse_name_length_limit),
		cmocka_unit_test(parse_parameter_count_limit),
		cmocka_unit_test(parse_empty_name),
		cmocka_unit_test(parse_data_length_limit),
		cmocka_unit_test(encode_reserved_and_utf8),
		cmocka_unit_test(encode_truncates_whole_escapes),
		cmocka_unit_test(decode_basic_auth_credentials),
		cmocka_unit_test(decode_rejects_bad_input),
		cmocka_unit_test(encode_decode_round_trip),
	};

	return (cmocka_run_group_tests_name("urlform", tests, NULL, NULL));
}
