/*
 * Validation of an OAuth application's registration fields, shared by the
 * admin pages and orgoctl so both give the same messages.
 */
#ifndef ORGO_CLIENT_FORM_H
#define ORGO_CLIENT_FORM_H

#include <stddef.h>

#define CLIENT_NAME_MAX			100	/* characters */
#define CLIENT_DESCRIPTION_MAX		1000	/* characters */
#define CLIENT_REDIRECT_URIS_MAX	20
#define CLIENT_FIELD_ERROR_MAX		256

struct client_input {
	char		*name;			/* trimmed copy */
	char		*description;		/* trimmed copy */
	char		*redirect_uris[CLIENT_REDIRECT_URIS_MAX];
	size_t		 redirect_count;
	char		*logout_uris[CLIENT_REDIRECT_URIS_MAX];
	size_t		 logout_count;
	unsigned int	 scopes;		/* SCOPE_* the app may request */
	int		 is_public;

	char		 name_error[CLIENT_FIELD_ERROR_MAX];
	char		 description_error[CLIENT_FIELD_ERROR_MAX];
	char		 redirect_error[CLIENT_FIELD_ERROR_MAX];
	char		 logout_error[CLIENT_FIELD_ERROR_MAX];
	char		 scopes_error[CLIENT_FIELD_ERROR_MAX];
	char		 type_error[CLIENT_FIELD_ERROR_MAX];
};

/*
 * Check every field and fill 'in' with the cleaned values. 'redirect_text'
 * holds one URI per line; 'logout_text' too (post-logout redirect URIs,
 * same rules, zero allowed). 'scope_names' are the scopes ticked (profile,
 * email, groups, roles). 'type' is "confidential" or "public", or NULL
 * for confidential. A public app needs a redirect URI unless
 * 'device_grant' is set; a confidential one may use client_credentials
 * alone. Returns 0 when every field is valid, -1 when at least one *_error
 * is set. Free with client_input_free.
 */
int	client_input_check(struct client_input *in, const char *name,
	    const char *description, const char *redirect_text,
	    const char *logout_text, const char *const *scope_names,
	    size_t scope_count, const char *type, int device_grant);
void	client_input_free(struct client_input *in);

/*
 * Write a new client_id: 128 random bits, base64url (22 characters),
 * starting with a letter or digit so that it never reads as a command-line
 * option. Returns 0 or -1.
 */
#define CLIENT_ID_LEN	22
int	client_id_new(char out[CLIENT_ID_LEN + 1]);

/* Join the redirect URIs with newlines (for re-showing a form). */
char	*client_redirects_join(char *const *uris, size_t count);

#endif
