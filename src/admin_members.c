/*
 * Settings → Members: list and search, create, edit, disable and enable,
 * and password reset. Administrators only (role ADMIN_TENANT). Every
 * change is one SQL statement that also writes its audit record, so a
 * change and its record commit together. Passwords are hashed with
 * Argon2id on a Kore task thread; a generated password is shown once and
 * only its hash is stored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "email.h"
#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "member_names.h"
#include "orgo.h"
#include "page.h"
#include "password.h"

#define MEMBERS_BASE		"/settings/members"
#define MEMBERS_PAGE_SIZE	25
#define MEMBERS_PAGE_MAX	10000
#define MEMBERS_SEARCH_MAX	200	/* bytes */

/* The CHECK on members.name counts characters: length(name) <= 200. */
#define MEMBERS_NAME_MAX	200
#define MEMBERS_NAME_BYTES_MAX	(MEMBERS_NAME_MAX * 4)
#define MEMBERS_PICTURE_MAX	2000	/* bytes */

#define MEMBERS_ROLES_MAX	32
#define MEMBERS_GROUPS_MAX	64
#define MEMBERS_LIST_BYTES_MAX	(MEMBERS_GROUPS_MAX * (MEMBER_NAME_MAX + 2))

#define MEMBERS_FIELD_ERROR_MAX	256
#define MEMBERS_ADMIN_ROLE	"ADMIN_TENANT"

/* A number macro as a string literal, for constant SQL and messages. */
#define MEMBERS_TEXT(x)		MEMBERS_TEXT_(x)
#define MEMBERS_TEXT_(x)	#x

/* Argon2id work for a task thread. */
struct members_job {
	struct kore_task	task;		/* first: the task entry casts */
	char			password[PASSWORD_MAX_LEN + 1];
	size_t			password_len;
	char			hash[PASSWORD_HASH_MAX];
	int			ok;
};

/*
 * A submitted member form: the values as typed (kept to show the form
 * again), their cleaned forms, and one message per field.
 */
struct members_input {
	const char	*email;
	const char	*name;
	const char	*picture;
	const char	*roles;
	const char	*groups;
	const char	*password;
	int		 email_verified;

	char		*clean_email;
	char		*email_key;		/* from email_key(): free() */
	char		*clean_name;
	char		*clean_picture;		/* NULL when left empty */
	char		 role_list[MEMBERS_LIST_BYTES_MAX + 1];	/* one a line */
	char		 group_list[MEMBERS_LIST_BYTES_MAX + 1];

	char		 email_error[MEMBERS_FIELD_ERROR_MAX];
	char		 name_error[MEMBERS_FIELD_ERROR_MAX];
	char		 picture_error[MEMBERS_FIELD_ERROR_MAX];
	char		 roles_error[MEMBERS_FIELD_ERROR_MAX];
	char		 groups_error[MEMBERS_FIELD_ERROR_MAX];
	char		 password_error[MEMBERS_FIELD_ERROR_MAX];
};

struct members_ctx {
	struct urlform		 form;
	int			 form_loaded;
	char			 address[64];
	char			 actor[32];		/* the admin's member id */
	char			 member_id[32];		/* the member acted on */
	int			 is_self;
	struct members_input	 in;
	int			 input_failed;

	/* List page. */
	const char		*search;		/* as typed */
	char			*search_trimmed;
	long			 page;

	/* The stored member, copied out of the load query. */
	char			*stored_name;
	char			*stored_email;
	char			*status;
	char			*subject;
	char			*created_at;
	char			*updated_at;
	char			*role_names;		/* every role that exists */

	struct members_job	*job;
	char			 password[PASSWORD_GENERATED_LEN + 1];
	int			 generated;
};

int	members_list(struct http_request *);
int	members_new(struct http_request *);
int	members_edit(struct http_request *);
int	members_status(struct http_request *);
int	members_reset(struct http_request *);

static void
members_ctx_free(void *arg)
{
	struct members_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	kore_free(ctx->in.clean_email);
	free(ctx->in.email_key);
	kore_free(ctx->in.clean_name);
	kore_free(ctx->in.clean_picture);
	kore_free(ctx->search_trimmed);
	kore_free(ctx->stored_name);
	kore_free(ctx->stored_email);
	kore_free(ctx->status);
	kore_free(ctx->subject);
	kore_free(ctx->created_at);
	kore_free(ctx->updated_at);
	kore_free(ctx->role_names);
	if (ctx->job != NULL) {
		util_wipe(ctx->job, sizeof(*ctx->job));
		kore_free(ctx->job);
	}
	util_wipe(ctx->password, sizeof(ctx->password));
}

static int
members_run(struct http_request *req, const flow_step *steps, size_t count)
{
	return (flow_run(req, steps, count, sizeof(struct members_ctx),
	    members_ctx_free, FLOW_HTML));
}

static void
members_send(struct http_request *req, struct flow *f, int status,
    const char *title, const char *template, const struct template_var *vars,
    size_t count)
{
	page_send_template(req, status, title, template, vars, count,
	    &f->session);
}

/* Copy 'value', or "" for SQL NULL, into a new kore_malloc'd string. */
static char *
members_copy(const char *value)
{
	return (kore_strdup(value != NULL ? value : ""));
}

/*
 * Read the member id out of MEMBERS_BASE/<id><suffix> into ctx. Kore's
 * route regex already limited it to 1 to 18 digits, which fit a bigint.
 */
static int
members_path_id(struct http_request *req, struct flow *f, const char *suffix)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*start;
	size_t			 len;

	start = req->path + strlen(MEMBERS_BASE "/");
	len = strspn(start, "0123456789");
	if (len == 0 || len >= sizeof(ctx->member_id) ||
	    strcmp(start + len, suffix) != 0)
		return (-1);
	memcpy(ctx->member_id, start, len);
	ctx->member_id[len] = '\0';

	ctx->is_self = strtoll(ctx->member_id, NULL, 10) ==
	    f->session.member_id;
	return (0);
}

static enum flow_result
members_not_found(struct http_request *req, struct flow *f)
{
	kore_log(LOG_NOTICE, "members: member %lld: %s: no such member",
	    f->session.member_id, req->path);
	page_error(req, HTTP_STATUS_NOT_FOUND, "Member not found",
	    "There is no member with this id.", &f->session);
	return (FLOW_DONE);
}

/*
 * Read the posted form and check its CSRF token. Sends a 400 or 403 page
 * and returns -1 when either fails.
 */
