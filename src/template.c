#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

#define TEMPLATE_FILE_MAX	(512 * 1024)

static int	template_read(struct template *, const char *, const char *,
		    char *, size_t);
static const struct template_var *template_var_find(
		    const struct template_var *, size_t, const char *, size_t);

static int
template_wanted(const char *name)
{
	size_t	len;

	len = strlen(name);
	if (name[0] == '.' || len >= TEMPLATE_NAME_MAX)
		return (0);
	return ((len > 5 && strcmp(name + len - 5, ".html") == 0) ||
	    (len > 4 && strcmp(name + len - 4, ".css") == 0) ||
	    (len > 3 && strcmp(name + len - 3, ".js") == 0) ||
	    (len > 4 && strcmp(name + len - 4, ".svg") == 0));
}

int
template_load_dir(struct template_set *set, const char *dir, char *error,
    size_t error_len)
{
	DIR		*d;
	struct dirent	*entry;

	memset(set, 0, sizeof(*set));
	if ((d = opendir(dir)) == NULL) {
		snprintf(error, error_len, "cannot open assets folder '%s': %s",
		    dir, strerror(errno));
		return (-1);
	}

	while ((entry = readdir(d)) != NULL) {
		if (!template_wanted(entry->d_name))
			continue;
		if (set->count == TEMPLATE_MAX) {
			snprintf(error, error_len, "more than %d files in '%s'",
			    TEMPLATE_MAX, dir);
			closedir(d);
			return (-1);
		}
		if (template_read(&set->items[set->count], dir, entry->d_name,
		    error, error_len) == -1) {
			closedir(d);
			return (-1);
		}
		set->count++;
	}
	closedir(d);

	return (0);
}

static int
template_read(struct template *t, const char *dir, const char *name,
    char *error, size_t error_len)
{
	FILE	*fp;
	char	 path[4096];
	long	 size;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(error, error_len, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fseek(fp, 0, SEEK_END) == -1 || (size = ftell(fp)) < 0 ||
	    size > TEMPLATE_FILE_MAX || fseek(fp, 0, SEEK_SET) == -1) {
		snprintf(error, error_len, "%s: unreadable or larger than %d "
		    "bytes", path, TEMPLATE_FILE_MAX);
		fclose(fp);
		return (-1);
	}
	if ((t->text = malloc((size_t)size + 1)) == NULL) {
		fclose(fp);
		snprintf(error, error_len, "%s: out of memory", path);
		return (-1);
	}
	t->len = fread(t->text, 1, (size_t)size, fp);
	t->text[t->len] = '\0';
	fclose(fp);
	snprintf(t->name, sizeof(t->name), "%s", name);

	return (0);
}

const struct template *
template_find(const struct template_set *set, const char *name)
{
	size_t	i;

	for (i = 0; i < set->count; i++) {
		if (strcmp(set->items[i].name, name) == 0)
			return (&set->items[i]);
	}
	return (NULL);
}

void
template_set_free(struct template_set *set)
{
	size_t	i;

	for (i = 0; i < set->count; i++)
		free(set->items[i].text);
	memset(set, 0, sizeof(*set));
}

static const struct template_var *
template_var_find(const struct template_var *vars, size_t count,
    const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < count; i++) {
		if (strlen(vars[i].name) == len &&
		    memcmp(vars[i].name, name, len) == 0)
			return (&vars[i]);
	}
	return (NULL);
}

int
template_render(const struct template *t, const struct template_var *vars,
    size_t count, struct html_buf *out, char *error, size_t error_len)
{
	const char			*p, *end, *open, *close;
	const struct template_var	*var;
	size_t				 braces, name_len;
	int				 rc;

	p = t->text;
	end = t->text + t->len;

	while (p < end) {
		open = strstr(p, "{{");
		if (open == NULL) {
			return (html_buf_append(out, p, (size_t)(end - p)) ==
			    -1 ? -1 : 0);
		}
		if (html_buf_append(out, p, (size_t)(open - p)) == -1)
			return (-1);

		braces = (open[2] == '{') ? 3 : 2;
		close = strstr(open + braces, braces == 3 ? "}}}" : "}}");
		if (close == NULL) {
			snprintf(error, error_len, "%s: unclosed {{", t->name);
			return (-1);
		}
		name_len = (size_t)(close - (open + braces));
		var = template_var_find(vars, count, open + braces, name_len);
		if (var == NULL) {
			snprintf(error, error_len, "%s: no value for '%.*s'",
			    t->name, (int)(name_len > 64 ? 64 : name_len),
			    open + braces);
			return (-1);
		}

		rc = 0;
		if (var->value != NULL) {
			if (braces == 3)
				rc = html_buf_append(out, var->value,
				    strlen(var->value));
			else
				rc = html_buf_append_escaped(out, var->value,
				    strlen(var->value));
		}
		if (rc == -1)
			return (-1);
		p = close + braces;
	}

	return (0);
}
