/*
 * Settings → Audit log: the records of audit_log, newest first, 50 a
 * page, filtered by action, actor email, target prefix and a range of UTC
 * dates. Only administrators (role ADMIN_TENANT) see it, and it never
 * writes.
 *
 * Pages are keyset pages on (at, id): "before" names the id of the oldest
 * record shown and "after" the newest, so a page stays correct while new
 * records arrive and no page costs an OFFSET scan.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit_format.h"
#include "email.h"
#include "flow.h"
#include "form.h"
#include "orgo.h"
#include "page.h"

#define AUDIT_BASE		"/settings/audit-log"
#define AUDIT_PAGE_SIZE		50
#define AUDIT_ACTION_MAX	64	/* bytes of an action name */
#define AUDIT_TARGET_MAX	300	/* bytes: email: and an email_key fit */
#define AUDIT_ID_DIGITS_MAX	18	/* always fits a bigint */
#define AUDIT_DATE_LEN		10	/* YYYY-MM-DD */
#define AUDIT_ACTIONS_MAX	200	/* options in the action select */
#define AUDIT_DETAILS_MAX	2000	/* bytes of details text a row shows */
#define AUDIT_HREF_MAX		4096

/* A number macro as a string literal, for constant SQL. */
#define AUDIT_TEXT(x)		AUDIT_TEXT_(x)
#define AUDIT_TEXT_(x)		#x

enum audit_direction {
	AUDIT_FIRST,		/* the newest records */
	AUDIT_OLDER,		/* records older than 'before' */
	AUDIT_NEWER,		/* records newer than 'after' */
};

/* The validated filters, where "" means the filter was not given. */
struct audit_filter {
	const char	*action;
	char		*actor;			/* trimmed, kore_malloc'd */
	char		*actor_key;		/* from email_key(): free() */
	const char	*target;
	const char	*from;
	const char	*to;
	const char	*before;
	const char	*after;
};

struct audit_ctx {
	struct urlform		 form;
	int			 form_loaded;
	struct audit_filter	 filter;
	enum audit_direction	 direction;
	char			*actions;	/* actions in the log, one a line */
};

/*
 * Plain words and the outcome of each action the server and orgoctl
 * write. 'no_member' is the actor shown for a record without a member.
 */
struct audit_action {
	const char	*name;
	const char	*words;
	const char	*outcome;
	const char	*no_member;
};

static const struct audit_action	audit_actions[] = {
	{ "sign_in", "Signed in", "succeeded", "system" },
	{ "sign_in_failed", "Sign-in failed", "failed", "unknown" },
	{ "sign_out", "Signed out", "succeeded", "system" },
	{ "member_created", "Member created", "succeeded", "system" },
	{ "member_updated", "Member changed", "succeeded", "system" },
	{ "member_disabled", "Member disabled", "succeeded", "system" },
	{ "member_enabled", "Member enabled", "succeeded", "system" },
	{ "member_password_reset", "Password reset", "succeeded", "system" },
	{ "member_password_set", "Password set", "succeeded", "system" },
	{ "member_role_added", "Role added", "succeeded", "system" },
	{ "member_role_removed", "Role removed", "succeeded", "system" },
	{ "member_group_added", "Group added", "succeeded", "system" },
	{ "member_group_removed", "Group removed", "succeeded", "system" },
	{ "client_created", "App created", "succeeded", "system" },
	{ "client_updated", "App changed", "succeeded", "system" },
	{ "client_secret_rotated", "App secret rotated", "succeeded",
	    "system" },
	{ "client_deleted", "App deleted", "succeeded", "system" },
	{ "consent_granted", "Consent granted", "succeeded", "system" },
	{ "consent_revoked", "Consent revoked", "succeeded", "system" },
	{ "code_replayed", "Authorization code used twice",
	    "rejected, grant revoked", "system" },
	{ "refresh_token_reused", "Refresh token used twice",
	    "rejected, grant revoked", "system" },
	{ "signing_key_rotated", "Signing key rotated", "succeeded",
	    "system" },
};

