/* Parsing, formatting and consent texts for the scopes this server supports. */
#include <stdio.h>
#include <string.h>

#include "scopes.h"

/* Maximum length of an unknown scope quoted in an error message. */
#define SCOPES_QUOTE_MAX	64

struct scope {
	unsigned int	 flag;
	const char	*name;
	const char	*description;
};

/* In the order that scopes_format writes. */
static const struct scope	scope_table[] = {
	{ SCOPE_OPENID, "openid", "Sign you in with your Orgo account" },
	{ SCOPE_PROFILE, "profile", "Your name and profile picture" },
	{ SCOPE_EMAIL, "email",
	    "Your email address and whether it is verified" },
	{ SCOPE_GROUPS, "groups", "The groups you belong to" },
	{ SCOPE_ROLES, "roles", "Your roles in the organisation" },
	{ SCOPE_OFFLINE_ACCESS, "offline_access",
	    "Stay connected when you are not using the app" },
};

#define SCOPE_TABLE_LEN	(sizeof(scope_table) / sizeof(scope_table[0]))

static int	scopes_token_char(unsigned char);
static int	scopes_lookup(const char *, size_t, unsigned int *);

int
scopes_parse(const char *s, size_t len, unsigned int *out, char *error,
    size_t error_len)
{
	size_t		i, end, quote_len;
	unsigned int	set, flag;

	*out = 0;
	if (len > SCOPES_MAX_LEN) {
		snprintf(error, error_len, "scope is longer than %d bytes",
		    SCOPES_MAX_LEN);
		return (-1);
	}

	/* Check every byte first, so the quote below is printable ASCII. */
	for (i = 0; i < len; i++) {
		if (s[i] != ' ' && !scopes_token_char((unsigned char)s[i])) {
			snprintf(error, error_len, "scope contains an invalid "
			    "character (byte 0x%02x at offset %zu)",
			    (unsigned char)s[i], i);
			return (-1);
		}
	}

	set = 0;
	for (i = 0; i < len; i = end) {
		while (i < len && s[i] == ' ')
			i++;
		for (end = i; end < len && s[end] != ' '; end++)
			;
		if (end == i)
			continue;

		if (scopes_lookup(s + i, end - i, &flag) == -1) {
			quote_len = end - i;
			if (quote_len > SCOPES_QUOTE_MAX)
				quote_len = SCOPES_QUOTE_MAX;
			snprintf(error, error_len, "unknown scope \"%.*s%s\"",
			    (int)quote_len, s + i,
			    end - i > SCOPES_QUOTE_MAX ? "..." : "");
			return (-1);
		}
		set |= flag;
	}

	*out = set;
	return (0);
}

size_t
scopes_format(unsigned int set, char *out, size_t out_len)
{
	size_t		i, name_len, separator, n, need, written;

	need = 0;
	written = 0;
	for (i = 0; i < SCOPE_TABLE_LEN; i++) {
		if ((set & scope_table[i].flag) == 0)
			continue;

		name_len = strlen(scope_table[i].name);
		separator = need > 0 ? 1 : 0;
		n = separator + name_len;

		/*
		 * Because 'need' only grows, no name after one that does
		 * not fit is written, and the output never ends inside a
		 * name.
		 */
		if (need + n < out_len) {
			if (separator)
				out[written] = ' ';
			memcpy(out + written + separator, scope_table[i].name,
			    name_len);
			written += n;
		}
		need += n;
	}

	if (out_len > 0)
		out[written] = '\0';

	return (need);
}

int
scopes_subset(unsigned int a, unsigned int b)
{
	return ((a & ~b) == 0);
}

const char *
scopes_description(unsigned int one_scope)
{
	size_t		i;

	for (i = 0; i < SCOPE_TABLE_LEN; i++) {
		if (scope_table[i].flag == one_scope)
			return (scope_table[i].description);
	}

	return (NULL);
}

/* scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), RFC 6749 section 3.3 */
static int
scopes_token_char(unsigned char c)
{
	return (c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e));
}

static int
scopes_lookup(const char *name, size_t len, unsigned int *flag)
{
	size_t		i;

	for (i = 0; i < SCOPE_TABLE_LEN; i++) {
		if (strlen(scope_table[i].name) == len &&
		    memcmp(scope_table[i].name, name, len) == 0) {
			*flag = scope_table[i].flag;
			return (0);
		}
	}

	return (-1);
}
