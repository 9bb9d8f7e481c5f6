/* Unit tests for redirect URI rules, exact matching and mismatch sentences. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "redirect_uri.h"

#define ERROR_LEN	256

#define MSG_HTTPS	"redirect URI must use https, except http on " \
			"127.0.0.1, [::1] or localhost"
#define MSG_USERINFO	"redirect URI must not contain user information " \
			"(user@host)"
#define MSG_FRAGMENT	"redirect URI must not contain a fragment (#...)"
#define MSG_WILDCARD	"redirect URI must not contain a wildcard (*)"
#define MSG_ABSOLUTE	"redirect URI must be an absolute URI with a " \
			"scheme, such as https://app.example.com/callback"
#define MSG_HOST	"redirect URI must include a host, such as " \
			"https://app.example.com/callback"
#define MSG_PORT	"redirect URI port must be a number from 1 to " \
			"65535 without leading zeros"
#define MSG_SCHEME(s)	"redirect URI must use https, or a " \
			"reverse-domain scheme such as com.example.app " \
			"for a native app, not \"" s "\""
#define MSG_BYTE(b, o)	"redirect URI must not contain spaces, control " \
			"characters or non-ASCII bytes (byte " b " at offset " \
			o ")"

static const char *const	good_uris[] = {
	"https://app.example.com/callback",
	"https://app.example.com",
	"https://app.example.com/",
	"https://app.example.com:8443/cb?tenant=a&x=%2Fhome",
	"https://app.example.com:1/",
	"https://app.example.com:65535/",
	"https://[2001:db8::1]:8443/cb",
	"https://127.0.0.1/cb",
	"http://127.0.0.1/cb",
	"http://127.0.0.1:8080/cb",
	"http://127.0.0.1",
	"http://[::1]/cb",
	"http://[::1]:3000/cb",
	"http://localhost/cb",
	"http://localhost:3000/cb",
	"http://localhost",
	"com.example.app:/callback",
	"com.example.app:/oauth2redirect",
	"com.example.app://callback",
	"com.example.app:callback",
	"com.example-corp.app+dev:/cb",
};

static const struct {
	const char	*uri;
	const char	*message;
} bad_uris[] = {
	{ "https://app.example.com/cb#section", MSG_FRAGMENT },
	{ "https://app.example.com/cb#", MSG_FRAGMENT },
	{ "https://*.example.com/cb", MSG_WILDCARD },
	{ "https://app.example.com/*", MSG_WILDCARD },
	{ "http://app.example.com/cb", MSG_HTTPS },
	{ "http://app.example.com:80/cb", MSG_HTTPS },
	{ "http://127.0.0.2/cb", MSG_HTTPS },
	{ "http://127.0.0.1.example.com/cb", MSG_HTTPS },
	{ "http://localhost.example.com/cb", MSG_HTTPS },
	{ "http://LOCALHOST/cb", MSG_HTTPS },
	{ "http://[::2]/cb", MSG_HTTPS },
	{ "http://[0:0:0:0:0:0:0:1]/cb", MSG_HTTPS },
	{ "http:/localhost/cb", MSG_HTTPS },
	{ "https://user@app.example.com/cb", MSG_USERINFO },
	{ "https://user:secret@app.example.com/cb", MSG_USERINFO },
	{ "https://app.example.com@evil.example/cb", MSG_USERINFO },
	{ "http://user@127.0.0.1/cb", MSG_USERINFO },
	{ "HTTPS://app.example.com/cb", "redirect URI scheme \"HTTPS\" must be "
	    "written in lowercase, as \"https\"" },
	{ "Http://localhost/cb", "redirect URI scheme \"Http\" must be written "
	    "in lowercase, as \"http\"" },
	{ "Com.Example.App:/cb", "redirect URI scheme \"Com.Example.App\" must "
	    "be written in lowercase, as \"com.example.app\"" },
	{ "myapp:/callback", MSG_SCHEME("myapp") },
	{ "myapp://callback", MSG_SCHEME("myapp") },
	{ "javascript:alert(1)", MSG_SCHEME("javascript") },
	{ "data:text/html,hello", MSG_SCHEME("data") },
	{ "file:///etc/passwd", MSG_SCHEME("file") },
	{ "ftp://files.example.com/", MSG_SCHEME("ftp") },
	{ "com..app:/cb", "redirect URI scheme \"com..app\" is not a reverse "
	    "domain name such as com.example.app" },
	{ "com.example.:/cb", "redirect URI scheme \"com.example.\" is not a "
	    "reverse domain name such as com.example.app" },
	{ "com.example.app:", "redirect URI must have a path after the "
	    "scheme, such as com.example.app:/callback" },
	{ "app.example.com/callback", MSG_ABSOLUTE },
	{ "/callback", MSG_ABSOLUTE },
	{ "//app.example.com/callback", MSG_ABSOLUTE },
	{ ":/callback", MSG_ABSOLUTE },
	{ "1app.example:/cb", MSG_ABSOLUTE },
	{ "com_example.app:/cb", MSG_ABSOLUTE },
	{ "https:///callback", MSG_HOST },
	{ "https://:8443/callback", MSG_HOST },
	{ "https:app.example.com", MSG_HOST },
	{ "https://app.example.com:0/", MSG_PORT },
	{ "https://app.example.com:65536/", MSG_PORT },
	{ "https://app.example.com:/", MSG_PORT },
	{ "https://app.example.com:08443/", MSG_PORT },
	{ "https://app.example.com:844a/", MSG_PORT },
	{ "https://app.example.com:123456/", MSG_PORT },
	{ "https://[::1/cb", "redirect URI host \"[::1\" is not a valid IPv6 "
	    "address in brackets" },
	{ "https://[zz::1]/cb", "redirect URI host \"[zz::1]\" is not a valid "
	    "IPv6 address in brackets" },
	{ "https://[::1]x/cb", "redirect URI host \"[::1]x\" is not a valid "
	    "IPv6 address in brackets" },
	{ "https://app[1].example.com/", "redirect URI host "
	    "\"app[1].example.com\" is not a valid host name" },
	{ "https://app.example.com/a[1]", "redirect URI must not contain [ or "
	    "] outside an IPv6 host" },
	{ "https://app.example.com/cb?a[]=1", "redirect URI must not contain "
	    "[ or ] outside an IPv6 host" },
	{ "https://app.example.com/a b", MSG_BYTE("0x20", "25") },
	{ " https://app.example.com/", MSG_BYTE("0x20", "0") },
	{ "https://app.example.com/\tb", MSG_BYTE("0x09", "24") },
	{ "https://app.example.com/\r\nX: y", MSG_BYTE("0x0d", "24") },
	{ "https://app.example.com/\x7f", MSG_BYTE("0x7f", "24") },
	{ "https://app.example.com/caf\xc3\xa9", MSG_BYTE("0xc3", "27") },
	{ "https://app.example.com/<script>", "redirect URI must not contain "
	    "'<', which is not allowed in a URI" },
	{ "https://app.example.com/\"", "redirect URI must not contain '\"', "
	    "which is not allowed in a URI" },
	{ "https://app.example.com/a\\b", "redirect URI must not contain "
	    "'\\', which is not allowed in a URI" },
	{ "https://app.example.com/%zz", "redirect URI contains an invalid "
	    "percent-encoding at offset 24 (% must be followed by two hex "
	    "digits)" },
	{ "https://app.example.com/%4", "redirect URI contains an invalid "
	    "percent-encoding at offset 24 (% must be followed by two hex "
	    "digits)" },
};

static const char *const	registered[] = {
	"https://app.example.com/callback",
	"http://localhost:3000/cb",
	"com.example.app:/oauth2redirect",
	"https://app.example.com/return?flow=b",
};

#define REGISTERED_COUNT	(sizeof(registered) / sizeof(registered[0]))

static void
explains(const char *requested, const char *expected)
{
	char	out[REDIRECT_URI_EXPLAIN_MAX];

	redirect_uri_explain_mismatch(requested, registered, REGISTERED_COUNT,
	    out, sizeof(out));
	assert_string_equal(out, expected);
}

static void
validate_accepts_good_uris(void **state)
{
	char	error[ERROR_LEN];
	size_t	i;
	int	rc;

	(void)state;
	for (i = 0; i < sizeof(good_uris) / sizeof(good_uris[0]); i++) {
		rc = redirect_uri_validate(good_uris[i], strlen(good_uris[i]),
		    error, sizeof(error));
		if (rc != 0)
			print_message("rejected %s: %s\n", good_uris[i], error);
		assert_int_equal(rc, 0);
	}
}

static void
validate_rejects_bad_uris(void **state)
{
	char	error[ERROR_LEN];
	size_t	i;
	int	rc;

	(void)state;
	for (i = 0; i < sizeof(bad_uris) / sizeof(bad_uris[0]); i++) {
		rc = redirect_uri_validate(bad_uris[i].uri,
		    strlen(bad_uris[i].uri), error, sizeof(error));
		if (rc != -1 || strcmp(error, bad_uris[i].message) != 0)
			print_message("wrong result for %s\n", bad_uris[i].uri);
		assert_int_equal(rc, -1);
		assert_string_equal(error, bad_uris[i].message);
	}
}

static void
validate_empty_and_nul(void **state)
{
	char	error[ERROR_LEN];

	(void)state;
	assert_int_equal(redirect_uri_validate("", 0, error, sizeof(error)),
	    -1);
	assert_string_equal(error, "redirect URI is empty");

	/* A NUL byte inside the counted length. */
	assert_int_equal(redirect_uri_validate("https://a.example/\0x", 20,
	    error, sizeof(error)), -1);
	assert_string_equal(error, MSG_BYTE("0x00", "18"));
}