static int
members_read_post(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*csrf;
	char			 error[FORM_ERROR_MAX];

	ctx->form_loaded = 1;
	if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1) {
		kore_log(LOG_NOTICE, "members: member %lld: invalid post to %s: "
		    "%s", f->session.member_id, req->path, error);
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (-1);
	}

	if (form_field(&ctx->form, "csrf_token", UTIL_TOKEN_LEN, 1, &csrf,
	    error, sizeof(error)) == -1 ||
	    !session_csrf_valid(req, &f->session, csrf)) {
		kore_log(LOG_NOTICE, "members: member %lld: rejected post "
		    "without a valid CSRF token or origin",
		    f->session.member_id);
		page_error(req, HTTP_STATUS_FORBIDDEN, "Request rejected",
		    "The form expired or did not come from this site. Go back, "
		    "reload the page and try again.", &f->session);
		return (-1);
	}
	http_util_client_address(req, ctx->address, sizeof(ctx->address));
	snprintf(ctx->actor, sizeof(ctx->actor), "%lld", f->session.member_id);
	return (0);
}

/*
 * Collect the member fields of the posted form. A field that is too long,
 * given twice or not a valid value gets a 400 page naming it, because the
 * form on our pages never sends such a request.
 */
static int
members_read_fields(struct http_request *req, struct flow *f, int creating)
{
	struct members_ctx	*ctx = f->ctx;
	struct members_input	*in = &ctx->in;
	const char		*verified;
	char			 error[FORM_ERROR_MAX];

	in->password = "";
	if (form_field(&ctx->form, "email", EMAIL_MAX, 0, &in->email, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "name", MEMBERS_NAME_BYTES_MAX, 0,
	    &in->name, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "picture", MEMBERS_PICTURE_MAX, 0,
	    &in->picture, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "email_verified", 1, 0, &verified, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "roles", MEMBERS_LIST_BYTES_MAX, 0,
	    &in->roles, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "groups", MEMBERS_LIST_BYTES_MAX, 0,
	    &in->groups, error, sizeof(error)) == -1 ||
	    (creating && form_field(&ctx->form, "password", PASSWORD_MAX_LEN,
	    0, &in->password, error, sizeof(error)) == -1)) {
		kore_log(LOG_NOTICE, "members: member %lld: invalid post to %s: "
		    "%s", f->session.member_id, req->path, error);
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (-1);
	}

	if (verified[0] != '\0' && strcmp(verified, "1") != 0) {
		kore_log(LOG_NOTICE, "members: member %lld: invalid post to %s: "
		    "email_verified is not 1", f->session.member_id, req->path);
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    "email_verified must be 1 or left out", &f->session);
		return (-1);
	}
	in->email_verified = verified[0] == '1';
	return (0);
}

/* Return a kore_malloc'd copy of 's' without leading and trailing blanks. */
static char *
members_trimmed(const char *s)
{
	size_t	len;
	char	*copy;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;

	copy = kore_malloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	return (copy);
}

/*
 * Copy a message of a shared checker ("email address is empty") into a
 * field error as a sentence: capital first letter, full stop at the end.
 */
static void
members_sentence(char *out, size_t out_len, const char *message)
{
	size_t	len;

	/* Leave room for the full stop and the NUL, so a long message is cut. */
	len = strnlen(message, out_len - 2);
	memcpy(out, message, len);
	out[len++] = '.';
	out[len] = '\0';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

static void
members_check_email(struct members_input *in)
{
	char	error[MEMBERS_FIELD_ERROR_MAX];
	size_t	len;

	in->clean_email = members_trimmed(in->email);
	len = strlen(in->clean_email);
	if (len == 0) {
		snprintf(in->email_error, sizeof(in->email_error),
		    "Enter the member's email address.");
		return;
	}
	if (email_valid(in->clean_email, len, error, sizeof(error)) == -1) {
		members_sentence(in->email_error, sizeof(in->email_error),
		    error);
		return;
	}
	if ((in->email_key = email_key(in->clean_email, len)) == NULL) {
		snprintf(in->email_error, sizeof(in->email_error),
		    "The email address could not be normalised. Check it for "
		    "unusual characters.");
	}
}

static void
members_check_name(struct members_input *in)
{
	const uint8_t	*s;
	ucs4_t		 uc;
	size_t		 len, i;
	int		 n;

	in->clean_name = members_trimmed(in->name);
	s = (const uint8_t *)in->clean_name;
	len = strlen(in->clean_name);
	if (len == 0) {
		snprintf(in->name_error, sizeof(in->name_error),
		    "Enter the member's name.");
		return;
	}
	if (u8_mbsnlen(s, len) > MEMBERS_NAME_MAX) {
		snprintf(in->name_error, sizeof(in->name_error),
		    "Name is longer than %d characters.", MEMBERS_NAME_MAX);
		return;
	}

	/* The form parser already rejected invalid UTF-8 and NUL bytes. */
	for (i = 0; i < len; i += (size_t)n) {
		n = u8_mbtouc(&uc, s + i, len - i);
		if (uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_Cc |
		    UC_CATEGORY_MASK_Zl | UC_CATEGORY_MASK_Zp)) {
			snprintf(in->name_error, sizeof(in->name_error),
			    "Name must not contain control characters or line "
			    "breaks.");
			return;
		}
	}
}

static int
members_alnum(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'));
}

/* RFC 3986 2.2 and 2.3: the reserved and unreserved characters. */
static int
members_url_char(unsigned char c)
{
	if (members_alnum(c))
		return (1);
	return (c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL);
}

