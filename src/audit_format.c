/*
 * Audit record details as one line of text. The output goes into HTML
 * (escaped by the caller) and to terminals, so every character that could
 * break the line or reorder what a reader sees is escaped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_format.h"

#define AUDIT_ARROW	" \xe2\x86\x92 "	/* U+2192 RIGHTWARDS ARROW */

struct audit_writer {
	char	*out;
	size_t	 len;
	size_t	 max;		/* text bytes that fit before the ellipsis */
	int	 full;
};

static const char	*audit_secret_words[] = {
	"password", "secret", "token", "verifier", "hash", "cookie",
	"authorization",
};

static int
audit_secret_key(const char *key)
{
	size_t	i;

	if (strcasecmp(key, "code") == 0)
		return (1);
	for (i = 0; i < sizeof(audit_secret_words) /
	    sizeof(audit_secret_words[0]); i++) {
		if (strcasestr(key, audit_secret_words[i]) != NULL)
			return (1);
	}
	return (0);
}

void
audit_format_redact(json_t *value)
{
	void	*iter;
	json_t	*item, *redacted;
	size_t	 i;

	if (json_is_array(value)) {
		json_array_foreach(value, i, item)
			audit_format_redact(item);
		return;
	}
	if (!json_is_object(value))
		return;

	for (iter = json_object_iter(value); iter != NULL;
	    iter = json_object_iter_next(value, iter)) {
		item = json_object_iter_value(iter);
		if (!audit_secret_key(json_object_iter_key(iter))) {
			audit_format_redact(item);
			continue;
		}
		if (json_is_boolean(item) || json_is_number(item) ||
		    json_is_null(item))
			continue;
		/*
		 * jansson's json_null() returns a static value and cannot
		 * fail, so the secret is always replaced.
		 */
		if ((redacted = json_string(AUDIT_FORMAT_REDACTED)) == NULL)
			redacted = json_null();
		(void)json_object_iter_set_new(value, iter, redacted);
	}
}

/* Append 'len' bytes, or as many whole UTF-8 characters as still fit. */
static void
audit_put(struct audit_writer *w, const char *s, size_t len)
{
	size_t	room;

	if (w->full)
		return;
	room = w->max - w->len;
	if (len > room) {
		while (room > 0 && ((unsigned char)s[room] & 0xc0) == 0x80)
			room--;
		len = room;
		w->full = 1;
	}
	memcpy(w->out + w->len, s, len);
	w->len += len;
}

static void
audit_put_text(struct audit_writer *w, const char *s)
{
	audit_put(w, s, strlen(s));
}

static int
audit_bare(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] != '\0' && strchr("._:@/+-", s[i]) != NULL)))
			return (0);
	}
	return (1);
}

/*
 * Decode the UTF-8 character at s (at most 'len' bytes) into '*code'.
 * Returns its length, or 0 for an invalid sequence.
 */
static size_t
audit_utf8_decode(const unsigned char *s, size_t len, uint32_t *code)
{
	size_t	n, i;

	if (s[0] < 0x80) {
		*code = s[0];
		return (1);
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		*code = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		*code = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		*code = s[0] & 0x07;
	} else {
		return (0);
	}
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		*code = (*code << 6) | (s[i] & 0x3f);
	}
	return (n);
}

/*
 * Characters that end a line or change the order in which text is shown:
 * C0 and C1 controls, DEL, U+2028 and U+2029, and the bidi embeddings,
 * overrides, isolates and marks.
 */
static int
audit_escaped(uint32_t code)
{
	return (code < 0x20 || (code >= 0x7f && code <= 0x9f) ||
	    code == 0x061c || code == 0x200e || code == 0x200f ||
	    (code >= 0x2028 && code <= 0x202e) ||
	    (code >= 0x2066 && code <= 0x2069));
}

