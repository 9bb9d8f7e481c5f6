/*
 * audit_format_details on any JSON value, with several output sizes, then
 * audit_format_redact. The text must be one line of valid UTF-8 without
 * control characters, and a truncated text must be a prefix of the whole
 * one followed by the ellipsis.
 */
#include <jansson.h>

#include "audit_format.h"
#include "fuzz.h"

#define FUZZ_AUDIT_WHOLE	(1024 * 1024)

static int
fuzz_utf8_valid(const unsigned char *s)
{
	size_t	n, i;

	while (*s != '\0') {
		if (*s < 0x80)
			n = 1;
		else if (*s >= 0xc2 && *s <= 0xdf)
			n = 2;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4;
		else
			return (0);
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return (0);
		}
		s += n;
	}
	return (1);
}

static void
fuzz_check_text(const char *text)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
	FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)text));
}

static void
fuzz_format(const json_t *details, const char *whole, int whole_truncated,
    size_t out_len)
{
	static const char	ellipsis[] = AUDIT_FORMAT_ELLIPSIS;
	char			*out;
	size_t			 len, cut;
	int			 truncated;

	if ((out = malloc(out_len)) == NULL)
		abort();
	FUZZ_CHECK(audit_format_details(details, out, out_len,
	    &truncated) == 0);
	len = strlen(out);
	FUZZ_CHECK(len < out_len);
	fuzz_check_text(out);
	if (!truncated) {
		if (!whole_truncated)
			FUZZ_CHECK(strcmp(out, whole) == 0);
	} else {
		FUZZ_CHECK(len >= sizeof(ellipsis) - 1);
		cut = len - (sizeof(ellipsis) - 1);
		FUZZ_CHECK(strcmp(out + cut, ellipsis) == 0);
		FUZZ_CHECK(strncmp(out, whole, cut) == 0);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 sizes[] = { 8, 9, 10, 11, 16, 64, 1000 };
	json_t			*details;
	json_error_t		 error;
	char			*whole;
	size_t			 i;
	int			 truncated;

	details = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
	if (details == NULL)
		return (0);
	if ((whole = malloc(FUZZ_AUDIT_WHOLE)) == NULL)
		abort();
	FUZZ_CHECK(audit_format_details(details, whole, FUZZ_AUDIT_WHOLE,
	    &truncated) == 0);
	fuzz_check_text(whole);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		fuzz_format(details, whole, truncated, sizes[i]);

	audit_format_redact(details);
	FUZZ_CHECK(audit_format_details(details, whole, FUZZ_AUDIT_WHOLE,
	    &truncated) == 0);
	fuzz_check_text(whole);

	free(whole);
	json_decref(details);
	return (0);
}