int	audit_log_page(struct http_request *);

static void
audit_ctx_free(void *arg)
{
	struct audit_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	kore_free(ctx->filter.actor);
	free(ctx->filter.actor_key);
	kore_free(ctx->actions);
}

static enum flow_result
audit_invalid(struct http_request *req, struct flow *f, const char *message)
{
	kore_log(LOG_NOTICE, "audit: member %lld: invalid filter: %s",
	    f->session.member_id, message);
	page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid filter", message,
	    &f->session);
	return (FLOW_DONE);
}

/* ---- Filters --------------------------------------------------------- */

/* An action name: a lowercase letter, then lowercase letters, digits, _. */
static int
audit_action_valid(const char *s)
{
	size_t	i;

	if (s[0] < 'a' || s[0] > 'z')
		return (0);
	for (i = 1; s[i] != '\0'; i++) {
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			return (0);
	}
	return (i <= AUDIT_ACTION_MAX);
}

/* A calendar date YYYY-MM-DD from 0001-01-01 to 9999-12-31. */
static int
audit_date_valid(const char *s)
{
	static const int	days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int			year, month, day, last;
	size_t			i;

	if (strlen(s) != AUDIT_DATE_LEN || s[4] != '-' || s[7] != '-')
		return (0);
	for (i = 0; i < AUDIT_DATE_LEN; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return (0);
	}
	year = atoi(s);
	month = atoi(s + 5);
	day = atoi(s + 8);
	if (year < 1 || month < 1 || month > 12)
		return (0);
	last = days[month - 1];
	if (month == 2 && year % 4 == 0 &&
	    (year % 100 != 0 || year % 400 == 0))
		last = 29;
	return (day >= 1 && day <= last);
}

/* A record id: 1 to AUDIT_ID_DIGITS_MAX digits, not zero. */
static int
audit_id_valid(const char *s)
{
	size_t	len;

	len = strspn(s, "0123456789");
	return (len > 0 && len <= AUDIT_ID_DIGITS_MAX && s[len] == '\0' &&
	    strspn(s, "0") < len);
}

/* Return a kore_malloc'd copy of 's' without leading and trailing blanks. */
static char *
audit_trimmed(const char *s)
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
 * Read and check the filter fields of the query string into ctx->filter.
 * Returns 0, or -1 with a message naming the field: the filter form never
 * sends a field twice, too long or of the wrong form.
 */