static void
audit_put_string(struct audit_writer *w, const char *s, size_t len)
{
	char		 escape[8];
	uint32_t	 code;
	size_t		 i, n;

	if (audit_bare(s, len)) {
		audit_put(w, s, len);
		return;
	}

	audit_put_text(w, "\"");
	for (i = 0; i < len; i += n) {
		n = audit_utf8_decode((const unsigned char *)s + i, len - i,
		    &code);
		if (n == 0) {
			audit_put_text(w, "\\ufffd");
			n = 1;
		} else if (code == '"' || code == '\\') {
			escape[0] = '\\';
			escape[1] = (char)code;
			audit_put(w, escape, 2);
		} else if (code == '\n') {
			audit_put_text(w, "\\n");
		} else if (code == '\t') {
			audit_put_text(w, "\\t");
		} else if (audit_escaped(code)) {
			snprintf(escape, sizeof(escape), "\\u%04x",
			    (unsigned int)code);
			audit_put_text(w, escape);
		} else {
			audit_put(w, s + i, n);
		}
	}
	audit_put_text(w, "\"");
}

/* Numbers, booleans and null as JSON writes them. */
static void
audit_put_scalar(struct audit_writer *w, const json_t *value)
{
	char	*text;

	if ((text = json_dumps(value, JSON_ENCODE_ANY)) == NULL) {
		audit_put_text(w, "?");
		return;
	}
	audit_put_text(w, text);
	free(text);
}

static void	audit_put_value(struct audit_writer *, const json_t *, int);

static void
audit_put_pairs(struct audit_writer *w, const json_t *object, int depth)
{
	const char	*key;
	json_t		*item;
	int		 first;

	first = 1;
	json_object_foreach((json_t *)object, key, item) {
		if (!first)
			audit_put_text(w, ", ");
		first = 0;
		audit_put_string(w, key, strlen(key));
		audit_put_text(w, ": ");
		audit_put_value(w, item, depth + 1);
	}
}

/* An object of exactly "from" and "to", as written for changed fields. */
static int
audit_is_change(const json_t *object)
{
	return (json_object_size(object) == 2 &&
	    json_object_get(object, "from") != NULL &&
	    json_object_get(object, "to") != NULL);
}

static void
audit_put_value(struct audit_writer *w, const json_t *value, int depth)
{
	json_t	*item;
	size_t	 i;

	switch (json_typeof(value)) {
	case JSON_OBJECT:
		if (depth >= AUDIT_FORMAT_DEPTH_MAX) {
			audit_put_text(w, "{" AUDIT_FORMAT_ELLIPSIS "}");
		} else if (audit_is_change(value)) {
			audit_put_value(w, json_object_get(value, "from"),
			    depth + 1);
			audit_put_text(w, AUDIT_ARROW);
			audit_put_value(w, json_object_get(value, "to"),
			    depth + 1);
		} else {
			audit_put_text(w, "{");
			audit_put_pairs(w, value, depth);
			audit_put_text(w, "}");
		}
		break;
	case JSON_ARRAY:
		if (depth >= AUDIT_FORMAT_DEPTH_MAX) {
			audit_put_text(w, "[" AUDIT_FORMAT_ELLIPSIS "]");
			break;
		}
		audit_put_text(w, "[");
		json_array_foreach((json_t *)value, i, item) {
			if (i > 0)
				audit_put_text(w, ", ");
			audit_put_value(w, item, depth + 1);
		}
		audit_put_text(w, "]");
		break;
	case JSON_STRING:
		audit_put_string(w, json_string_value(value),
		    json_string_length(value));
		break;
	default:
		audit_put_scalar(w, value);
		break;
	}
}

int
audit_format_details(const json_t *details, char *out, size_t out_len,
    int *truncated)
{
	struct audit_writer	w;
	static const char	ellipsis[] = AUDIT_FORMAT_ELLIPSIS;

	*truncated = 0;
	if (out_len < 8)
		return (-1);

	memset(&w, 0, sizeof(w));
	w.out = out;
	w.max = out_len - sizeof(ellipsis);
	if (json_is_object(details))
		audit_put_pairs(&w, details, 0);
	else
		audit_put_value(&w, details, 0);

	if (w.full) {
		memcpy(w.out + w.len, ellipsis, sizeof(ellipsis) - 1);
		w.len += sizeof(ellipsis) - 1;
		*truncated = 1;
	}
	out[w.len] = '\0';
	return (0);
}
