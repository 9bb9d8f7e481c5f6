/*
 * The Cookie header comes straight from the client, so the parser trusts
 * no length in it and never reads past its NUL.
 */
#include <limits.h>
#include <string.h>

#include "cookie.h"

int
cookie_find(const char *header, const char *name, char *out, size_t out_len)
{
	const char	*p, *value, *end;
	size_t		 name_len, len;

	name_len = strlen(name);
	for (p = header; *p != '\0'; p = end) {
		while (*p == ' ' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if ((size_t)(end - p) > name_len && p[name_len] == '=' &&
		    memcmp(p, name, name_len) == 0) {
			value = p + name_len + 1;
			len = (size_t)(end - value);
			if (len >= out_len || len > INT_MAX)
				return (-1);
			memcpy(out, value, len);
			out[len] = '\0';
			return ((int)len);
		}
	}
	return (-1);
}
