#include <string.h>

#include "cors.h"

/* Length of scheme://authority at the start of 'uri', or 0. */
static size_t
cors_uri_origin_len(const char *uri, size_t len)
{
	size_t	start, i;

	if (len > 8 && strncmp(uri, "https://", 8) == 0)
		start = 8;
	else if (len > 7 && strncmp(uri, "http://", 7) == 0)
		start = 7;
	else
		return (0);

	for (i = start; i < len; i++) {
		if (uri[i] == '/' || uri[i] == '?' || uri[i] == '#')
			break;
	}
	return (i > start ? i : 0);
}

int
cors_origin_allowed(const char *origin, const char *redirect_uris)
{
	const char	*line, *end;
	size_t		 origin_len, len;

	origin_len = strlen(origin);
	if (origin_len == 0 || strcmp(origin, "null") == 0)
		return (0);

	for (line = redirect_uris; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		len = cors_uri_origin_len(line, (size_t)(end - line));
		if (len == origin_len && memcmp(line, origin, len) == 0)
			return (1);
	}
	return (0);
}
