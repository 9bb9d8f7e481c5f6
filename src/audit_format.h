/*
 * The details of an audit record (the jsonb column audit_log.details) as
 * one line of text for people, and the redaction of values that could be
 * secrets. Used by the audit log page and by orgoctl audit. No Kore or
 * database calls.
 */
#ifndef ORGO_AUDIT_FORMAT_H
#define ORGO_AUDIT_FORMAT_H

#include <stddef.h>

#include <jansson.h>

/* Replacement text for a redacted value. */
#define AUDIT_FORMAT_REDACTED	"[redacted]"

/* Appended to text that did not fit: U+2026 HORIZONTAL ELLIPSIS. */
#define AUDIT_FORMAT_ELLIPSIS	"\xe2\x80\xa6"

/* Nesting deeper than this is shown as {…} or […]. */
#define AUDIT_FORMAT_DEPTH_MAX	8

/*
 * Replace, at any depth, every value under a key that names a secret
 * (one containing password, secret, token, verifier, hash, cookie or
 * authorization, or the key "code") with AUDIT_FORMAT_REDACTED. Booleans,
 * numbers and nulls are kept, because they cannot hold a secret
 * ("password_generated": true).
 */
void	audit_format_redact(json_t *value);

/*
 * Write 'details' as "key: value, key: value" into 'out'. A nested object
 * is {key: value}, an array [a, b], and an object of exactly "from" and
 * "to" is "a → b". A string is written bare when it is made only of
 * ASCII letters, digits and ._:@/+-. Any other string is written in double
 * quotes, with ", \, control characters, line and paragraph separators
 * and bidi controls escaped as in JSON. So the text is always one line
 * that cannot be read as other pairs. Nothing is redacted here.
 * Text that does not fit ends with AUDIT_FORMAT_ELLIPSIS and sets
 * '*truncated'. Returns 0, or -1 when out_len is below 8.
 */
int	audit_format_details(const json_t *details, char *out,
	    size_t out_len, int *truncated);

#endif
