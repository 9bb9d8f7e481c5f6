#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "client_form.h"
#include "util.h"
#include "redirect_uri.h"
#include "scopes.h"

#define CLIENT_REDIRECT_TEXT_MAX	(CLIENT_REDIRECT_URIS_MAX * 2100)

static int
client_is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v');
}

/* Copy 'len' bytes of 's' without surrounding whitespace. */
static char *
client_trim(const char *s, size_t len)
{
	char	*out;

	while (len > 0 && client_is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && client_is_space(s[len - 1]))
		len--;
	if ((out = malloc(len + 1)) == NULL)
		return (NULL);
	memcpy(out, s, len);
	out[len] = '\0';
	return (out);
}

/*
 * Check UTF-8, control characters (newlines and tabs allowed only when
 * 'multiline') and the length in characters.
 */
static int
client_text_check(const char *label, const char *s, size_t max_chars,
    int multiline, char *error, size_t error_len)
{
	size_t	len, i;

	len = strlen(s);
	if (u8_check((const uint8_t *)s, len) != NULL) {
		snprintf(error, error_len, "%s is not valid UTF-8", label);
		return (-1);
	}
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if ((c < 0x20 || c == 0x7f) && !(multiline &&
		    (c == '\n' || c == '\r' || c == '\t'))) {
			snprintf(error, error_len, "%s must not contain "
			    "control characters", label);
			return (-1);
		}
	}
	if (u8_mbsnlen((const uint8_t *)s, len) > max_chars) {
		snprintf(error, error_len, "%s must be at most %zu characters",
		    label, max_chars);
		return (-1);
	}
	return (0);
}

static void
client_check_name(struct client_input *in, const char *name)
{
	if ((in->name = client_trim(name, strlen(name))) == NULL) {
		snprintf(in->name_error, sizeof(in->name_error),
		    "out of memory");
		return;
	}
	if (in->name[0] == '\0') {
		snprintf(in->name_error, sizeof(in->name_error),
		    "Name is required");
		return;
	}
	(void)client_text_check("Name", in->name, CLIENT_NAME_MAX, 0,
	    in->name_error, sizeof(in->name_error));
}

static void
client_check_description(struct client_input *in, const char *description)
{
	in->description = client_trim(description, strlen(description));
	if (in->description == NULL) {
		snprintf(in->description_error, sizeof(in->description_error),
		    "out of memory");
		return;
	}
	(void)client_text_check("Description", in->description,
	    CLIENT_DESCRIPTION_MAX, 1, in->description_error,
	    sizeof(in->description_error));
}

/*
 * Split 'text' into URIs (one per line, trimmed, blank lines skipped),
 * each valid by redirect_uri_validate(), without duplicates. The list may
 * be empty unless 'required'.
 */
static void
client_check_uri_list(const char *text, char **uris, size_t *count,
    int required, char *error, size_t error_len)
{
	const char	*line, *end;
	char		*uri, reason[CLIENT_FIELD_ERROR_MAX - 32];
	size_t		 number, i, lines[CLIENT_REDIRECT_URIS_MAX];

	if (strlen(text) > CLIENT_REDIRECT_TEXT_MAX) {
		snprintf(error, error_len,
		    "Redirect URIs must be at most %d bytes in all",
		    CLIENT_REDIRECT_TEXT_MAX);
		return;
	}

	number = 0;
	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		number++;
		if ((uri = client_trim(line, (size_t)(end - line))) == NULL)
			return;
		if (uri[0] == '\0') {
			free(uri);
			continue;
		}
		if (*count == CLIENT_REDIRECT_URIS_MAX) {
			free(uri);
			snprintf(error, error_len,
			    "at most %d redirect URIs are allowed",
			    CLIENT_REDIRECT_URIS_MAX);
			return;
		}
		if (redirect_uri_validate(uri, strlen(uri), reason,
		    sizeof(reason)) == -1) {
			snprintf(error, error_len,
			    "line %zu: %s", number, reason);
			free(uri);
			return;
		}
		for (i = 0; i < *count; i++) {
			if (strcmp(uris[i], uri) == 0) {
				snprintf(error, error_len, "line %zu: "
				    "duplicate of line %zu", number, lines[i]);
				free(uri);
				return;
			}
		}
		lines[*count] = number;
		uris[(*count)++] = uri;
	}

	if (*count == 0 && required) {
		snprintf(error, error_len, "a public app without the "
		    "device grant needs at least one redirect URI");
	}
}