static int
members_hex(unsigned char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

/*
 * Check the authority of an https URL: a host name or a bracketed IPv6
 * address, and an optional port. User names and passwords are rejected
 * because a picture URL is shown to every application the member uses.
 */
static int
members_check_authority(const char *a, size_t len, char *error,
    size_t error_len)
{
	const char	*port;
	size_t		 host_len, i;
	long		 number;

	if (len == 0) {
		snprintf(error, error_len, "Picture URL has no host name.");
		return (-1);
	}
	if (memchr(a, '@', len) != NULL) {
		snprintf(error, error_len, "Picture URL must not contain a user "
		    "name or password.");
		return (-1);
	}

	if (a[0] == '[') {
		for (host_len = 1; host_len < len && a[host_len] != ']';
		    host_len++) {
			if (!members_hex((unsigned char)a[host_len]) &&
			    a[host_len] != ':' && a[host_len] != '.')
				break;
		}
		if (host_len == len || a[host_len] != ']' || host_len < 3) {
			snprintf(error, error_len, "Picture URL has an invalid "
			    "IPv6 address.");
			return (-1);
		}
		host_len++;
	} else {
		host_len = strcspn(a, ":");
		if (host_len > len)
			host_len = len;
		for (i = 0; i < host_len; i++) {
			if (!members_alnum((unsigned char)a[i]) &&
			    a[i] != '-' && a[i] != '.')
				break;
		}
		if (host_len == 0 || i != host_len || a[0] == '.' ||
		    a[0] == '-' || a[host_len - 1] == '.' ||
		    a[host_len - 1] == '-' || memmem(a, host_len, "..", 2)) {
			snprintf(error, error_len, "Picture URL has an invalid "
			    "host name.");
			return (-1);
		}
	}

	if (host_len == len)
		return (0);
	port = a + host_len;
	number = 0;
	for (i = 1; i < len - host_len && number <= 65535; i++) {
		if (port[i] < '0' || port[i] > '9')
			break;
		number = number * 10 + (port[i] - '0');
	}
	if (port[0] != ':' || i == 1 || i != len - host_len || number < 1 ||
	    number > 65535) {
		snprintf(error, error_len, "Picture URL has an invalid port.");
		return (-1);
	}
	return (0);
}

/*
 * An optional https URL of at most MEMBERS_PICTURE_MAX bytes (the form
 * field limit) made only of URL characters, so the value can go into the
 * OpenID Connect 'picture' claim unchanged. Non-ASCII text must be
 * percent-encoded.
 */
static void
members_check_picture(struct members_input *in)
{
	const char	*p, *authority;
	size_t		 len, i;

	in->clean_picture = members_trimmed(in->picture);
	p = in->clean_picture;
	len = strlen(p);
	if (len == 0) {
		kore_free(in->clean_picture);
		in->clean_picture = NULL;
		return;
	}

	if (strncmp(p, "https://", 8) != 0) {
		snprintf(in->picture_error, sizeof(in->picture_error),
		    "Picture URL must start with https://.");
		return;
	}
	for (i = 0; i < len; i++) {
		if (p[i] == '%') {
			if (i + 2 >= len || !members_hex((unsigned char)p[i + 1]) ||
			    !members_hex((unsigned char)p[i + 2])) {
				snprintf(in->picture_error,
				    sizeof(in->picture_error), "Picture URL has "
				    "an invalid percent escape at byte %zu.", i + 1);
				return;
			}
			continue;
		}
		if (!members_url_char((unsigned char)p[i])) {
			snprintf(in->picture_error, sizeof(in->picture_error),
			    "Picture URL contains a character that URLs do not "
			    "allow at byte %zu. Percent-encode it as %%XX.", i + 1);
			return;
		}
	}

	authority = p + 8;
	(void)members_check_authority(authority, strcspn(authority, "/?#"),
	    in->picture_error, sizeof(in->picture_error));
}

/* Return 1 when 'name' is a line of the newline-separated 'list'. */
static int
members_list_has(const char *list, const char *name, size_t len)
{
	const char	*line, *end;

	for (line = list; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if ((size_t)(end - line) == len && memcmp(line, name, len) == 0)
			return (1);
	}
	return (0);
}

/*
 * Split comma-separated role or group names into 'out', one name a line,
 * without blanks around names, empty items or repeats. The output is
 * never longer than the input. Returns 0, or -1 with a message in 'error'.
 */
static int
members_split_names(const char *text, int roles, char *out, size_t out_len,
    char *error, size_t error_len)
{
	const char	*item, *end, *kind;
	size_t		 len, used, count, max;

	kind = roles ? "Role" : "Group";
	max = roles ? MEMBERS_ROLES_MAX : MEMBERS_GROUPS_MAX;
	used = 0;
	count = 0;
	out[0] = '\0';

	for (item = text; *item != '\0'; item = *end ? end + 1 : end) {
		end = item + strcspn(item, ",");
		while (item < end && (*item == ' ' || *item == '\t'))
			item++;
		len = (size_t)(end - item);
		while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			len--;
		if (len == 0 || members_list_has(out, item, len))
			continue;

		if (len > MEMBER_NAME_MAX) {
			snprintf(error, error_len, "%s names are at most %d "
			    "characters long.", kind, MEMBER_NAME_MAX);
			return (-1);
		}
		if (roles ? !member_role_valid(item, len) :
		    !member_group_valid(item, len)) {
			snprintf(error, error_len, "%s \"%.*s\" is not valid: "
			    "%s.", kind, (int)len, item, roles ?
			    MEMBER_ROLE_RULE : MEMBER_GROUP_RULE);
			return (-1);
		}
		if (count == max) {
			snprintf(error, error_len, "A member can have at most %zu "
			    "%s.", max, roles ? "roles" : "groups");
			return (-1);
		}
		if (used + len + 2 > out_len)
			fatal("members_split_names: output buffer too small");
		if (used > 0)
			out[used++] = '\n';
		memcpy(out + used, item, len);
		used += len;
		out[used] = '\0';
		count++;
	}
	return (0);
}

/* Check every field of ctx->in. Returns -1 when any field has an error. */
static int
members_check_input(struct members_ctx *ctx, int creating)
{
	struct members_input	*in = &ctx->in;
	char			 error[MEMBERS_FIELD_ERROR_MAX];

	members_check_email(in);
	members_check_name(in);
	members_check_picture(in);
	(void)members_split_names(in->roles, 1, in->role_list,
	    sizeof(in->role_list), in->roles_error, sizeof(in->roles_error));
	(void)members_split_names(in->groups, 0, in->group_list,
	    sizeof(in->group_list), in->groups_error, sizeof(in->groups_error));

	/* An admin who drops their own role could lock the organisation out. */
	if (!creating && ctx->is_self && in->roles_error[0] == '\0' &&
	    !members_list_has(in->role_list, MEMBERS_ADMIN_ROLE,
	    strlen(MEMBERS_ADMIN_ROLE))) {
		snprintf(in->roles_error, sizeof(in->roles_error), "You cannot "
		    "remove your own " MEMBERS_ADMIN_ROLE " role. Ask another "
		    "administrator to do it.");
	}

	if (creating && in->password[0] != '\0' &&
	    password_acceptable(in->password, strlen(in->password), error,
	    sizeof(error)) == -1)
		members_sentence(in->password_error, sizeof(in->password_error),
		    error);

	return (in->email_error[0] || in->name_error[0] ||
	    in->picture_error[0] || in->roles_error[0] || in->groups_error[0] ||
	    in->password_error[0] ? -1 : 0);
}

/* The edit page's account section: status, disable/enable, reset. */
static int
members_render_account(struct flow *f, struct html_buf *out)
{
	struct members_ctx	*ctx = f->ctx;
	char			 base[64];
	int			 active;

	active = ctx->status != NULL && strcmp(ctx->status, "active") == 0;
	snprintf(base, sizeof(base), MEMBERS_BASE "/%s", ctx->member_id);

	struct template_var	vars[] = {
		{ "status", ctx->status },
		{ "subject", ctx->subject },
		{ "created_at", ctx->created_at },
		{ "updated_at", ctx->updated_at },
		{ "base", base },
		{ "csrf", f->session.csrf },
		{ "disable_class", active && !ctx->is_self ? "" : "hidden" },
		{ "enable_class", active ? "hidden" : "" },
		{ "self_class", ctx->is_self ? "" : "hidden" },
	};

	return (page_render(out, "members_account.html", vars,
	    ORGO_NITEMS(vars)));
}

/* Show the create or edit form with the submitted values and errors. */
static void
members_render_form(struct http_request *req, struct flow *f, int status,
    int editing, const char *notice)
{
	struct members_ctx	*ctx = f->ctx;
	struct members_input	*in = &ctx->in;
	struct html_buf		 extra;
	char			 action[64];
	int			 failed;

	failed = in->email_error[0] || in->name_error[0] ||
	    in->picture_error[0] || in->roles_error[0] || in->groups_error[0] ||
	    in->password_error[0];
	if (failed) {
		kore_log(LOG_NOTICE, "members: member %lld: member form rejected, "
		    "invalid:%s%s%s%s%s%s", f->session.member_id,
		    in->email_error[0] ? " email" : "",
		    in->name_error[0] ? " name" : "",
		    in->picture_error[0] ? " picture" : "",
		    in->roles_error[0] ? " roles" : "",
		    in->groups_error[0] ? " groups" : "",
		    in->password_error[0] ? " password" : "");
	}
	if (editing)
		snprintf(action, sizeof(action), MEMBERS_BASE "/%s",
		    ctx->member_id);
	else
		snprintf(action, sizeof(action), MEMBERS_BASE "/new");

	memset(&extra, 0, sizeof(extra));
	if (editing && members_render_account(f, &extra) == -1) {
		html_buf_free(&extra);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}

	struct template_var	vars[] = {
		{ "heading", editing ? ctx->stored_name : "Add member" },
		{ "notice", notice },
		{ "notice_class", notice ? "" : "hidden" },
		{ "error_class", failed ? "" : "hidden" },
		{ "action", action },
		{ "csrf", f->session.csrf },
		{ "email", in->email },
		{ "email_error", in->email_error },
		{ "name", in->name },
		{ "name_error", in->name_error },
		{ "picture", in->picture },
		{ "picture_error", in->picture_error },
		{ "verified_checked", in->email_verified ? "checked" : "" },
		{ "roles", in->roles },
		{ "roles_error", in->roles_error },
		{ "role_names", ctx->role_names },
		{ "groups", in->groups },
		{ "groups_error", in->groups_error },
		{ "password_class", editing ? "hidden" : "" },
		{ "password_error", in->password_error },
		{ "submit", editing ? "Save changes" : "Create member" },
		{ "extra", extra.data },
	};

	members_send(req, f, status, editing ? "Edit member" : "Add member",
	    "members_form.html", vars, ORGO_NITEMS(vars));
	html_buf_free(&extra);
}

/* Show a member's name and email and, when there is one, a new password. */
static void
members_render_password(struct http_request *req, struct flow *f,
    const char *heading, const char *lead, const char *name,
    const char *email)
{
	struct members_ctx	*ctx = f->ctx;
	char			 href[64];

	snprintf(href, sizeof(href), MEMBERS_BASE "/%s", ctx->member_id);

	struct template_var	vars[] = {
		{ "heading", heading },
		{ "lead", lead },
		{ "name", name },
		{ "email", email },
		{ "password", ctx->generated ? ctx->password : "" },
		{ "password_class", ctx->generated ? "" : "hidden" },
		{ "member_href", href },
	};

	members_send(req, f, HTTP_STATUS_OK, heading, "members_password.html",
	    vars, ORGO_NITEMS(vars));
	util_wipe(ctx->password, sizeof(ctx->password));
}

static int
members_job_run(struct kore_task *task)
{
	struct members_job	*job = (struct members_job *)task;

	job->ok = password_hash(job->password, job->password_len,
	    job->hash) == 0;
	util_wipe(job->password, sizeof(job->password));
	return (KORE_RESULT_OK);
}

/* Hash 'password' on a task thread. The next step reads ctx->job. */
static enum flow_result
members_job_start(struct http_request *req, struct flow *f,
    const char *password)
{
	struct members_ctx	*ctx = f->ctx;
	size_t			 len;

	len = strlen(password);
	if (len > PASSWORD_MAX_LEN)
		fatal("members_job_start: password longer than the form limit");
	ctx->job = kore_calloc(1, sizeof(*ctx->job));
	memcpy(ctx->job->password, password, len);
	ctx->job->password_len = len;
	return (flow_task_start(req, f, &ctx->job->task, members_job_run,
	    NULL));
}

static enum flow_result
members_hash_failed(struct http_request *req, struct flow *f)
{
	kore_log(LOG_ERR, "members: member %lld: password hashing failed",
	    f->session.member_id);
	page_error(req, HTTP_STATUS_INTERNAL_ERROR, "Password not set",
	    "The password could not be hashed, so nothing was changed. Please "
	    "try again.", &f->session);
	return (FLOW_DONE);
}

/* ---- List ------------------------------------------------------------ */

/*
 * One page of members in name order, with the number of matches counted
 * before LIMIT. $1 is an ILIKE pattern, or NULL for every member.
 */
static const char	members_list_sql[] =
    "WITH page AS (SELECT m.id, m.name, m.email, m.status, m.created_at,"
    " count(*) OVER () AS total FROM members m"
    " WHERE $1::text IS NULL OR m.name ILIKE $1 OR m.email ILIKE $1"
    " ORDER BY lower(m.name), m.id LIMIT " MEMBERS_TEXT(MEMBERS_PAGE_SIZE)
    " OFFSET $2::int)"
    " SELECT p.id, p.name, p.email, p.status,"
    " COALESCE((SELECT string_agg(r.name, ', ' ORDER BY r.name)"
    " FROM member_roles mr JOIN roles r ON r.id = mr.role_id"
    " WHERE mr.member_id = p.id), ''),"
    " COALESCE((SELECT string_agg(g.name, ', ' ORDER BY g.name)"
    " FROM member_groups mg JOIN groups g ON g.id = mg.group_id"
    " WHERE mg.member_id = p.id), ''),"
    " to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), p.total"
    " FROM page p ORDER BY lower(p.name), p.id";

/* Parse the page parameter: "" is page 1. Returns -1 when invalid. */
static long
members_page_number(const char *text)
{
	long	page;
	size_t	i;

	if (text[0] == '\0')
		return (1);
	page = 0;
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] < '0' || text[i] > '9' || i >= 5)
			return (-1);
		page = page * 10 + (text[i] - '0');
	}
	return (page >= 1 && page <= MEMBERS_PAGE_MAX ? page : -1);
}

