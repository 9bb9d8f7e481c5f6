/* Reading HTML form posts and OAuth form bodies in request handlers. */
#ifndef ORGO_FORM_H
#define ORGO_FORM_H

#include <kore/kore.h>
#include <kore/http.h>

#include "urlform.h"

#define FORM_ERROR_MAX	256

/*
 * Parse the body of 'req' as application/x-www-form-urlencoded into 'f'.
 * Returns 0, or -1 with a message for the client (wrong content type,
 * bad encoding, over a limit).
 */
int	form_read_body(struct http_request *req, struct urlform *f,
	    char *error, size_t error_len);

/* Parse the query string of 'req' into 'f'. Same contract. */
int	form_read_query(struct http_request *req, struct urlform *f,
	    char *error, size_t error_len);

/*
 * Get field 'name' of at most 'max' bytes. A missing field gives "" when
 * 'required' is 0. Returns 0, or -1 with a message naming the field
 * (missing, given more than once, too long).
 */
int	form_field(const struct urlform *f, const char *name, size_t max,
	    int required, const char **out, char *error, size_t error_len);

#endif
