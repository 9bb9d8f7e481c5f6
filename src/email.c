/*
 * Email addresses as sign-in names. Only the form is checked here, because
 * syntax cannot show that an address exists or belongs to the member.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "email.h"

static int	email_check_characters(const char *, size_t, char *, size_t);
static int	email_check_domain(const char *, size_t, char *, size_t);

int
email_valid(const char *e, size_t len, char *error, size_t error_len)
{
	const char	*at;

	if (len == 0) {
		snprintf(error, error_len, "email address is empty");
		return (-1);
	}
	if (len > EMAIL_MAX) {
		snprintf(error, error_len, "email address is longer than %d "
		    "bytes", EMAIL_MAX);
		return (-1);
	}
	if (u8_check((const uint8_t *)e, len) != NULL) {
		snprintf(error, error_len, "email address is not valid UTF-8");
		return (-1);
	}
	if (email_check_characters(e, len, error, error_len) == -1)
		return (-1);

	at = memchr(e, '@', len);
	if (at == NULL ||
	    memchr(at + 1, '@', len - (size_t)(at - e) - 1) != NULL) {
		snprintf(error, error_len, "email address must contain exactly "
		    "one @");
		return (-1);
	}
	if (at == e) {
		snprintf(error, error_len, "email address has nothing before "
		    "the @");
		return (-1);
	}
	if ((size_t)(at - e) > EMAIL_LOCAL_MAX) {
		snprintf(error, error_len, "email address has more than %d "
		    "bytes before the @", EMAIL_LOCAL_MAX);
		return (-1);
	}

	return (email_check_domain(at + 1, len - (size_t)(at - e) - 1, error,
	    error_len));
}

char *
email_key(const char *e, size_t len)
{
	uint8_t		*folded, *key;
	size_t		 folded_len;

	if (e == NULL || len > EMAIL_MAX || memchr(e, '\0', len) != NULL)
		return (NULL);
	if (u8_check((const uint8_t *)e, len) != NULL)
		return (NULL);

	/*
	 * Full case folding maps "ß" to "ss", so "Straße" and "Strasse"
	 * share a key. No language is given, so Turkish dotless i rules do
	 * not apply and the key does not depend on the member's locale.
	 */
	folded = u8_casefold((const uint8_t *)e, len, NULL, UNINORM_NFC,
	    NULL, &folded_len);
	if (folded == NULL)
		return (NULL);

	if ((key = realloc(folded, folded_len + 1)) == NULL) {
		free(folded);
		return (NULL);
	}
	key[folded_len] = '\0';

	return ((char *)key);
}

/*
 * Reject separators (spaces), controls and invisible format characters
 * such as U+200B ZERO WIDTH SPACE or U+202E RIGHT-TO-LEFT OVERRIDE, which
 * would let two addresses look the same on screen and have different keys.
 */
static int
email_check_characters(const char *e, size_t len, char *error,
    size_t error_len)
{
	const uint8_t	*s = (const uint8_t *)e;
	ucs4_t		 uc;
	size_t		 i;
	int		 n;

	for (i = 0; i < len; i += (size_t)n) {
		n = u8_mbtouc(&uc, s + i, len - i);
		if (uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_Z |
		    UC_CATEGORY_MASK_Cc | UC_CATEGORY_MASK_Cf)) {
			snprintf(error, error_len, "email address must not "
			    "contain spaces, control characters or invisible "
			    "characters (U+%04X at byte %zu)", (unsigned int)uc,
			    i);
			return (-1);
		}
	}

	return (0);
}

static int
email_check_domain(const char *d, size_t len, char *error, size_t error_len)
{
	if (len == 0) {
		snprintf(error, error_len, "email address has no domain after "
		    "the @");
		return (-1);
	}
	if (memchr(d, '.', len) == NULL) {
		snprintf(error, error_len, "email domain must contain a dot, "
		    "as in example.org");
		return (-1);
	}
	if (d[0] == '.' || d[len - 1] == '.') {
		snprintf(error, error_len, "email domain must not start or end "
		    "with a dot");
		return (-1);
	}
	if (memmem(d, len, "..", 2) != NULL) {
		snprintf(error, error_len, "email domain must not contain two "
		    "dots in a row");
		return (-1);
	}

	return (0);
}