/* Turn search text into an ILIKE pattern that matches it anywhere. */
static void
members_like_pattern(const char *text, char *out, size_t out_len)
{
	size_t	o;

	if (out_len < strlen(text) * 2 + 3)
		fatal("members_like_pattern: output buffer too small");
	o = 0;
	out[o++] = '%';
	for (; *text != '\0'; text++) {
		if (*text == '%' || *text == '_' || *text == '\\')
			out[o++] = '\\';
		out[o++] = *text;
	}
	out[o++] = '%';
	out[o] = '\0';
}

static enum flow_result
members_list_query(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*page, *params[2];
	char			 error[FORM_ERROR_MAX], offset[16];
	char			 pattern[MEMBERS_SEARCH_MAX * 2 + 3];

	ctx->form_loaded = 1;
	if (form_read_query(req, &ctx->form, error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "q", MEMBERS_SEARCH_MAX, 0, &ctx->search,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "page", 5, 0, &page, error,
	    sizeof(error)) == -1) {
		kore_log(LOG_NOTICE, "members: member %lld: invalid list query: "
		    "%s", f->session.member_id, error);
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (FLOW_DONE);
	}
	if ((ctx->page = members_page_number(page)) == -1) {
		kore_log(LOG_NOTICE, "members: member %lld: invalid list page "
		    "number", f->session.member_id);
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    "page must be a whole number from 1 to "
		    MEMBERS_TEXT(MEMBERS_PAGE_MAX), &f->session);
		return (FLOW_DONE);
	}

	ctx->search_trimmed = members_trimmed(ctx->search);
	members_like_pattern(ctx->search_trimmed, pattern, sizeof(pattern));
	snprintf(offset, sizeof(offset), "%ld",
	    (ctx->page - 1) * MEMBERS_PAGE_SIZE);
	params[0] = ctx->search_trimmed[0] != '\0' ? pattern : NULL;
	params[1] = offset;
	return (flow_query(req, f, members_list_sql, 2, params));
}

