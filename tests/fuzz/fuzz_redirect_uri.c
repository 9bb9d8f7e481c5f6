/*
 * redirect_uri_validate, redirect_uri_matches and
 * redirect_uri_explain_mismatch. The input is a requested URI and up to
 * REGISTERED_MAX registered URIs, separated by NUL bytes. An accepted URI
 * cannot send codes off the machine over plain http or to a host hidden
 * after userinfo. In a match only a loopback port may differ. A mismatch
 * sentence quotes nothing of the requested URI beyond a scheme or port.
 */
#include "fuzz.h"
#include "redirect_uri.h"

#define REGISTERED_MAX	6

/* Return 1 if 's' starts with 'prefix' followed by ':', '/', '?' or the end. */
static int
fuzz_starts_with_host(const char *s, const char *prefix)
{
	size_t	len = strlen(prefix);

	return (strncmp(s, prefix, len) == 0 &&
	    (s[len] == '\0' || strchr(":/?", s[len]) != NULL));
}

/* Return 1 when 'uri' is valid, after checking what that promises. */
static int
fuzz_validate(const char *uri)
{
	char	error[256];
	size_t	len, i, authority_len;

	len = strlen(uri);
	if (redirect_uri_validate(uri, len, error, sizeof(error)) == -1) {
		FUZZ_CHECK(error[0] != '\0');
		FUZZ_CHECK(memchr(error, '\0', sizeof(error)) != NULL);
		return (0);
	}

	FUZZ_CHECK(len > 0 && len <= REDIRECT_URI_MAX);
	for (i = 0; i < len; i++) {
		FUZZ_CHECK((unsigned char)uri[i] > 0x20);
		FUZZ_CHECK((unsigned char)uri[i] < 0x7f);
	}
	FUZZ_CHECK(strchr(uri, '*') == NULL);
	FUZZ_CHECK(strchr(uri, '#') == NULL);
	FUZZ_CHECK(strchr(uri, ':') != NULL);

	if (strncmp(uri, "http:", 5) == 0) {
		FUZZ_CHECK(fuzz_starts_with_host(uri, "http://127.0.0.1") ||
		    fuzz_starts_with_host(uri, "http://localhost") ||
		    fuzz_starts_with_host(uri, "http://[::1]"));
	}
	if (strncmp(uri, "https:", 6) == 0) {
		FUZZ_CHECK(strncmp(uri, "https://", 8) == 0);
		authority_len = strcspn(uri + 8, "/?");
		FUZZ_CHECK(authority_len > 0);
		FUZZ_CHECK(memchr(uri + 8, '@', authority_len) == NULL);
	}
	return (1);
}

/*
 * Copy a URI that starts with an http loopback literal without its port:
 * the ':' and all up to the next '/', '?' or '#'. Returns NULL for any
 * other URI. '*port_valid' is set to 1 when the port is 1 to 65535 with
 * no leading zero, or absent, and to 0 otherwise.
 */
static char *
fuzz_without_port(const char *uri, int *port_valid)
{
	static const char *const	 hosts[] = {
		"http://127.0.0.1", "http://[::1]",
	};
	const char			*rest;
	char				*out;
	size_t				 i, prefix, port_len;
	long				 port;

	for (i = 0; i < 2; i++) {
		prefix = strlen(hosts[i]);
		if (strncmp(uri, hosts[i], prefix) == 0)
			break;
	}
	if (i == 2)
		return (NULL);

	rest = uri + prefix;
	*port_valid = 1;
	if (rest[0] == ':') {
		port_len = strcspn(rest + 1, "/?#");
		port = strtol(rest + 1, NULL, 10);
		*port_valid = port_len >= 1 && port_len <= 5 &&
		    rest[1] != '0' && strspn(rest + 1, "0123456789") ==
		    port_len && port >= 1 && port <= 65535;
		rest += 1 + port_len;
	}

	if ((out = malloc(prefix + strlen(rest) + 1)) == NULL)
		abort();
	memcpy(out, uri, prefix);
	strcpy(out + prefix, rest);
	return (out);
}

/*
 * redirect_uri_matches accepts an exact match, or, for a registered http
 * loopback literal, the same URI with any valid port or none.
 */
