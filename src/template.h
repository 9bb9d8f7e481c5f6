/*
 * HTML templates from assets/. {{name}} inserts a value HTML-escaped;
 * {{{name}}} inserts it as is, for fragments the code built with
 * html_buf_append_escaped(). A name not given to the renderer is an error,
 * so a typo never renders as an empty string.
 */
#ifndef ORGO_TEMPLATE_H
#define ORGO_TEMPLATE_H

#include <stddef.h>

#include "html.h"

#define TEMPLATE_MAX		64
#define TEMPLATE_NAME_MAX	64

struct template {
	char	 name[TEMPLATE_NAME_MAX];
	char	*text;
	size_t	 len;
};

struct template_set {
	struct template	items[TEMPLATE_MAX];
	size_t		count;
};

struct template_var {
	const char	*name;
	const char	*value;		/* NULL renders as empty */
};

/* Load every *.html, *.css and *.js file of 'dir' by file name. */
int	template_load_dir(struct template_set *set, const char *dir,
	    char *error, size_t error_len);
const struct template *template_find(const struct template_set *set,
	    const char *name);
void	template_set_free(struct template_set *set);

int	template_render(const struct template *t,
	    const struct template_var *vars, size_t count,
	    struct html_buf *out, char *error, size_t error_len);

#endif