static void
validate_length_limit(void **state)
{
	char	uri[REDIRECT_URI_MAX + 1];
	char	error[ERROR_LEN];

	(void)state;
	memset(uri, 'a', sizeof(uri));
	memcpy(uri, "https://app.example.com/", 24);
	assert_int_equal(redirect_uri_validate(uri, REDIRECT_URI_MAX, error,
	    sizeof(error)), 0);
	assert_int_equal(redirect_uri_validate(uri, REDIRECT_URI_MAX + 1,
	    error, sizeof(error)), -1);
	assert_string_equal(error, "redirect URI is longer than 2000 bytes");
}

static void
validate_message_truncated(void **state)
{
	char	error[16];

	(void)state;
	assert_int_equal(redirect_uri_validate("http://a.example/", 17, error,
	    sizeof(error)), -1);
	assert_string_equal(error, "redirect URI mu");
}

static void
equal_is_byte_for_byte(void **state)
{
	(void)state;
	assert_true(redirect_uri_equal("https://app.example.com/cb",
	    "https://app.example.com/cb"));
	assert_false(redirect_uri_equal("https://app.example.com/cb",
	    "https://app.example.com/cb/"));
	assert_false(redirect_uri_equal("https://app.example.com/cb",
	    "https://APP.example.com/cb"));
	assert_false(redirect_uri_equal("https://app.example.com/cb",
	    "https://app.example.com:443/cb"));
	assert_false(redirect_uri_equal("https://app.example.com/a/b",
	    "https://app.example.com/a%2Fb"));
	assert_false(redirect_uri_equal("https://app.example.com/a/b",
	    "https://app.example.com/a/./b"));
	assert_false(redirect_uri_equal("http://127.0.0.1:3000/cb",
	    "http://127.0.0.1:3001/cb"));
	assert_false(redirect_uri_equal(NULL, "https://app.example.com/cb"));
	assert_false(redirect_uri_equal("https://app.example.com/cb", NULL));
}

