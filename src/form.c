#include <string.h>

#include "form.h"
#include "util.h"

#define FORM_BODY_MAX	65536

int
form_read_body(struct http_request *req, struct urlform *f, char *error,
    size_t error_len)
{
	const char	*type;
	char		*body;
	ssize_t		 got;
	size_t		 len;
	int		 rc;

	memset(f, 0, sizeof(*f));
	if (!http_request_header(req, "content-type", &type) ||
	    strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0 ||
	    (type[33] != '\0' && type[33] != ';')) {
		snprintf(error, error_len, "the request body must be "
		    "application/x-www-form-urlencoded");
		return (-1);
	}

	len = req->http_body_length;
	if (len > FORM_BODY_MAX) {
		snprintf(error, error_len, "the request body is larger than "
		    "%d bytes", FORM_BODY_MAX);
		return (-1);
	}

	body = kore_malloc(len + 1);
	got = http_body_read(req, body, len);
	if (got < 0 || (size_t)got != len) {
		kore_free(body);
		snprintf(error, error_len, "the request body could not be read");
		return (-1);
	}
	body[len] = '\0';

	rc = urlform_parse(f, body, len, error, error_len);
	/* Bodies carry passwords and secrets. */
	util_wipe(body, len);
	kore_free(body);
	return (rc);
}

int
form_read_query(struct http_request *req, struct urlform *f, char *error,
    size_t error_len)
{
	const char	*query;

	memset(f, 0, sizeof(*f));
	query = req->query_string != NULL ? req->query_string : "";
	return (urlform_parse(f, query, strlen(query), error, error_len));
}

int
form_field(const struct urlform *f, const char *name, size_t max,
    int required, const char **out, char *error, size_t error_len)
{
	size_t		len;

	switch (urlform_get(f, name, out, &len)) {
	case URLFORM_MISSING:
		if (required) {
			snprintf(error, error_len, "%s is missing", name);
			return (-1);
		}
		*out = "";
		return (0);
	case URLFORM_DUPLICATE:
		snprintf(error, error_len, "%s is given more than once", name);
		return (-1);
	case URLFORM_FOUND:
		break;
	}

	if (len > max) {
		snprintf(error, error_len, "%s is longer than %zu bytes", name,
		    max);
		return (-1);
	}
	if (required && len == 0) {
		snprintf(error, error_len, "%s is missing", name);
		return (-1);
	}
	return (0);
}
