/* Lookup of one cookie in a Cookie request header (RFC 6265 section 5.4). */
#ifndef ORGO_COOKIE_H
#define ORGO_COOKIE_H

#include <stddef.h>

/*
 * Copy the value of the first cookie called 'name' in 'header' into 'out'
 * with a NUL. Pairs are separated by ';' and optional spaces, and names
 * compare byte for byte. Returns the value's length, or -1 when the cookie
 * is missing or the value does not fit in out_len with its NUL.
 */
int	cookie_find(const char *header, const char *name, char *out,
	    size_t out_len);

#endif