static const struct {
	const char	*registered;
	const char	*requested;
	int		 expected;
} loopback_cases[] = {
	/* Any port, or none, on an IP loopback literal (RFC 8252 7.3). */
	{ "http://127.0.0.1/callback", "http://127.0.0.1/callback", 1 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:51004/callback", 1 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:1/callback", 1 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:65535/callback", 1 },
	{ "http://127.0.0.1:3000/callback", "http://127.0.0.1:4000/callback",
	    1 },
	{ "http://127.0.0.1:3000/callback", "http://127.0.0.1/callback", 1 },
	{ "http://[::1]/callback", "http://[::1]:8080/callback", 1 },
	{ "http://[::1]:8080/cb?mode=cli", "http://[::1]:9090/cb?mode=cli", 1 },
	{ "http://127.0.0.1", "http://127.0.0.1:8080", 1 },

	/* The port must be a valid port. */
	{ "http://127.0.0.1/callback", "http://127.0.0.1:0/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:65536/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:08080/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:80a/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:-1/callback", 0 },

	/* Everything else still compares byte for byte. */
	{ "http://127.0.0.1/callback", "http://127.0.0.1.evil.example/callback",
	    0 },
	{ "http://127.0.0.1/callback",
	    "http://127.0.0.1.evil.example:8080/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1@evil.example/callback",
	    0 },
	{ "http://127.0.0.1/callback",
	    "http://127.0.0.1:8080@evil.example/callback", 0 },
	{ "http://127.0.0.1/callback", "http://user@127.0.0.1:8080/callback",
	    0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:8080/other", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:8080/callback/", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:8080/Callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:8080/callback?x=1",
	    0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:8080/callback?", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:8080/callback#x", 0 },
	{ "http://127.0.0.1/cb?mode=cli", "http://127.0.0.1:8080/cb", 0 },
	{ "http://127.0.0.1/cb?mode=cli", "http://127.0.0.1:8080/cb?mode=gui",
	    0 },
	{ "http://127.0.0.1/callback", "https://127.0.0.1:8080/callback", 0 },
	{ "http://127.0.0.1/callback", "HTTP://127.0.0.1:8080/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.2:8080/callback", 0 },
	{ "http://127.0.0.1/callback", "http://[::1]:8080/callback", 0 },
	{ "http://[::1]/callback", "http://127.0.0.1:8080/callback", 0 },
	{ "http://127.0.0.1/callback", "http://127.0.0.1:8080\\callback", 0 },
	{ "http://127.0.0.1/callback", "http:127.0.0.1:8080/callback", 0 },
	{ "http://127.0.0.1/callback", "", 0 },

	/* localhost and https hosts get no port exception. */
	{ "http://localhost/callback", "http://localhost:8080/callback", 0 },
	{ "http://localhost:3000/callback", "http://localhost:3001/callback",
	    0 },
	{ "http://localhost:3000/callback", "http://localhost:3000/callback",
	    1 },
	{ "https://127.0.0.1/callback", "https://127.0.0.1:8443/callback", 0 },
	{ "https://app.example.com/cb", "https://app.example.com:8443/cb", 0 },
	{ "com.example.app:/callback", "com.example.app:/callback", 1 },
	{ "com.example.app:/callback", "com.example.app:/callback?x=1", 0 },
};

static void
matches_loopback_any_port(void **state)
{
	size_t	i;
	int	rc;

	(void)state;
	for (i = 0; i < sizeof(loopback_cases) / sizeof(loopback_cases[0]);
	    i++) {
		rc = redirect_uri_matches(loopback_cases[i].registered,
		    loopback_cases[i].requested);
		if (rc != loopback_cases[i].expected)
			print_message("registered %s, requested %s: got %d\n",
			    loopback_cases[i].registered,
			    loopback_cases[i].requested, rc);
		assert_int_equal(rc, loopback_cases[i].expected);
	}
}

static void
matches_null_and_long(void **state)
{
	char	*requested;

	(void)state;
	assert_false(redirect_uri_matches(NULL, "http://127.0.0.1/cb"));
	assert_false(redirect_uri_matches("http://127.0.0.1/cb", NULL));

	/* A request over REDIRECT_URI_MAX bytes never matches a loopback. */
	assert_non_null(requested = malloc(REDIRECT_URI_MAX + 2));
	memset(requested, 'a', REDIRECT_URI_MAX + 1);
	memcpy(requested, "http://127.0.0.1:1/", 19);
	requested[REDIRECT_URI_MAX + 1] = '\0';
	assert_false(redirect_uri_matches("http://127.0.0.1/", requested));
	free(requested);
}

static void
explain_loopback_ignores_port(void **state)
{
	const char	*list[] = { "http://127.0.0.1/callback",
	    "http://localhost/callback" };
	char		 out[REDIRECT_URI_EXPLAIN_MAX];

	(void)state;
	/* The path is the one difference once the free port is set aside. */
	redirect_uri_explain_mismatch("http://127.0.0.1:53682/other", list, 2,
	    out, sizeof(out));
	assert_string_equal(out, "redirect_uri has a different path from the "
	    "registered redirect URI \"http://127.0.0.1/callback\"");

	redirect_uri_explain_mismatch("http://127.0.0.1:53682/callback?x=1",
	    list, 2, out, sizeof(out));
	assert_string_equal(out, "redirect_uri has a query string but the "
	    "registered redirect URI \"http://127.0.0.1/callback\" has none");

	/* localhost has no free port, so the port is explained. */
	redirect_uri_explain_mismatch("http://localhost:53682/callback", list,
	    2, out, sizeof(out));
	assert_string_equal(out, "redirect_uri uses port 53682 but the "
	    "registered redirect URI \"http://localhost/callback\" has no "
	    "port");

	/* A port that is not valid is a difference even on 127.0.0.1. */
	redirect_uri_explain_mismatch("http://127.0.0.1:0/callback", list, 1,
	    out, sizeof(out));
	assert_string_equal(out, "redirect_uri uses port 0 but the registered "
	    "redirect URI \"http://127.0.0.1/callback\" has no port");

	redirect_uri_explain_mismatch("http://127.0.0.1:53682/callback", list,
	    1, out, sizeof(out));
	assert_string_equal(out, "redirect_uri matches the registered "
	    "redirect URI \"http://127.0.0.1/callback\"");
}

static void
explain_trailing_slash(void **state)
{
	(void)state;
	explains("https://app.example.com/callback/", "redirect_uri has a "
	    "trailing slash that the registered redirect URI "
	    "\"https://app.example.com/callback\" does not have");
	explains("http://localhost:3000/c", "redirect_uri has a different "
	    "path from the registered redirect URI "
	    "\"http://localhost:3000/cb\"");
}

static void
explain_missing_slash(void **state)
{
	const char	*list[] = { "https://app.example.com/" };
	char		 out[REDIRECT_URI_EXPLAIN_MAX];

	(void)state;
	redirect_uri_explain_mismatch("https://app.example.com", list, 1, out,
	    sizeof(out));
	assert_string_equal(out, "redirect_uri lacks the trailing slash of "
	    "the registered redirect URI \"https://app.example.com/\"");
}

static void
explain_scheme(void **state)
{
	(void)state;
	explains("http://app.example.com/callback", "redirect_uri uses http "
	    "but the registered redirect URI "
	    "\"https://app.example.com/callback\" uses https");
	explains("https://localhost:3000/cb", "redirect_uri uses https but "
	    "the registered redirect URI \"http://localhost:3000/cb\" uses "
	    "http");
	/* A requested scheme without scheme syntax is not quoted. */
	explains("h<b>://app.example.com/callback", "redirect_uri uses a "
	    "different scheme from the registered redirect URI "
	    "\"https://app.example.com/callback\"");
	/* Nor is one longer than 32 bytes. */
	explains("abcdefghijklmnopqrstuvwxyzabcdefg://app.example.com/callback",
	    "redirect_uri uses a different scheme from the registered "
	    "redirect URI \"https://app.example.com/callback\"");
	explains("abcdefghijklmnopqrstuvwxyzabcdef://app.example.com/callback",
	    "redirect_uri uses abcdefghijklmnopqrstuvwxyzabcdef but the "
	    "registered redirect URI \"https://app.example.com/callback\" "
	    "uses https");
}

static void
explain_port(void **state)
{
	(void)state;
	explains("http://localhost:3001/cb", "redirect_uri uses port 3001 but "
	    "the registered redirect URI \"http://localhost:3000/cb\" uses "
	    "port 3000");
	explains("http://localhost/cb", "redirect_uri has no port but the "
	    "registered redirect URI \"http://localhost:3000/cb\" uses port "
	    "3000");
	explains("https://app.example.com:443/callback", "redirect_uri uses "
	    "port 443 but the registered redirect URI "
	    "\"https://app.example.com/callback\" has no port");
	/* A port that is not digits is not quoted. */
	explains("https://app.example.com:<b>/callback", "redirect_uri has a "
	    "port but the registered redirect URI "
	    "\"https://app.example.com/callback\" has none");
	explains("http://localhost:3x/cb", "redirect_uri uses a different "
	    "port from the registered redirect URI "
	    "\"http://localhost:3000/cb\"");
}

static void
explain_host(void **state)
{
	(void)state;
	explains("https://app.example.org/callback", "redirect_uri has a "
	    "different host from the registered redirect URI "
	    "\"https://app.example.com/callback\"");
	explains("http://127.0.0.1:3000/cb", "redirect_uri has a different "
	    "host from the registered redirect URI "
	    "\"http://localhost:3000/cb\"");
}

static void
explain_path(void **state)
{
	(void)state;
	explains("https://app.example.com/login", "redirect_uri has a "
	    "different path from the registered redirect URI "
	    "\"https://app.example.com/callback\"");
	explains("com.example.app:/redirect", "redirect_uri has a different "
	    "path from the registered redirect URI "
	    "\"com.example.app:/oauth2redirect\"");
}

static void
explain_query(void **state)
{
	(void)state;
	explains("https://app.example.com/callback?x=1", "redirect_uri has a "
	    "query string but the registered redirect URI "
	    "\"https://app.example.com/callback\" has none");
	explains("https://app.example.com/return", "redirect_uri has no query "
	    "string but the registered redirect URI "
	    "\"https://app.example.com/return?flow=b\" has one");
	explains("https://app.example.com/return?flow=c", "redirect_uri has a "
	    "different query string from the registered redirect URI "
	    "\"https://app.example.com/return?flow=b\"");
}

static void
explain_letter_case(void **state)
{
	(void)state;
	explains("https://app.example.com/Callback", "redirect_uri differs "
	    "only in letter case from the registered redirect URI "
	    "\"https://app.example.com/callback\", and redirect URIs must "
	    "match exactly");
	explains("HTTPS://APP.EXAMPLE.COM/CALLBACK", "redirect_uri differs "
	    "only in letter case from the registered redirect URI "
	    "\"https://app.example.com/callback\", and redirect URIs must "
	    "match exactly");
}

static void
explain_fragment(void **state)
{
	(void)state;
	explains("https://app.example.com/callback#done", "redirect_uri has a "
	    "fragment (#...) but the registered redirect URI "
	    "\"https://app.example.com/callback\" has none");
}

static void
explain_not_registered(void **state)
{
	const char	*expected = "redirect_uri does not match any "
	    "redirect URI registered for this application";
	char		 out[REDIRECT_URI_EXPLAIN_MAX];

	(void)state;
	/* When two parts differ, no registered URI is quoted. */
	explains("https://evil.example/callback/", expected);
	explains("http://app.example.com/callback/", expected);
	explains("https://user@app.example.com/callback", expected);
	explains("", expected);
	explains("not a URI at all", expected);
	explains(NULL, expected);

	redirect_uri_explain_mismatch("https://app.example.com/callback/",
	    NULL, 0, out, sizeof(out));
	assert_string_equal(out, expected);
}

static void
explain_exact_match(void **state)
{
	(void)state;
	explains("com.example.app:/oauth2redirect", "redirect_uri matches the "
	    "registered redirect URI \"com.example.app:/oauth2redirect\"");
}

static void
explain_picks_closest(void **state)
{
	const char	*ties[] = { "http://localhost:3001/cb",
	    "http://localhost:3000/cbx", "http://localhost:3000/cb" };
	const char	*longer[] = { "http://localhost:3000/cb",
	    "http://localhost:3000/cb/x" };
	char		 out[REDIRECT_URI_EXPLAIN_MAX];

	(void)state;
	/*
	 * "/cbx" and "/cb" share 24 bytes of prefix with the request, so the
	 * trailing slash, a more exact explanation than the path, is chosen.
	 */
	redirect_uri_explain_mismatch("http://localhost:3000/cb/", ties, 3,
	    out, sizeof(out));
	assert_string_equal(out, "redirect_uri has a trailing slash that the "
	    "registered redirect URI \"http://localhost:3000/cb\" does not "
	    "have");

	/* "/cb/x" shares all 25 bytes of the request as its prefix. */
	redirect_uri_explain_mismatch("http://localhost:3000/cb/", longer, 2,
	    out, sizeof(out));
	assert_string_equal(out, "redirect_uri has a different path from the "
	    "registered redirect URI \"http://localhost:3000/cb/x\"");

	/* An exact match wins over any near one, wherever it is. */
	redirect_uri_explain_mismatch("http://localhost:3000/cb", ties, 3,
	    out, sizeof(out));
	assert_string_equal(out, "redirect_uri matches the registered "
	    "redirect URI \"http://localhost:3000/cb\"");
}

static void
explain_skips_null_entries(void **state)
{
	const char	*list[] = { NULL, "https://app.example.com/cb" };
	char		 out[REDIRECT_URI_EXPLAIN_MAX];

	(void)state;
	redirect_uri_explain_mismatch("https://app.example.com/cb/", list, 2,
	    out, sizeof(out));
	assert_string_equal(out, "redirect_uri has a trailing slash that the "
	    "registered redirect URI \"https://app.example.com/cb\" does not "
	    "have");
}

static void
explain_skips_long_registered(void **state)
{
	char		*registered_uri, *requested;
	const char	*list[1];
	char		 out[REDIRECT_URI_EXPLAIN_MAX];

	(void)state;
	/* 2001 bytes, which registration rejects, so it is never quoted. */
	assert_non_null(registered_uri = malloc(REDIRECT_URI_MAX + 2));
	memset(registered_uri, 'a', REDIRECT_URI_MAX + 1);
	memcpy(registered_uri, "https://app.example.com/", 24);
	registered_uri[REDIRECT_URI_MAX + 1] = '\0';
	list[0] = registered_uri;

	/* The request is its first 2000 bytes, so only the path differs. */
	assert_non_null(requested = strndup(registered_uri, REDIRECT_URI_MAX));
	redirect_uri_explain_mismatch(requested, list, 1, out, sizeof(out));
	assert_string_equal(out, "redirect_uri does not match any redirect "
	    "URI registered for this application");

	free(requested);
	free(registered_uri);
}

static void
explain_long_request(void **state)
{
	char	*requested;

	(void)state;
	assert_non_null(requested = malloc(REDIRECT_URI_MAX + 2));
	memset(requested, 'a', REDIRECT_URI_MAX + 1);
	requested[REDIRECT_URI_MAX + 1] = '\0';
	explains(requested, "redirect_uri is longer than 2000 bytes");
	free(requested);
}

static void
explain_output_bounded(void **state)
{
	char	out[24];

	(void)state;
	memset(out, 'x', sizeof(out));
	redirect_uri_explain_mismatch("https://app.example.com/callback/",
	    registered, REGISTERED_COUNT, out, 20);
	assert_string_equal(out, "redirect_uri has a ");
	assert_int_equal(out[20], 'x');

	/* A zero-length buffer is left untouched. */
	redirect_uri_explain_mismatch("https://app.example.com/callback/",
	    registered, REGISTERED_COUNT, out, 0);
	assert_int_equal(out[0], 'r');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validate_accepts_good_uris),
		cmocka_unit_test(validate_rejects_bad_uris),
		cmocka_unit_test(validate_empty_and_nul),
		cmocka_unit_test(validate_length_limit),
		cmocka_unit_test(validate_message_truncated),
		cmocka_unit_test(equal_is_byte_for_byte),
		cmocka_unit_test(matches_loopback_any_port),
		cmocka_unit_test(matches_null_and_long),
		cmocka_unit_test(explain_loopback_ignores_port),
		cmocka_unit_test(explain_trailing_slash),
		cmocka_unit_test(explain_missing_slash),
		cmocka_unit_test(explain_scheme),
		cmocka_unit_test(explain_port),
		cmocka_unit_test(explain_host),
		cmocka_unit_test(explain_path),
		cmocka_unit_test(explain_query),
		cmocka_unit_test(explain_letter_case),
		cmocka_unit_test(explain_fragment),
		cmocka_unit_test(explain_not_registered),
		cmocka_unit_test(explain_exact_match),
		cmocka_unit_test(explain_picks_closest),
		cmocka_unit_test(explain_skips_null_entries),
		cmocka_unit_test(explain_skips_long_registered),
		cmocka_unit_test(explain_long_request),
		cmocka_unit_test(explain_output_bounded),
	};

	return (cmocka_run_group_tests_name("redirect_uri", tests, NULL,
	    NULL));
}