static int
audit_filter_read(struct http_request *req, struct audit_ctx *ctx,
    char *error, size_t error_len)
{
	struct audit_filter	*in = &ctx->filter;
	const char		*actor;
	char			 reason[FORM_ERROR_MAX];

	ctx->form_loaded = 1;
	if (form_read_query(req, &ctx->form, error, error_len) == -1 ||
	    form_field(&ctx->form, "action", AUDIT_ACTION_MAX, 0, &in->action,
	    error, error_len) == -1 ||
	    form_field(&ctx->form, "actor", EMAIL_MAX, 0, &actor, error,
	    error_len) == -1 ||
	    form_field(&ctx->form, "target", AUDIT_TARGET_MAX, 0, &in->target,
	    error, error_len) == -1 ||
	    form_field(&ctx->form, "from", AUDIT_DATE_LEN, 0, &in->from, error,
	    error_len) == -1 ||
	    form_field(&ctx->form, "to", AUDIT_DATE_LEN, 0, &in->to, error,
	    error_len) == -1 ||
	    form_field(&ctx->form, "before", AUDIT_ID_DIGITS_MAX, 0,
	    &in->before, error, error_len) == -1 ||
	    form_field(&ctx->form, "after", AUDIT_ID_DIGITS_MAX, 0, &in->after,
	    error, error_len) == -1)
		return (-1);

	if (in->action[0] != '\0' && !audit_action_valid(in->action)) {
		snprintf(error, error_len, "action must be an action name: a "
		    "lowercase letter, then lowercase letters, digits and _");
		return (-1);
	}

	in->actor = audit_trimmed(actor);
	if (in->actor[0] != '\0') {
		if (email_valid(in->actor, strlen(in->actor), reason,
		    sizeof(reason)) == -1) {
			snprintf(error, error_len, "actor must be the email "
			    "address of a member: %s", reason);
			return (-1);
		}
		if ((in->actor_key = email_key(in->actor,
		    strlen(in->actor))) == NULL) {
			snprintf(error, error_len, "actor must be the email "
			    "address of a member");
			return (-1);
		}
	}

	if (in->from[0] != '\0' && !audit_date_valid(in->from)) {
		snprintf(error, error_len, "from must be a date in the form "
		    "YYYY-MM-DD, such as 2024-05-31");
		return (-1);
	}
	if (in->to[0] != '\0' && !audit_date_valid(in->to)) {
		snprintf(error, error_len, "to must be a date in the form "
		    "YYYY-MM-DD, such as 2024-05-31");
		return (-1);
	}
	/* Same-length YYYY-MM-DD strings compare like the dates. */
	if (in->from[0] != '\0' && in->to[0] != '\0' &&
	    strcmp(in->from, in->to) > 0) {
		snprintf(error, error_len, "from must not be after to");
		return (-1);
	}

	if (in->before[0] != '\0' && !audit_id_valid(in->before)) {
		snprintf(error, error_len, "before must be a record id: a "
		    "whole number from 1 to %d digits", AUDIT_ID_DIGITS_MAX);
		return (-1);
	}
	if (in->after[0] != '\0' && !audit_id_valid(in->after)) {
		snprintf(error, error_len, "after must be a record id: a "
		    "whole number from 1 to %d digits", AUDIT_ID_DIGITS_MAX);
		return (-1);
	}
	if (in->before[0] != '\0' && in->after[0] != '\0') {
		snprintf(error, error_len, "before and after cannot be given "
		    "together");
		return (-1);
	}
	return (0);
}

static int
audit_filtered(const struct audit_filter *in)
{
	return (in->action[0] != '\0' || in->actor[0] != '\0' ||
	    in->target[0] != '\0' || in->from[0] != '\0' || in->to[0] != '\0');
}

static const struct audit_action *
audit_action_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ORGO_NITEMS(audit_actions); i++) {
		if (strcmp(audit_actions[i].name, name) == 0)
			return (&audit_actions[i]);
	}
	return (NULL);
}

/* ---- Queries --------------------------------------------------------- */

/*
 * The distinct actions in the log, read as a skip scan of the index on
 * (action, at, id): one index probe per action, not a scan of the table.
 */
static const char	audit_actions_sql[] =
    "WITH RECURSIVE actions(action) AS ("
    " (SELECT action FROM audit_log ORDER BY action LIMIT 1)"
    " UNION ALL"
    " SELECT (SELECT a.action FROM audit_log a WHERE a.action >"
    " actions.action ORDER BY a.action LIMIT 1)"
    " FROM actions WHERE actions.action IS NOT NULL)"
    " SELECT action FROM actions WHERE action IS NOT NULL"
    " LIMIT " AUDIT_TEXT(AUDIT_ACTIONS_MAX);

/*
 * The columns of a record and the filters. $1 action, $2 email_key of
 * the actor, $3 target prefix, $4 and $5 the first and last UTC date,
 * $6 the id of the record the page starts after. Each one is NULL when
 * not given. The target member's email is shown next to "member:<id>".
 */