static void
client_check_scopes(struct client_input *in, const char *const *names,
    size_t count)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} allowed[] = {
		{ "openid", SCOPE_OPENID },
		{ "profile", SCOPE_PROFILE },
		{ "email", SCOPE_EMAIL },
		{ "groups", SCOPE_GROUPS },
		{ "roles", SCOPE_ROLES },
	};
	size_t		i, j;

	/* openid is always allowed: it only signs the member in. */
	in->scopes = SCOPE_OPENID;
	for (i = 0; i < count; i++) {
		for (j = 0; j < sizeof(allowed) / sizeof(allowed[0]); j++) {
			if (strcmp(names[i], allowed[j].name) == 0)
				break;
		}
		if (j == sizeof(allowed) / sizeof(allowed[0])) {
			snprintf(in->scopes_error, sizeof(in->scopes_error),
			    "unknown scope \"%.32s\": choose from profile, "
			    "email, groups, roles", names[i]);
			return;
		}
		in->scopes |= allowed[j].bit;
	}
}

int
client_input_check(struct client_input *in, const char *name,
    const char *description, const char *redirect_text,
    const char *logout_text, const char *const *scope_names,
    size_t scope_count, const char *type, int device_grant)
{
	memset(in, 0, sizeof(*in));

	if (type != NULL) {
		if (strcmp(type, "public") == 0) {
			in->is_public = 1;
		} else if (strcmp(type, "confidential") != 0) {
			snprintf(in->type_error, sizeof(in->type_error),
			    "Client type must be confidential or public");
		}
	}

	client_check_name(in, name);
	client_check_description(in, description);
	client_check_uri_list(redirect_text, in->redirect_uris,
	    &in->redirect_count, in->is_public && !device_grant,
	    in->redirect_error, sizeof(in->redirect_error));
	client_check_uri_list(logout_text, in->logout_uris, &in->logout_count,
	    0, in->logout_error, sizeof(in->logout_error));
	client_check_scopes(in, scope_names, scope_count);

	if (in->name_error[0] || in->description_error[0] ||
	    in->redirect_error[0] || in->logout_error[0] ||
	    in->scopes_error[0] || in->type_error[0])
		return (-1);
	return (0);
}

void
client_input_free(struct client_input *in)
{
	size_t	i;

	free(in->name);
	free(in->description);
	for (i = 0; i < in->redirect_count; i++)
		free(in->redirect_uris[i]);
	for (i = 0; i < in->logout_count; i++)
		free(in->logout_uris[i]);
	memset(in, 0, sizeof(*in));
}

char *
client_redirects_join(char *const *uris, size_t count)
{
	size_t	 i, len;
	char	*out, *p;

	len = 1;
	for (i = 0; i < count; i++)
		len += strlen(uris[i]) + 1;
	if ((out = malloc(len)) == NULL)
		return (NULL);
	p = out;
	for (i = 0; i < count; i++) {
		len = strlen(uris[i]);
		memcpy(p, uris[i], len);
		p += len;
		if (i + 1 < count)
			*p++ = '\n';
	}
	*p = '\0';
	return (out);
}

int
client_id_new(char out[CLIENT_ID_LEN + 1])
{
	uint8_t	raw[16];

	/* A leading '-' or '_' (1 in 32) is drawn again. */
	do {
		if (util_random(raw, sizeof(raw)) == -1)
			return (-1);
		util_b64url_encode(raw, sizeof(raw), out);
	} while (out[0] == '-' || out[0] == '_');
	return (0);
}
