/*
 * client_input_check on the fields of the application form (admin pages
 * and orgoctl). The input is name, description, redirect URIs, logout
 * URIs, client type and scope names, separated by NUL bytes. Accepted
 * URIs must each pass redirect_uri_validate.
 */
#include "client_form.h"
#include "fuzz.h"
#include "redirect_uri.h"
#include "scopes.h"

#define FUZZ_FIELDS	6
#define FUZZ_SCOPES_MAX	4

static void
fuzz_check_uris(char *const *uris, size_t count)
{
	char	error[256];
	size_t	i, j;

	FUZZ_CHECK(count <= CLIENT_REDIRECT_URIS_MAX);
	for (i = 0; i < count; i++) {
		FUZZ_CHECK(redirect_uri_validate(uris[i], strlen(uris[i]),
		    error, sizeof(error)) == 0);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(uris[i], uris[j]) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_input	 in;
	char			*parts[FUZZ_FIELDS], *joined;
	const char		*scopes[FUZZ_SCOPES_MAX];
	size_t			 scope_count;
	char			*scope_text, *p;
	int			 rc, device;

	fuzz_split(data, size, parts, FUZZ_FIELDS);

	/* The last field holds scope names separated by spaces. */
	scope_text = parts[FUZZ_FIELDS - 1];
	scope_count = 0;
	for (p = strtok(scope_text, " "); p != NULL &&
	    scope_count < FUZZ_SCOPES_MAX; p = strtok(NULL, " "))
		scopes[scope_count++] = p;

	/* The low bit of the first byte sets device_grant. */
	device = size > 0 && (data[0] & 1);
	rc = client_input_check(&in, parts[0], parts[1], parts[2], parts[3],
	    scopes, scope_count, parts[4][0] == '-' ? NULL : parts[4], device);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(memchr(in.redirect_error, '\0',
	    sizeof(in.redirect_error)) != NULL);
	FUZZ_CHECK(memchr(in.logout_error, '\0',
	    sizeof(in.logout_error)) != NULL);
	fuzz_check_uris(in.redirect_uris, in.redirect_count);
	fuzz_check_uris(in.logout_uris, in.logout_count);
	if (rc == 0) {
		FUZZ_CHECK(in.name != NULL && in.name[0] != '\0');
		FUZZ_CHECK(in.redirect_count > 0 || !in.is_public || device);
		FUZZ_CHECK((in.scopes & SCOPE_OPENID) != 0);
		joined = client_redirects_join(in.redirect_uris,
		    in.redirect_count);
		FUZZ_CHECK(joined != NULL);
		free(joined);
	}

	client_input_free(&in);
	fuzz_free_parts(parts, FUZZ_FIELDS);
	return (0);
}