#define AUDIT_SELECT							\
    "SELECT a.id, to_char(a.at AT TIME ZONE 'UTC',"			\
    " 'YYYY-MM-DD HH24:MI:SS'), a.actor_member_id, m.name, m.email,"	\
    " a.action, a.target, a.address, a.details::text, t.email"		\
    " FROM audit_log a LEFT JOIN members m ON m.id = a.actor_member_id"	\
    " LEFT JOIN members t ON t.id = CASE WHEN a.target ~"		\
    " '^member:[0-9]{1,18}$' THEN substr(a.target, 8)::bigint END"	\
    " WHERE ($1::text IS NULL OR a.action = $1)"			\
    " AND ($2::text IS NULL OR a.actor_member_id ="			\
    " (SELECT id FROM members WHERE email_key = $2))"			\
    " AND ($3::text IS NULL OR starts_with(a.target, $3))"		\
    " AND ($4::date IS NULL OR a.at >="				\
    " ($4::date::timestamp AT TIME ZONE 'UTC'))"			\
    " AND ($5::date IS NULL OR a.at <"					\
    " (($5::date + 1)::timestamp AT TIME ZONE 'UTC'))"

/* Reading one row more than a page shows whether another page follows. */
static const char	audit_older_sql[] =
    AUDIT_SELECT
    " AND ($6::bigint IS NULL OR (a.at, a.id) <"
    " (SELECT at, id FROM audit_log WHERE id = $6))"
    " ORDER BY a.at DESC, a.id DESC"
    " LIMIT " AUDIT_TEXT(AUDIT_PAGE_SIZE) " + 1";

static const char	audit_newer_sql[] =
    AUDIT_SELECT
    " AND (a.at, a.id) > (SELECT at, id FROM audit_log WHERE id = $6)"
    " ORDER BY a.at, a.id"
    " LIMIT " AUDIT_TEXT(AUDIT_PAGE_SIZE) " + 1";

enum audit_column {
	AUDIT_COL_ID, AUDIT_COL_AT, AUDIT_COL_ACTOR_ID, AUDIT_COL_ACTOR_NAME,
	AUDIT_COL_ACTOR_EMAIL, AUDIT_COL_ACTION, AUDIT_COL_TARGET,
	AUDIT_COL_ADDRESS, AUDIT_COL_DETAILS, AUDIT_COL_TARGET_EMAIL,
};

static enum flow_result
audit_filter_check(struct http_request *req, struct flow *f)
{
	struct audit_ctx	*ctx = f->ctx;
	char			 error[FORM_ERROR_MAX + 64];

	if (audit_filter_read(req, ctx, error, sizeof(error)) == -1)
		return (audit_invalid(req, f, error));

	if (ctx->filter.before[0] != '\0')
		ctx->direction = AUDIT_OLDER;
	else if (ctx->filter.after[0] != '\0')
		ctx->direction = AUDIT_NEWER;
	else
		ctx->direction = AUDIT_FIRST;
	return (FLOW_NEXT);
}

static enum flow_result
audit_actions_query(struct http_request *req, struct flow *f)
{
	return (flow_query(req, f, audit_actions_sql, 0, NULL));
}

static const char *
audit_param(const char *value)
{
	return (value != NULL && value[0] != '\0' ? value : NULL);
}

/*
 * Copy the action names once, because this step runs again when every
 * database connection was busy and when a newer page falls back to the
 * first page.
 */
static void
audit_actions_copy(struct flow *f)
{
	struct audit_ctx	*ctx = f->ctx;
	size_t			 len, used;
	int			 i, count;

	if (ctx->actions != NULL)
		return;
	count = flow_rows(f);
	len = 1;
	for (i = 0; i < count; i++)
		len += strlen(flow_value(f, i, 0)) + 1;
	ctx->actions = kore_malloc(len);
	used = 0;
	for (i = 0; i < count; i++) {
		len = strlen(flow_value(f, i, 0));
		memcpy(ctx->actions + used, flow_value(f, i, 0), len);
		used += len;
		ctx->actions[used++] = '\n';
	}
	ctx->actions[used] = '\0';
}

