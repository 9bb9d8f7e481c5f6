/* OAuth scopes (RFC 6749 section 3.3) that this server supports, as bits. */
#ifndef ORGO_SCOPES_H
#define ORGO_SCOPES_H

#include <stddef.h>

#define SCOPE_OPENID		0x01u
#define SCOPE_PROFILE		0x02u
#define SCOPE_EMAIL		0x04u
#define SCOPE_GROUPS		0x08u
#define SCOPE_ROLES		0x10u
#define SCOPE_OFFLINE_ACCESS	0x20u
#define SCOPES_ALL		0x3fu

/* Maximum length of a scope string that scopes_parse accepts, in bytes. */
#define SCOPES_MAX_LEN		1024
/* Size of a buffer that fits scopes_format of any set, NUL included. */
#define SCOPES_FORMAT_MAX	\
	sizeof("openid profile email groups roles offline_access")

/*
 * Parse a space-separated scope string into a set in '*out'. Repeated,
 * leading and trailing spaces are skipped, duplicates collapse, and an
 * empty string gives the empty set. Returns 0, or -1 with a message in
 * 'error' for a string over SCOPES_MAX_LEN, a byte outside the scope-token
 * characters, or an unknown scope.
 */
int	scopes_parse(const char *s, size_t len, unsigned int *out,
	    char *error, size_t error_len);

/*
 * Write 'set' as a space-separated string in the fixed order openid
 * profile email groups roles offline_access, ignoring unknown bits.
 * Writes only whole names and a NUL. Returns the length of the whole
 * string, so a result >= out_len means 'out' was truncated.
 */
size_t	scopes_format(unsigned int set, char *out, size_t out_len);

/* Return 1 if every scope in 'a' is also in 'b'. */
int	scopes_subset(unsigned int a, unsigned int b);

/*
 * Return the consent page text for one scope, or NULL unless 'one_scope'
 * is exactly one known scope.
 */
const char	*scopes_description(unsigned int one_scope);

#endif
