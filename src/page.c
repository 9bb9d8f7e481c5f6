/*
 * Page layout and static assets. Templates are read in the parent before
 * the workers chroot, and served from memory.
 */
#include <string.h>

#include "http_util.h"
#include "page.h"

struct template_set	page_templates;

int	asset_serve(struct http_request *);

int
page_load_assets(const char *dir, char *error, size_t error_len)
{
	static const char	*required[] = { "layout.html", "error.html",
	    "style.css" };
	size_t			 i;

	if (template_load_dir(&page_templates, dir, error, error_len) == -1)
		return (-1);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (template_find(&page_templates, required[i]) == NULL) {
			snprintf(error, error_len, "%s/%s is missing", dir,
			    required[i]);
			return (-1);
		}
	}
	return (0);
}

int
page_render(struct html_buf *out, const char *name,
    const struct template_var *vars, size_t count)
{
	const struct template	*t;
	char			 error[256];

	if ((t = template_find(&page_templates, name)) == NULL) {
		kore_log(LOG_ERR, "page: template %s not found", name);
		return (-1);
	}
	if (template_render(t, vars, count, out, error, sizeof(error)) == -1) {
		kore_log(LOG_ERR, "page: %s", error);
		return (-1);
	}
	return (0);
}

void
page_send(struct http_request *req, int status, const char *title,
    const char *body, const struct session *s)
{
	struct html_buf		out;
	const char		*signed_in = NULL, *csrf = NULL, *name = NULL;
	const char		*admin = NULL;

	if (s != NULL && s->present) {
		signed_in = "yes";
		csrf = s->csrf;
		name = s->name;
		admin = s->is_admin ? "yes" : NULL;
	}

	struct template_var	vars[] = {
		{ "title", title },
		{ "body", body },
		{ "member_name", name },
		{ "csrf", csrf },
		{ "signed_in_class", signed_in ? "" : "hidden" },
		{ "admin_class", admin ? "" : "hidden" },
	};

	memset(&out, 0, sizeof(out));
	if (page_render(&out, "layout.html", vars,
	    sizeof(vars) / sizeof(vars[0])) == -1) {
		html_buf_free(&out);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}

	http_util_html_headers(req);
	http_response(req, status, out.data, out.len);
	html_buf_free(&out);
}

void
page_send_template(struct http_request *req, int status, const char *title,
    const char *name, const struct template_var *vars, size_t count,
    const struct session *s)
{
	struct html_buf	body;

	memset(&body, 0, sizeof(body));
	if (page_render(&body, name, vars, count) == -1) {
		html_buf_free(&body);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}
	page_send(req, status, title, body.data, s);
	html_buf_free(&body);
}

void
page_error(struct http_request *req, int status, const char *title,
    const char *message, const struct session *s)
{
	struct html_buf		body;
	struct template_var	vars[] = {
		{ "title", title },
		{ "message", message },
	};

	memset(&body, 0, sizeof(body));
	if (page_render(&body, "error.html", vars, 2) == -1) {
		html_buf_free(&body);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}
	page_send(req, status, title, body.data, s);
	html_buf_free(&body);
}

void
page_unavailable(struct http_request *req)
{
	http_response_header(req, "retry-after", "5");
	page_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE,
	    "Temporarily unavailable", "The service cannot reach its "
	    "database right now. Please try again in a few seconds.", NULL);
}

/* GET /assets/<file>: CSS, scripts and images from memory. */
int
asset_serve(struct http_request *req)
{
	const struct template	*t;
	const char		*name, *type;
	size_t			 len;

	name = strrchr(req->path, '/') + 1;
	len = strlen(name);
	if ((t = template_find(&page_templates, name)) == NULL ||
	    (len > 5 && strcmp(name + len - 5, ".html") == 0)) {
		http_response(req, HTTP_STATUS_NOT_FOUND, NULL, 0);
		return (KORE_RESULT_OK);
	}

	if (len > 4 && strcmp(name + len - 4, ".css") == 0)
		type = "text/css; charset=utf-8";
	else if (len > 3 && strcmp(name + len - 3, ".js") == 0)
		type = "text/javascript; charset=utf-8";
	else
		type = "image/svg+xml";

	http_response_header(req, "content-type", type);
	http_response_header(req, "cache-control", "public, max-age=3600");
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response(req, HTTP_STATUS_OK, t->text, t->len);
	return (KORE_RESULT_OK);
}