static enum flow_result
audit_page_query(struct http_request *req, struct flow *f)
{
	struct audit_ctx	*ctx = f->ctx;
	struct audit_filter	*in = &ctx->filter;
	const char		*params[6];

	audit_actions_copy(f);

	params[0] = audit_param(in->action);
	params[1] = audit_param(in->actor_key);
	params[2] = audit_param(in->target);
	params[3] = audit_param(in->from);
	params[4] = audit_param(in->to);
	switch (ctx->direction) {
	case AUDIT_OLDER:
		params[5] = in->before;
		return (flow_query(req, f, audit_older_sql, 6, params));
	case AUDIT_NEWER:
		params[5] = in->after;
		return (flow_query(req, f, audit_newer_sql, 6, params));
	default:
		params[5] = NULL;
		return (flow_query(req, f, audit_older_sql, 6, params));
	}
}

/* ---- Rendering ------------------------------------------------------- */

static int
audit_put(struct html_buf *out, const char *s)
{
	return (html_buf_append(out, s, strlen(s)));
}

static int
audit_put_escaped(struct html_buf *out, const char *s)
{
	return (html_buf_append_escaped(out, s, strlen(s)));
}

/* Write the actor cell: a member's name and email, orgoctl, or no_member. */
static int
audit_actor_cell(struct html_buf *out, struct flow *f, int row,
    const json_t *details, const struct audit_action *action)
{
	const char	*via, *name, *email;

	if (!db_is_null(&f->query, row, AUDIT_COL_ACTOR_ID)) {
		name = flow_value(f, row, AUDIT_COL_ACTOR_NAME);
		email = flow_value(f, row, AUDIT_COL_ACTOR_EMAIL);
		return (audit_put(out, "<td>") == -1 ||
		    audit_put_escaped(out, name != NULL ? name : "") == -1 ||
		    audit_put(out, "<br><span class=\"muted\">") == -1 ||
		    audit_put_escaped(out, email != NULL ? email : "") == -1 ||
		    audit_put(out, "</span></td>") == -1 ? -1 : 0);
	}

	via = json_string_value(json_object_get(details, "via"));
	if (via != NULL && strcmp(via, "orgoctl") == 0)
		return (audit_put(out, "<td class=\"muted\">orgoctl</td>"));
	return (audit_put(out, "<td class=\"muted\">") == -1 ||
	    audit_put(out, action != NULL ? action->no_member : "system") ==
	    -1 ||
	    audit_put(out, "</td>") == -1 ? -1 : 0);
}

/*
 * Write the outcome that the action name carries. A failed sign-in that
 * set a lock is shown as locked, because the next attempts are rejected
 * until the lock ends.
 */
static int
audit_outcome_cell(struct html_buf *out, const char *name,
    const struct audit_action *action, const json_t *details)
{
	const char	*outcome;
	size_t		 len;

	if (action != NULL) {
		outcome = action->outcome;
	} else {
		len = strlen(name);
		outcome = len > 7 && strcmp(name + len - 7, "_failed") == 0 ?
		    "failed" : "";
	}
	if (strcmp(name, "sign_in_failed") == 0 &&
	    json_is_true(json_object_get(details, "locked")))
		outcome = "failed, sign-in locked";

	if (strcmp(outcome, "succeeded") == 0 || outcome[0] == '\0')
		return (audit_put(out, "<td>") == -1 ||
		    audit_put(out, outcome) == -1 ||
		    audit_put(out, "</td>") == -1 ? -1 : 0);
	return (audit_put(out, "<td class=\"error-text\">") == -1 ||
	    audit_put(out, outcome) == -1 ||
	    audit_put(out, "</td>") == -1 ? -1 : 0);
}

