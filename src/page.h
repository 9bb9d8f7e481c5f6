/* HTML pages: the layout around every page, error pages, static assets. */
#ifndef ORGO_PAGE_H
#define ORGO_PAGE_H

#include <kore/kore.h>
#include <kore/http.h>

#include "html.h"
#include "session.h"
#include "template.h"

extern struct template_set	page_templates;

/* Load assets/ in the parent. Returns 0 or -1 with a message. */
int	page_load_assets(const char *dir, char *error, size_t error_len);

/*
 * Render template 'name' with 'vars' into 'out'. A missing template or
 * variable is a programming error: it is logged and -1 returned.
 */
int	page_render(struct html_buf *out, const char *name,
	    const struct template_var *vars, size_t count);

/* Send 'body' (HTML already rendered) inside the layout. */
void	page_send(struct http_request *req, int status, const char *title,
	    const char *body, const struct session *s);

/*
 * Render template 'name' with 'vars' and send it inside the layout; a
 * rendering failure sends 500.
 */
void	page_send_template(struct http_request *req, int status,
	    const char *title, const char *name, const struct template_var *vars,
	    size_t count, const struct session *s);

/* An error page with a title and a message (both plain text). */
void	page_error(struct http_request *req, int status, const char *title,
	    const char *message, const struct session *s);
void	page_unavailable(struct http_request *req);

#endif