static int
members_list_cell(struct html_buf *rows, const char *class, const char *value)
{
	if (html_buf_append(rows, "<td", 3) == -1)
		return (-1);
	if (class != NULL && (html_buf_append(rows, " class=\"", 8) == -1 ||
	    html_buf_append(rows, class, strlen(class)) == -1 ||
	    html_buf_append(rows, "\"", 1) == -1))
		return (-1);
	if (html_buf_append(rows, ">", 1) == -1 ||
	    html_buf_append_escaped(rows, value, strlen(value)) == -1)
		return (-1);
	return (html_buf_append(rows, "</td>", 5));
}

static int
members_list_row(struct flow *f, int i, struct html_buf *rows)
{
	static const char	link[] = "<tr><td><a href=\"" MEMBERS_BASE "/";
	const char		*id, *name;

	id = flow_value(f, i, 0);
	name = flow_value(f, i, 1);
	if (html_buf_append(rows, link, strlen(link)) == -1 ||
	    html_buf_append_escaped(rows, id, strlen(id)) == -1 ||
	    html_buf_append(rows, "\">", 2) == -1 ||
	    html_buf_append_escaped(rows, name, strlen(name)) == -1 ||
	    html_buf_append(rows, "</a></td>", 9) == -1 ||
	    members_list_cell(rows, NULL, flow_value(f, i, 2)) == -1 ||
	    members_list_cell(rows, NULL, flow_value(f, i, 3)) == -1 ||
	    members_list_cell(rows, "optional", flow_value(f, i, 4)) == -1 ||
	    members_list_cell(rows, "optional", flow_value(f, i, 5)) == -1 ||
	    members_list_cell(rows, "optional", flow_value(f, i, 6)) == -1)
		return (-1);
	return (html_buf_append(rows, "</tr>\n", 6));
}

/* Write the list URL of 'page' for the current search into 'out'. */
static void
members_page_href(const struct members_ctx *ctx, long page, char *out,
    size_t out_len)
{
	char	encoded[MEMBERS_SEARCH_MAX * 3 + 1];

	(void)urlform_encode(ctx->search, strlen(ctx->search), encoded,
	    sizeof(encoded));
	if (ctx->search[0] != '\0')
		snprintf(out, out_len, MEMBERS_BASE "?q=%s&page=%ld", encoded,
		    page);
	else
		snprintf(out, out_len, MEMBERS_BASE "?page=%ld", page);
}

static enum flow_result
members_list_show(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	struct html_buf		 rows;
	char			 summary[160], previous[800], next[800];
	long			 first, total;
	int			 i, count;

	memset(&rows, 0, sizeof(rows));
	count = flow_rows(f);
	for (i = 0; i < count; i++) {
		if (members_list_row(f, i, &rows) == -1) {
			html_buf_free(&rows);
			http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
			return (FLOW_DONE);
		}
	}

	first = (ctx->page - 1) * MEMBERS_PAGE_SIZE;
	total = count > 0 ? strtol(flow_value(f, 0, 7), NULL, 10) : 0;
	if (count > 0)
		snprintf(summary, sizeof(summary), "Showing %ld to %ld of %ld "
		    "%s.", first + 1, first + count, total,
		    total == 1 ? "member" : "members");
	else if (ctx->page > 1)
		snprintf(summary, sizeof(summary), "There are no members on "
		    "page %ld.", ctx->page);
	else if (ctx->search_trimmed[0] != '\0')
		snprintf(summary, sizeof(summary), "No member matches this "
		    "search.");
	else
		snprintf(summary, sizeof(summary), "There are no members yet.");
	members_page_href(ctx, ctx->page - 1, previous, sizeof(previous));
	members_page_href(ctx, ctx->page + 1, next, sizeof(next));

	struct template_var	vars[] = {
		{ "search", ctx->search },
		{ "summary", summary },
		{ "table_class", count == 0 ? "hidden" : "" },
		{ "rows", rows.data },
		{ "previous_class", ctx->page > 1 ? "" : "hidden" },
		{ "previous_href", previous },
		{ "next_class", first + count < total &&
		    ctx->page < MEMBERS_PAGE_MAX ? "" : "hidden" },
		{ "next_href", next },
	};
	members_send(req, f, HTTP_STATUS_OK, "Members", "members_list.html",
	    vars, ORGO_NITEMS(vars));
	html_buf_free(&rows);
	return (FLOW_DONE);
}

static const flow_step	members_list_steps[] = {
	SESSION_STEPS, session_step_require_admin, members_list_query,
	members_list_show,
};

int
members_list(struct http_request *req)
{
	return (members_run(req, members_list_steps,
	    ORGO_NITEMS(members_list_steps)));
}

/* ---- Create ---------------------------------------------------------- */

static const char	members_new_check_sql[] =
    "SELECT (SELECT string_agg(name, ', ' ORDER BY name) FROM roles),"
    " EXISTS (SELECT 1 FROM members WHERE email_key = $1)";

/*
 * Insert the member, any roles and groups that do not exist yet, the
 * links to them and the audit record. A taken email_key inserts nothing
 * and returns no row. DO UPDATE, unlike DO NOTHING, returns the id of a
 * role or group that exists, even one committed by a concurrent request.
 */