static int
audit_target_cell(struct html_buf *out, struct flow *f, int row)
{
	const char	*target, *email;

	target = flow_value(f, row, AUDIT_COL_TARGET);
	email = flow_value(f, row, AUDIT_COL_TARGET_EMAIL);
	if (target == NULL)
		return (audit_put(out, "<td></td>"));
	if (audit_put(out, "<td><code>") == -1 ||
	    audit_put_escaped(out, target) == -1 ||
	    audit_put(out, "</code>") == -1)
		return (-1);
	if (email != NULL && (audit_put(out, "<br><span class=\"muted\">") ==
	    -1 || audit_put_escaped(out, email) == -1 ||
	    audit_put(out, "</span>") == -1))
		return (-1);
	return (audit_put(out, "</td>"));
}

/* Details as compact key: value text, with secret-named values redacted. */
static int
audit_details_cell(struct html_buf *out, json_t *details)
{
	char	text[AUDIT_DETAILS_MAX];
	int	truncated;

	if (details == NULL)
		return (audit_put(out, "<td class=\"optional muted\">details "
		    "not readable</td>"));
	audit_format_redact(details);
	if (audit_format_details(details, text, sizeof(text),
	    &truncated) == -1)
		return (-1);
	return (audit_put(out, "<td class=\"optional\">") == -1 ||
	    audit_put_escaped(out, text) == -1 ||
	    audit_put(out, "</td>") == -1 ? -1 : 0);
}

static int
audit_row(struct html_buf *out, struct flow *f, int row)
{
	const struct audit_action	*action;
	const char			*id, *name, *address;
	json_t				*details;
	json_error_t			 error;
	int				 rc;

	id = flow_value(f, row, AUDIT_COL_ID);
	name = flow_value(f, row, AUDIT_COL_ACTION);
	address = flow_value(f, row, AUDIT_COL_ADDRESS);
	action = audit_action_find(name);
	details = json_loads(flow_value(f, row, AUDIT_COL_DETAILS), 0, &error);

	rc = audit_put(out, "<tr data-id=\"") == -1 ||
	    audit_put_escaped(out, id) == -1 ||
	    audit_put(out, "\"><td>") == -1 ||
	    audit_put_escaped(out, flow_value(f, row, AUDIT_COL_AT)) == -1 ||
	    audit_put(out, "</td>") == -1 ||
	    audit_actor_cell(out, f, row, details, action) == -1 ||
	    audit_put(out, "<td>") == -1 ||
	    audit_put_escaped(out, action != NULL ? action->words : name) ==
	    -1 ||
	    audit_put(out, "<br><code>") == -1 ||
	    audit_put_escaped(out, name) == -1 ||
	    audit_put(out, "</code></td>") == -1 ||
	    audit_outcome_cell(out, name, action, details) == -1 ||
	    audit_target_cell(out, f, row) == -1 ||
	    audit_put(out, "<td class=\"optional\">") == -1 ||
	    audit_put_escaped(out, address != NULL ? address : "") == -1 ||
	    audit_put(out, "</td>") == -1 ||
	    audit_details_cell(out, details) == -1 ||
	    audit_put(out, "</tr>\n") == -1 ? -1 : 0;
	json_decref(details);
	return (rc);
}

/* The <option>s of the action select, the current filter selected. */
static int
audit_action_options(struct html_buf *out, const struct audit_ctx *ctx)
{
	const struct audit_action	*action;
	const char			*line, *end, *current;
	char				 name[AUDIT_ACTION_MAX + 1];
	size_t				 len;
	int				 listed;

	current = ctx->filter.action;
	if (audit_put(out, "<option value=\"\">All actions</option>\n") == -1)
		return (-1);
	listed = 0;
	for (line = ctx->actions; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		len = (size_t)(end - line);
		if (len >= sizeof(name))
			continue;
		memcpy(name, line, len);
		name[len] = '\0';
		listed |= strcmp(name, current) == 0;
		action = audit_action_find(name);
		if (audit_put(out, "<option value=\"") == -1 ||
		    audit_put_escaped(out, name) == -1 ||
		    audit_put(out, strcmp(name, current) == 0 ?
		    "\" selected>" : "\">") == -1 ||
		    (action != NULL && (audit_put_escaped(out,
		    action->words) == -1 || audit_put(out, " (") == -1)) ||
		    audit_put_escaped(out, name) == -1 ||
		    audit_put(out, action != NULL ? ")</option>\n" :
		    "</option>\n") == -1)
			return (-1);
	}

	/* A filter on an action with no record yet stays selected. */
	if (current[0] != '\0' && !listed &&
	    (audit_put(out, "<option value=\"") == -1 ||
	    audit_put_escaped(out, current) == -1 ||
	    audit_put(out, "\" selected>") == -1 ||
	    audit_put_escaped(out, current) == -1 ||
	    audit_put(out, "</option>\n") == -1))
		return (-1);
	return (0);
}