static void
fuzz_matches(const char *registered, const char *requested)
{
	char	*g, *r;
	int	 g_port, r_port;

	if (!redirect_uri_matches(registered, requested)) {
		FUZZ_CHECK(strcmp(registered, requested) != 0);
		return;
	}
	if (strcmp(registered, requested) == 0)
		return;

	g = fuzz_without_port(registered, &g_port);
	r = fuzz_without_port(requested, &r_port);
	FUZZ_CHECK(g != NULL && r != NULL);
	FUZZ_CHECK(strcmp(g, r) == 0);
	FUZZ_CHECK(r_port);
	FUZZ_CHECK(strchr(requested, '#') == NULL);
	FUZZ_CHECK(strchr(requested, '@') == NULL ||
	    strcspn(requested + 7, "@") > strcspn(requested + 7, "/?#"));
	free(g);
	free(r);
}

/*
 * Outside the one quoted registered URI, a full sentence contains only
 * its own words and a requested scheme or port, never other bytes of the
 * requested URI such as markup.
 */
static void
fuzz_check_sentence(const char *sentence, const char *requested,
    char *const *registered, size_t count)
{
	char	*copy, *quoted, *p;
	size_t	 i, len;

	if ((copy = strdup(sentence)) == NULL)
		abort();
	for (i = 0; i < count; i++) {
		len = strlen(registered[i]);
		if ((quoted = malloc(len + 3)) == NULL)
			abort();
		quoted[0] = '"';
		memcpy(quoted + 1, registered[i], len);
		quoted[len + 1] = '"';
		quoted[len + 2] = '\0';
		if ((p = strstr(copy, quoted)) != NULL)
			memset(p, ' ', len + 2);
		free(quoted);
	}

	for (p = copy; *p != '\0'; p++) {
		FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(" _.:+-,()#", *p) != NULL);
	}
	free(copy);

	for (i = 0; i < count; i++) {
		if (strcmp(requested, registered[i]) == 0 &&
		    strlen(requested) <= REDIRECT_URI_MAX) {
			FUZZ_CHECK(strncmp(sentence, "redirect_uri matches ",
			    21) == 0);
			break;
		}
	}
}

static void
fuzz_explain(const char *requested, char *const *registered, size_t count,
    int registered_valid)
{
	char	sentence[REDIRECT_URI_EXPLAIN_MAX], small[40];
	size_t	len;

	memset(sentence, 'x', sizeof(sentence));
	redirect_uri_explain_mismatch(requested,
	    (const char *const *)registered, count, sentence,
	    sizeof(sentence));
	len = strnlen(sentence, sizeof(sentence));
	FUZZ_CHECK(len < sizeof(sentence));
	FUZZ_CHECK(len > 0);
	if (registered_valid)
		fuzz_check_sentence(sentence, requested, registered, count);

	/* A short buffer gets a prefix of the same sentence. */
	memset(small, 'x', sizeof(small));
	redirect_uri_explain_mismatch(requested,
	    (const char *const *)registered, count, small, sizeof(small));
	FUZZ_CHECK(strnlen(small, sizeof(small)) < sizeof(small));
	FUZZ_CHECK(strncmp(small, sentence, strlen(small)) == 0);

	small[0] = 'x';
	redirect_uri_explain_mismatch(requested,
	    (const char *const *)registered, count, small, 0);
	FUZZ_CHECK(small[0] == 'x');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*parts[REGISTERED_MAX + 1];
	size_t	 i, count;
	int	 registered_valid;

	fuzz_split(data, size, parts, REGISTERED_MAX + 1);
	(void)fuzz_validate(parts[0]);

	/*
	 * Stored URIs passed validation, so the sentence check needs valid
	 * ones: a stored URI cannot contain '"'. Invalid ones still go to
	 * redirect_uri_explain_mismatch, which must not crash on them.
	 */
	count = 0;
	registered_valid = 1;
	for (i = 1; i < REGISTERED_MAX + 1; i++) {
		if (parts[i][0] == '\0') {
			free(parts[i]);
			continue;
		}
		if (!fuzz_validate(parts[i]))
			registered_valid = 0;
		fuzz_matches(parts[i], parts[0]);
		parts[1 + count++] = parts[i];
	}
	fuzz_explain(parts[0], parts + 1, count, registered_valid);
	fuzz_explain(parts[0], NULL, 0, 1);

	fuzz_free_parts(parts, 1 + count);
	return (0);
}