static const char	members_insert_sql[] =
    "WITH member AS (INSERT INTO members (subject, email, email_key,"
    " email_verified, name, picture, password_hash)"
    " VALUES ($1, $2, $3, $4::boolean, $5, $6, $7)"
    " ON CONFLICT (email_key) DO NOTHING"
    " RETURNING id, email, name, picture, email_verified),"
    " requested AS (SELECT ARRAY(SELECT n FROM unnest(string_to_array($8,"
    " E'\\n')) AS n ORDER BY n) AS roles, ARRAY(SELECT n FROM"
    " unnest(string_to_array($9, E'\\n')) AS n ORDER BY n) AS groups),"
    " roles_used AS (INSERT INTO roles (name) SELECT unnest(requested.roles)"
    " FROM requested, member ON CONFLICT (name) DO UPDATE SET name ="
    " EXCLUDED.name RETURNING id),"
    " roles_linked AS (INSERT INTO member_roles (member_id, role_id)"
    " SELECT member.id, roles_used.id FROM member, roles_used),"
    " groups_used AS (INSERT INTO groups (name) SELECT unnest(requested.groups)"
    " FROM requested, member ON CONFLICT (name) DO UPDATE SET name ="
    " EXCLUDED.name RETURNING id),"
    " groups_linked AS (INSERT INTO member_groups (member_id, group_id)"
    " SELECT member.id, groups_used.id FROM member, groups_used),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) SELECT $10::bigint, 'member_created',"
    " 'member:' || member.id, $11::text, jsonb_build_object('email', member.email, 'name',"
    " member.name, 'picture', member.picture, 'email_verified',"
    " member.email_verified, 'roles', to_jsonb(requested.roles), 'groups',"
    " to_jsonb(requested.groups), 'password_generated', $12::boolean)"
    " FROM member, requested)"
    " SELECT id FROM member";

static enum flow_result
members_new_start(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*params[1];

	params[0] = NULL;
	if (req->method == HTTP_METHOD_POST) {
		if (members_read_post(req, f) == -1 ||
		    members_read_fields(req, f, 1) == -1)
			return (FLOW_DONE);
		ctx->input_failed = members_check_input(ctx, 1) == -1;
		params[0] = ctx->in.email_key;
	}
	return (flow_query(req, f, members_new_check_sql, 1, params));
}

static void
members_email_taken(struct members_input *in)
{
	snprintf(in->email_error, sizeof(in->email_error),
	    "A member with this email already exists.");
}

static enum flow_result
members_new_check(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	struct members_input	*in = &ctx->in;
	const char		*password;

	if (flow_rows(f) != 1)
		return (FLOW_DB_ERROR);
	ctx->role_names = members_copy(flow_value(f, 0, 0));

	if (req->method == HTTP_METHOD_GET) {
		in->email = "";
		in->name = "";
		in->picture = "";
		in->roles = "MEMBER";
		in->groups = "";
		members_render_form(req, f, HTTP_STATUS_OK, 0, NULL);
		return (FLOW_DONE);
	}

	if (flow_value(f, 0, 1)[0] == 't')
		members_email_taken(in);
	if (ctx->input_failed || in->email_error[0]) {
		members_render_form(req, f, HTTP_STATUS_BAD_REQUEST, 0, NULL);
		return (FLOW_DONE);
	}

	password = in->password;
	if (password[0] == '\0') {
		if (password_generate(ctx->password) == -1)
			return (members_hash_failed(req, f));
		ctx->generated = 1;
		password = ctx->password;
	}
	return (members_job_start(req, f, password));
}

static enum flow_result
members_new_insert(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	struct members_input	*in = &ctx->in;
	const char		*params[12];
	char			 subject[32];
	uint8_t			 raw[16];
	enum flow_result	 r;

	if (!ctx->job->ok || util_random(raw, sizeof(raw)) == -1)
		return (members_hash_failed(req, f));
	util_b64url_encode(raw, sizeof(raw), subject);

	params[0] = subject;
	params[1] = in->clean_email;
	params[2] = in->email_key;
	params[3] = in->email_verified ? "true" : "false";
	params[4] = in->clean_name;
	params[5] = in->clean_picture;
	params[6] = ctx->job->hash;
	params[7] = in->role_list;
	params[8] = in->group_list;
	params[9] = ctx->actor;
	params[10] = ctx->address;
	params[11] = ctx->generated ? "true" : "false";
	r = flow_query(req, f, members_insert_sql, 12, params);
	util_wipe(ctx->job->hash, sizeof(ctx->job->hash));
	return (r);
}

static enum flow_result
members_new_done(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;

	/* Another request took the email between the check and the insert. */
	if (flow_rows(f) != 1) {
		members_email_taken(&ctx->in);
		members_render_form(req, f, HTTP_STATUS_BAD_REQUEST, 0, NULL);
		return (FLOW_DONE);
	}

	(void)kore_strlcpy(ctx->member_id, flow_value(f, 0, 0),
	    sizeof(ctx->member_id));
	kore_log(LOG_NOTICE, "members: member %s created member %s",
	    ctx->actor, ctx->member_id);
	members_render_password(req, f, "Member created", ctx->generated ?
	    "The member can sign in with the password below." :
	    "The member can sign in with the password you chose.",
	    ctx->in.clean_name, ctx->in.clean_email);
	return (FLOW_DONE);
}

static const flow_step	members_new_steps[] = {
	SESSION_STEPS, session_step_require_admin, members_new_start,
	members_new_check, members_new_insert, members_new_done,
};

int
members_new(struct http_request *req)
{
	return (members_run(req, members_new_steps,
	    ORGO_NITEMS(members_new_steps)));
}

/* ---- Edit ------------------------------------------------------------ */

static const char	members_load_sql[] =
    "SELECT m.email, m.name, COALESCE(m.picture, ''), m.email_verified,"
    " m.status, m.subject,"
    " COALESCE((SELECT string_agg(r.name, ', ' ORDER BY r.name)"
    " FROM member_roles mr JOIN roles r ON r.id = mr.role_id"
    " WHERE mr.member_id = m.id), ''),"
    " COALESCE((SELECT string_agg(g.name, ', ' ORDER BY g.name)"
    " FROM member_groups mg JOIN groups g ON g.id = mg.group_id"
    " WHERE mg.member_id = m.id), ''),"
    " to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),"
    " to_char(m.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),"
    " (SELECT string_agg(name, ', ' ORDER BY name) FROM roles)"
    " FROM members m WHERE m.id = $1";

/*
 * Update the member and replace their roles and groups. 'changes'
 * contains the old and new value of each field that differs. A save that
 * changes nothing leaves updated_at alone and writes no audit record.
 * Returns one row: whether the member exists, and whether another member
 * has the new email_key, in which case nothing is changed.
 * NOTE: a member created with that email_key by a concurrent request after
 * the 'taken' check makes the UPDATE fail on the unique index, and the
 * admin sees the 503 page instead of the field error.
 */