static int
audit_href_param(char *out, size_t out_len, size_t *used, const char *name,
    const char *value)
{
	char	encoded[AUDIT_TARGET_MAX * 3 + 1];
	size_t	need;
	int	n;

	if (value == NULL || value[0] == '\0')
		return (0);
	need = urlform_encode(value, strlen(value), encoded, sizeof(encoded));
	if (need >= sizeof(encoded))
		return (-1);
	n = snprintf(out + *used, out_len - *used, "%s%s=%s",
	    *used == strlen(AUDIT_BASE) ? "?" : "&", name, encoded);
	if (n < 0 || (size_t)n >= out_len - *used)
		return (-1);
	*used += (size_t)n;
	return (0);
}

/*
 * Write the URL of the page before or after record 'id' with the current
 * filters. 'cursor' is "before" or "after". Returns -1 when it does not
 * fit, which the limits on every field rule out.
 */
static int
audit_page_href(const struct audit_ctx *ctx, const char *cursor,
    const char *id, char *out, size_t out_len)
{
	const struct audit_filter	*in = &ctx->filter;
	size_t				 used;

	used = strlen(AUDIT_BASE);
	if (used >= out_len)
		return (-1);
	memcpy(out, AUDIT_BASE, used + 1);
	if (audit_href_param(out, out_len, &used, "action", in->action) ==
	    -1 ||
	    audit_href_param(out, out_len, &used, "actor", in->actor) == -1 ||
	    audit_href_param(out, out_len, &used, "target", in->target) ==
	    -1 ||
	    audit_href_param(out, out_len, &used, "from", in->from) == -1 ||
	    audit_href_param(out, out_len, &used, "to", in->to) == -1 ||
	    audit_href_param(out, out_len, &used, cursor, id) == -1)
		return (-1);
	return (0);
}

static void
audit_send(struct http_request *req, struct flow *f,
    const struct template_var *vars, size_t count)
{
	page_send_template(req, HTTP_STATUS_OK, "Audit log", "audit_log.html",
	    vars, count, &f->session);
}

static void
audit_summary(const struct audit_ctx *ctx, int page_rows, char *out,
    size_t out_len)
{
	if (page_rows > 0)
		snprintf(out, out_len, "%d %s on this page, newest first.",
		    page_rows, page_rows == 1 ? "record" : "records");
	else if (ctx->direction != AUDIT_FIRST)
		snprintf(out, out_len, "There are no records on this page.");
	else if (audit_filtered(&ctx->filter))
		snprintf(out, out_len, "No audit record matches these "
		    "filters.");
	else
		snprintf(out, out_len, "There are no audit records yet.");
}

/*
 * Write the URLs of the previous (newer) and next (older) page into
 * 'newer' and 'older', each of AUDIT_HREF_MAX bytes, or AUDIT_BASE for a
 * link the page hides. 'newest' and 'oldest' are the ids of the first
 * and last record shown, NULL on an empty page.
 */
