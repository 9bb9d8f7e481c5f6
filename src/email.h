/* Email address checks and the case-insensitive key that makes them unique. */
#ifndef ORGO_EMAIL_H
#define ORGO_EMAIL_H

#include <stddef.h>

/* RFC 5321 4.5.3.1: a path is at most 256 bytes with its < and >. */
#define EMAIL_MAX		254
/* RFC 5321 4.5.3.1.1: a local part is at most 64 bytes. */
#define EMAIL_LOCAL_MAX		64

/*
 * Check the form of an address typed by a person: valid UTF-8 of at most
 * EMAIL_MAX bytes, one @, a local part of 1 to EMAIL_LOCAL_MAX bytes and
 * a domain with a dot. Returns 0, or -1 with a message in 'error'.
 */
int	email_valid(const char *e, size_t len, char *error,
	    size_t error_len);

/*
 * Return the uniqueness key of an address, as a malloc'd NUL-terminated
 * string: the Unicode case folding of the address, normalised to NFC, so
 * that addresses differing only in letter case or in composed versus
 * decomposed accents share a key. Returns NULL for invalid UTF-8, a NUL
 * byte, more than EMAIL_MAX bytes, or when memory runs out.
 */
char	*email_key(const char *e, size_t len);

#endif