static const char	members_update_sql[] =
    "WITH old AS (SELECT m.id, m.email, m.name, m.picture, m.email_verified,"
    " ARRAY(SELECT r.name FROM member_roles mr JOIN roles r ON r.id ="
    " mr.role_id WHERE mr.member_id = m.id ORDER BY r.name) AS roles,"
    " ARRAY(SELECT g.name FROM member_groups mg JOIN groups g ON g.id ="
    " mg.group_id WHERE mg.member_id = m.id ORDER BY g.name) AS groups"
    " FROM members m WHERE m.id = $1 FOR UPDATE OF m),"
    " requested AS (SELECT ARRAY(SELECT n FROM unnest(string_to_array($7,"
    " E'\\n')) AS n ORDER BY n) AS roles, ARRAY(SELECT n FROM"
    " unnest(string_to_array($8, E'\\n')) AS n ORDER BY n) AS groups),"
    " taken AS (SELECT EXISTS (SELECT 1 FROM members WHERE email_key = $3"
    " AND id <> $1) AS yes),"
    " changes AS (SELECT old.id, requested.roles, requested.groups,"
    " CASE WHEN old.email <> $2 THEN jsonb_build_object('email',"
    " jsonb_build_object('from', old.email, 'to', $2::text)) ELSE '{}' END ||"
    " CASE WHEN old.name <> $4 THEN jsonb_build_object('name',"
    " jsonb_build_object('from', old.name, 'to', $4::text)) ELSE '{}' END ||"
    " CASE WHEN old.picture IS DISTINCT FROM $5 THEN jsonb_build_object("
    " 'picture', jsonb_build_object('from', old.picture, 'to', $5::text))"
    " ELSE '{}' END ||"
    " CASE WHEN old.email_verified <> $6::boolean THEN jsonb_build_object("
    " 'email_verified', jsonb_build_object('from', old.email_verified, 'to',"
    " $6::boolean)) ELSE '{}' END ||"
    " CASE WHEN old.roles <> requested.roles THEN jsonb_build_object('roles',"
    " jsonb_build_object('from', to_jsonb(old.roles), 'to',"
    " to_jsonb(requested.roles))) ELSE '{}' END ||"
    " CASE WHEN old.groups <> requested.groups THEN jsonb_build_object('groups',"
    " jsonb_build_object('from', to_jsonb(old.groups), 'to',"
    " to_jsonb(requested.groups))) ELSE '{}' END AS details"
    " FROM old, requested, taken WHERE NOT taken.yes),"
    " member AS (UPDATE members m SET email = $2, email_key = $3, name = $4,"
    " picture = $5, email_verified = $6::boolean, updated_at = CASE WHEN"
    " changes.details = '{}' THEN m.updated_at ELSE now() END"
    " FROM changes WHERE m.id = changes.id RETURNING m.id),"
    " roles_used AS (INSERT INTO roles (name) SELECT unnest(changes.roles)"
    " FROM changes ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
    " RETURNING id),"
    " roles_dropped AS (DELETE FROM member_roles mr USING changes"
    " WHERE mr.member_id = changes.id AND mr.role_id NOT IN"
    " (SELECT id FROM roles_used)),"
    " roles_added AS (INSERT INTO member_roles (member_id, role_id)"
    " SELECT changes.id, roles_used.id FROM changes, roles_used"
    " ON CONFLICT DO NOTHING),"
    " groups_used AS (INSERT INTO groups (name) SELECT unnest(changes.groups)"
    " FROM changes ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
    " RETURNING id),"
    " groups_dropped AS (DELETE FROM member_groups mg USING changes"
    " WHERE mg.member_id = changes.id AND mg.group_id NOT IN"
    " (SELECT id FROM groups_used)),"
    " groups_added AS (INSERT INTO member_groups (member_id, group_id)"
    " SELECT changes.id, groups_used.id FROM changes, groups_used"
    " ON CONFLICT DO NOTHING),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) SELECT $9::bigint, 'member_updated',"
    " 'member:' || changes.id, $10::text, changes.details FROM changes"
    " WHERE changes.details <> '{}')"
    " SELECT EXISTS (SELECT 1 FROM old), taken.yes FROM taken";

static enum flow_result
members_edit_load(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*params[1];

	if (members_path_id(req, f, "") == -1)
		return (members_not_found(req, f));
	params[0] = ctx->member_id;
	return (flow_query(req, f, members_load_sql, 1, params));
}

/* The notice of the edit page after a redirect from a change. */
static const char *
members_edit_notice(struct http_request *req)
{
	const char	*query = req->query_string;

	if (query == NULL)
		return (NULL);
	if (strcmp(query, "saved=1") == 0)
		return ("Changes saved.");
	if (strcmp(query, "disabled=1") == 0)
		return ("The member is disabled. Their sessions have ended.");
	if (strcmp(query, "enabled=1") == 0)
		return ("The member is enabled and can sign in again.");
	return (NULL);
}

static enum flow_result
members_edit_act(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	struct members_input	*in = &ctx->in;
	const char		*params[10];

	if (flow_rows(f) != 1)
		return (members_not_found(req, f));
	ctx->stored_email = members_copy(flow_value(f, 0, 0));
	ctx->stored_name = members_copy(flow_value(f, 0, 1));
	ctx->status = members_copy(flow_value(f, 0, 4));
	ctx->subject = members_copy(flow_value(f, 0, 5));
	ctx->created_at = members_copy(flow_value(f, 0, 8));
	ctx->updated_at = members_copy(flow_value(f, 0, 9));
	ctx->role_names = members_copy(flow_value(f, 0, 10));

	if (req->method == HTTP_METHOD_GET) {
		in->email = ctx->stored_email;
		in->name = ctx->stored_name;
		in->picture = flow_value(f, 0, 2);
		in->email_verified = flow_value(f, 0, 3)[0] == 't';
		in->roles = flow_value(f, 0, 6);
		in->groups = flow_value(f, 0, 7);
		members_render_form(req, f, HTTP_STATUS_OK, 1,
		    members_edit_notice(req));
		return (FLOW_DONE);
	}

	if (members_read_post(req, f) == -1 ||
	    members_read_fields(req, f, 0) == -1)
		return (FLOW_DONE);
	if (members_check_input(ctx, 0) == -1) {
		members_render_form(req, f, HTTP_STATUS_BAD_REQUEST, 1, NULL);
		return (FLOW_DONE);
	}

	params[0] = ctx->member_id;
	params[1] = in->clean_email;
	params[2] = in->email_key;
	params[3] = in->clean_name;
	params[4] = in->clean_picture;
	params[5] = in->email_verified ? "true" : "false";
	params[6] = in->role_list;
	params[7] = in->group_list;
	params[8] = ctx->actor;
	params[9] = ctx->address;
	return (flow_query(req, f, members_update_sql, 10, params));
}

static enum flow_result
members_edit_saved(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	char			 location[64];

	if (flow_rows(f) != 1)
		return (FLOW_DB_ERROR);
	if (flow_value(f, 0, 0)[0] != 't')
		return (members_not_found(req, f));
	if (flow_value(f, 0, 1)[0] == 't') {
		members_email_taken(&ctx->in);
		members_render_form(req, f, HTTP_STATUS_BAD_REQUEST, 1, NULL);
		return (FLOW_DONE);
	}

	kore_log(LOG_NOTICE, "members: member %s updated member %s",
	    ctx->actor, ctx->member_id);
	snprintf(location, sizeof(location), MEMBERS_BASE "/%s?saved=1",
	    ctx->member_id);
	http_util_redirect(req, location);
	return (FLOW_DONE);
}

static const flow_step	members_edit_steps[] = {
	SESSION_STEPS, session_step_require_admin, members_edit_load,
	members_edit_act, members_edit_saved,
};