static int
audit_pager_hrefs(const struct audit_ctx *ctx, const char *newest,
    const char *oldest, int has_newer, int has_older, char *newer,
    char *older)
{
	(void)kore_strlcpy(newer, AUDIT_BASE, AUDIT_HREF_MAX);
	(void)kore_strlcpy(older, AUDIT_BASE, AUDIT_HREF_MAX);
	if (newest == NULL || oldest == NULL)
		return (0);
	if (has_newer && audit_page_href(ctx, "after", newest, newer,
	    AUDIT_HREF_MAX) == -1)
		return (-1);
	if (has_older && audit_page_href(ctx, "before", oldest, older,
	    AUDIT_HREF_MAX) == -1)
		return (-1);
	return (0);
}

static enum flow_result
audit_page_show(struct http_request *req, struct flow *f)
{
	struct audit_ctx	*ctx = f->ctx;
	struct html_buf		 rows, options;
	const char		*newest, *oldest;
	char			 summary[128];
	char			 newer[AUDIT_HREF_MAX], older[AUDIT_HREF_MAX];
	int			 count, page_rows, i, row, has_newer, has_older;

	count = flow_rows(f);
	/* Fewer newer records than a page: show the first page instead. */
	if (ctx->direction == AUDIT_NEWER && count <= AUDIT_PAGE_SIZE) {
		ctx->direction = AUDIT_FIRST;
		return (flow_jump(f, audit_page_query));
	}
	page_rows = count > AUDIT_PAGE_SIZE ? AUDIT_PAGE_SIZE : count;
	has_newer = page_rows > 0 && ctx->direction != AUDIT_FIRST;
	has_older = page_rows > 0 && (ctx->direction == AUDIT_NEWER ||
	    count > AUDIT_PAGE_SIZE);

	/* The newer query reads upwards from its cursor, so it is reversed. */
	newest = oldest = NULL;
	if (page_rows > 0) {
		newest = flow_value(f, ctx->direction == AUDIT_NEWER ?
		    page_rows - 1 : 0, AUDIT_COL_ID);
		oldest = flow_value(f, ctx->direction == AUDIT_NEWER ? 0 :
		    page_rows - 1, AUDIT_COL_ID);
	}

	memset(&rows, 0, sizeof(rows));
	memset(&options, 0, sizeof(options));
	for (i = 0; i < page_rows; i++) {
		row = ctx->direction == AUDIT_NEWER ? page_rows - 1 - i : i;
		if (audit_row(&rows, f, row) == -1)
			goto fail;
	}
	if (audit_action_options(&options, ctx) == -1 ||
	    audit_pager_hrefs(ctx, newest, oldest, has_newer, has_older, newer,
	    older) == -1)
		goto fail;
	audit_summary(ctx, page_rows, summary, sizeof(summary));

	struct template_var	vars[] = {
		{ "action_options", options.data },
		{ "actor", ctx->filter.actor },
		{ "target", ctx->filter.target },
		{ "from", ctx->filter.from },
		{ "to", ctx->filter.to },
		{ "summary", summary },
		{ "table_class", page_rows == 0 ? "hidden" : "" },
		{ "rows", rows.data },
		{ "newer_class", has_newer ? "" : "hidden" },
		{ "newer_href", newer },
		{ "older_class", has_older ? "" : "hidden" },
		{ "older_href", older },
	};
	audit_send(req, f, vars, ORGO_NITEMS(vars));
	html_buf_free(&rows);
	html_buf_free(&options);
	return (FLOW_DONE);

fail:
	kore_log(LOG_ERR, "audit: member %lld: the audit log page could not "
	    "be rendered", f->session.member_id);
	html_buf_free(&rows);
	html_buf_free(&options);
	http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
	return (FLOW_DONE);
}

static const flow_step	audit_steps[] = {
	SESSION_STEPS, session_step_require_admin, audit_filter_check,
	audit_actions_query, audit_page_query, audit_page_show,
};

int
audit_log_page(struct http_request *req)
{
	return (flow_run(req, audit_steps, ORGO_NITEMS(audit_steps),
	    sizeof(struct audit_ctx), audit_ctx_free, FLOW_HTML));
}