int
members_edit(struct http_request *req)
{
	return (members_run(req, members_edit_steps,
	    ORGO_NITEMS(members_edit_steps)));
}

/* ---- Disable and enable ---------------------------------------------- */

/*
 * Set the status and, when disabling, end every session of the member.
 * The id <> actor condition repeats the self-lockout rule of the handler
 * so that no request can disable its own administrator. Returns whether
 * the member exists.
 */
static const char	members_status_sql[] =
    "WITH member AS (UPDATE members SET status = $2, updated_at = now()"
    " WHERE id = $1 AND status <> $2 AND id <> $3 RETURNING id),"
    " ended AS (DELETE FROM sessions s USING member"
    " WHERE s.member_id = member.id AND $2 = 'disabled' RETURNING 1),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) SELECT $3::bigint, CASE WHEN $2 = 'disabled'"
    " THEN 'member_disabled' ELSE 'member_enabled' END, 'member:' ||"
    " member.id, $4::text, jsonb_build_object('status',"
    " jsonb_build_object("
    " 'from', CASE WHEN $2 = 'disabled' THEN 'active' ELSE 'disabled' END,"
    " 'to', $2::text), 'sessions_ended', (SELECT count(*) FROM ended))"
    " FROM member)"
    " SELECT EXISTS (SELECT 1 FROM members WHERE id = $1)";

static int
members_disabling(struct http_request *req)
{
	size_t	len;

	len = strlen(req->path);
	return (len > 8 && strcmp(req->path + len - 8, "/disable") == 0);
}

static enum flow_result
members_status_act(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*params[4];
	int			 disable;

	disable = members_disabling(req);
	if (members_path_id(req, f, disable ? "/disable" : "/enable") == -1)
		return (members_not_found(req, f));
	if (members_read_post(req, f) == -1)
		return (FLOW_DONE);

	if (disable && ctx->is_self) {
		kore_log(LOG_NOTICE, "members: member %s tried to disable "
		    "themselves", ctx->actor);
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Cannot disable your "
		    "own account", "You cannot disable your own account, so "
		    "the organisation always keeps an administrator who can "
		    "sign in. Ask another administrator to do it.",
		    &f->session);
		return (FLOW_DONE);
	}

	params[0] = ctx->member_id;
	params[1] = disable ? "disabled" : "active";
	params[2] = ctx->actor;
	params[3] = ctx->address;
	return (flow_query(req, f, members_status_sql, 4, params));
}

static enum flow_result
members_status_done(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	char			 location[64];
	int			 disable;

	if (flow_rows(f) != 1)
		return (FLOW_DB_ERROR);
	if (flow_value(f, 0, 0)[0] != 't')
		return (members_not_found(req, f));

	disable = members_disabling(req);
	kore_log(LOG_NOTICE, "members: member %s %s member %s", ctx->actor,
	    disable ? "disabled" : "enabled", ctx->member_id);
	snprintf(location, sizeof(location), MEMBERS_BASE "/%s?%s=1",
	    ctx->member_id, disable ? "disabled" : "enabled");
	http_util_redirect(req, location);
	return (FLOW_DONE);
}

static const flow_step	members_status_steps[] = {
	SESSION_STEPS, session_step_require_admin, members_status_act,
	members_status_done,
};

int
members_status(struct http_request *req)
{
	return (members_run(req, members_status_steps,
	    ORGO_NITEMS(members_status_steps)));
}

/* ---- Password reset -------------------------------------------------- */

static const char	members_name_sql[] =
    "SELECT name, email FROM members WHERE id = $1";

/* A new password ends every session of the member, as orgoctl does. */
static const char	members_reset_sql[] =
    "WITH member AS (UPDATE members SET password_hash = $2, updated_at ="
    " now() WHERE id = $1 RETURNING id, name, email),"
    " ended AS (DELETE FROM sessions s USING member"
    " WHERE s.member_id = member.id RETURNING 1),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) SELECT $3::bigint, 'member_password_reset',"
    " 'member:' || member.id, $4::text, jsonb_build_object('sessions_ended',"
    " (SELECT count(*) FROM ended)) FROM member)"
    " SELECT name, email FROM member";

static enum flow_result
members_reset_load(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*params[1];

	if (members_path_id(req, f, "/reset-password") == -1)
		return (members_not_found(req, f));
	params[0] = ctx->member_id;
	return (flow_query(req, f, members_name_sql, 1, params));
}

static enum flow_result
members_reset_act(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	char			 cancel[64], message[600];

	if (flow_rows(f) != 1)
		return (members_not_found(req, f));

	if (req->method == HTTP_METHOD_GET) {
		snprintf(cancel, sizeof(cancel), MEMBERS_BASE "/%s",
		    ctx->member_id);
		snprintf(message, sizeof(message), "A new password for %s "
		    "(%s) will be generated and shown to you once. The current "
		    "password stops working and every session of the member "
		    "ends.", flow_value(f, 0, 0), flow_value(f, 0, 1));
		struct template_var	vars[] = {
			{ "heading", "Reset password?" },
			{ "message", message },
			{ "action", req->path },
			{ "csrf", f->session.csrf },
			{ "button", "Reset password" },
			{ "button_class", "danger" },
			{ "cancel", cancel },
		};
		members_send(req, f, HTTP_STATUS_OK, "Reset password",
		    "confirm.html", vars, ORGO_NITEMS(vars));
		return (FLOW_DONE);
	}

	if (members_read_post(req, f) == -1)
		return (FLOW_DONE);
	if (password_generate(ctx->password) == -1)
		return (members_hash_failed(req, f));
	ctx->generated = 1;
	return (members_job_start(req, f, ctx->password));
}

static enum flow_result
members_reset_save(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;
	const char		*params[4];
	enum flow_result	 r;

	if (!ctx->job->ok)
		return (members_hash_failed(req, f));
	params[0] = ctx->member_id;
	params[1] = ctx->job->hash;
	params[2] = ctx->actor;
	params[3] = ctx->address;
	r = flow_query(req, f, members_reset_sql, 4, params);
	util_wipe(ctx->job->hash, sizeof(ctx->job->hash));
	return (r);
}

static enum flow_result
members_reset_done(struct http_request *req, struct flow *f)
{
	struct members_ctx	*ctx = f->ctx;

	if (flow_rows(f) != 1)
		return (members_not_found(req, f));
	kore_log(LOG_NOTICE, "members: member %s reset the password of member "
	    "%s", ctx->actor, ctx->member_id);
	members_render_password(req, f, "New password", "The previous "
	    "password no longer works and every session of the member has "
	    "ended.", flow_value(f, 0, 0), flow_value(f, 0, 1));
	return (FLOW_DONE);
}

static const flow_step	members_reset_steps[] = {
	SESSION_STEPS, session_step_require_admin, members_reset_load,
	members_reset_act, members_reset_save, members_reset_done,
};

int
members_reset(struct http_request *req)
{
	return (members_run(req, members_reset_steps,
	    ORGO_NITEMS(members_reset_steps)));
}
