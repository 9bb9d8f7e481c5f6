/*
 * Sign-in and sign-out pages.
 *
 * POST /login: check the form, look up the member and any throttle lock in
 * one query, verify the password with Argon2id on a Kore task thread (so
 * the worker keeps serving other requests), then either start a session or
 * record the failure. An unknown email is verified against a fixed hash so
 * it costs the same time as a known one.
 */
#include <string.h>

#include "email.h"
#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "orgo.h"
#include "page.h"
#include "password.h"

#define LOGIN_CSRF_COOKIE	"__Host-orgo_login_csrf"
#define LOGIN_RETURN_MAX	2048

struct login_job {
	struct kore_task	task;		/* first: the task entry casts */
	char			hash[PASSWORD_HASH_MAX];
	int			known;
	char			password[PASSWORD_MAX_LEN + 1];
	size_t			password_len;
	int			ok;
	int			rehashed;
	char			new_hash[PASSWORD_HASH_MAX];
};

struct login_ctx {
	struct urlform		 form;
	const char		*email;
	char			*email_key;
	const char		*return_to;
	char			 address[64];
	char			 key_email[320];
	char			 key_address[80];
	char			 old_session[65];
	int			 has_old_session;
	long long		 member_id;
	int			 active;
	struct login_job	*job;
	char			 token[UTIL_TOKEN_LEN + 1];
};

int	login_page(struct http_request *);
static int	login_get(struct http_request *);
static int	login_post(struct http_request *);
int	logout_post(struct http_request *);

static enum flow_result	login_show(struct http_request *, struct flow *);
static enum flow_result	login_parse(struct http_request *, struct flow *);
static enum flow_result	login_lookup(struct http_request *, struct flow *);
static enum flow_result	login_verify(struct http_request *, struct flow *);
static enum flow_result	login_record(struct http_request *, struct flow *);
static enum flow_result	login_finish(struct http_request *, struct flow *);
static enum flow_result	login_failed(struct http_request *, struct flow *);
static enum flow_result	logout_check(struct http_request *, struct flow *);
static enum flow_result	logout_done(struct http_request *, struct flow *);

static const flow_step	login_get_steps[] = { SESSION_STEPS, login_show };
static const flow_step	login_post_steps[] = {
	login_parse, login_lookup, login_verify, login_record, login_finish,
	login_failed,
};
static const flow_step	logout_steps[] = {
	SESSION_STEPS, logout_check, logout_done,
};

static void
login_ctx_free(void *arg)
{
	struct login_ctx	*ctx = arg;

	urlform_free(&ctx->form);
	free(ctx->email_key);
	if (ctx->job != NULL) {
		util_wipe(ctx->job->password, sizeof(ctx->job->password));
		kore_free(ctx->job);
	}
}

/*
 * Render the sign-in form with a fresh CSRF cookie. 'error' is shown above
 * the form; 'email' is kept, the password never is.
 */
static void
login_render(struct http_request *req, int status, const char *email,
    const char *return_to, const char *error)
{
	struct html_buf		body;
	char			csrf[UTIL_TOKEN_LEN + 1];

	if (util_token_new(csrf) == -1) {
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}

	struct template_var	vars[] = {
		{ "lead", "Use your Orgo member account." },
		{ "error", error },
		{ "error_class", error ? "" : "hidden" },
		{ "csrf", csrf },
		{ "return_to", return_to },
		{ "email", email },
	};

	memset(&body, 0, sizeof(body));
	if (page_render(&body, "login.html", vars, ORGO_NITEMS(vars)) == -1) {
		html_buf_free(&body);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}
	session_cookie_write(req, LOGIN_CSRF_COOKIE, csrf, 3600, 1);
	page_send(req, status, "Sign in", body.data, NULL);
	html_buf_free(&body);
}

static const char *
login_return_to(const struct urlform *form)
{
	const char	*value;
	char		 error[FORM_ERROR_MAX];

	if (form_field(form, "return_to", LOGIN_RETURN_MAX, 0, &value, error,
	    sizeof(error)) == -1 || value[0] == '\0' ||
	    !util_local_path_valid(value))
		return ("/settings");
	return (value);
}

int
login_page(struct http_request *req)
{
	if (req->method == HTTP_METHOD_POST)
		return (login_post(req));
	return (login_get(req));
}

static int
login_get(struct http_request *req)
{
	return (flow_run(req, login_get_steps, ORGO_NITEMS(login_get_steps),
	    sizeof(struct urlform), NULL, FLOW_HTML));
}

static enum flow_result
login_show(struct http_request *req, struct flow *f)
{
	struct urlform	*query = f->ctx;
	const char	*return_to, *force;
	char		 error[FORM_ERROR_MAX];

	if (form_read_query(req, query, error, sizeof(error)) == -1) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, NULL);
		urlform_free(query);
		return (FLOW_DONE);
	}
	return_to = login_return_to(query);

	/* A signed-in member goes on, unless the caller asks to sign in
	 * again (prompt=login of the authorization endpoint). */
	if (f->session.present && (form_field(query, "force", 1, 0, &force,
	    error, sizeof(error)) == -1 || force[0] != '1')) {
		http_util_redirect(req, return_to);
		urlform_free(query);
		return (FLOW_DONE);
	}

	login_render(req, HTTP_STATUS_OK, "", return_to, NULL);
	urlform_free(query);
	return (FLOW_DONE);
}

static int
login_post(struct http_request *req)
{
	return (flow_run(req, login_post_steps, ORGO_NITEMS(login_post_steps),
	    sizeof(struct login_ctx), login_ctx_free, FLOW_HTML));
}

static enum flow_result
login_parse(struct http_request *req, struct flow *f)
{
	struct login_ctx	*ctx = f->ctx;
	const char		*password, *csrf;
	char			 error[FORM_ERROR_MAX], cookie[UTIL_TOKEN_LEN + 1];
	int			 cookie_len;

	if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, NULL);
		return (FLOW_DONE);
	}
	ctx->return_to = login_return_to(&ctx->form);

	if (form_field(&ctx->form, "email", 254, 0, &ctx->email, error,
	    sizeof(error)) == -1 ||
	    form_field(&ctx->form, "password", PASSWORD_MAX_LEN, 0, &password,
	    error, sizeof(error)) == -1 ||
	    form_field(&ctx->form, "csrf_token", UTIL_TOKEN_LEN, 0, &csrf,
	    error, sizeof(error)) == -1) {
		login_render(req, HTTP_STATUS_BAD_REQUEST, "", ctx->return_to,
		    error);
		return (FLOW_DONE);
	}

	/* Login CSRF: the form's token must equal its cookie (double
	 * submit) and the post must come from one of our pages. */
	cookie_len = http_util_cookie(req, LOGIN_CSRF_COOKIE, cookie,
	    sizeof(cookie));
	if (cookie_len != UTIL_TOKEN_LEN ||
	    !util_equal_ct(cookie, (size_t)cookie_len, csrf, strlen(csrf))) {
		kore_log(LOG_NOTICE, "login: rejected post without a valid "
		    "CSRF token");
		login_render(req, HTTP_STATUS_FORBIDDEN, ctx->email,
		    ctx->return_to, "The sign-in form expired. Please try "
		    "again.");
		return (FLOW_DONE);
	}
	if (!session_origin_valid(req)) {
		kore_log(LOG_NOTICE, "login: rejected post from another or an "
		    "unknown origin");
		login_render(req, HTTP_STATUS_FORBIDDEN, ctx->email,
		    ctx->return_to, "The sign-in request did not come from "
		    "this site: it needs an Origin or Referer header of this "
		    "site, as browsers send.");
		return (FLOW_DONE);
	}

	if (ctx->email[0] == '\0' || password[0] == '\0') {
		login_render(req, HTTP_STATUS_BAD_REQUEST, ctx->email,
		    ctx->return_to, "Enter your email and password.");
		return (FLOW_DONE);
	}
	if ((ctx->email_key = email_key(ctx->email, strlen(ctx->email))) ==
	    NULL) {
		login_render(req, HTTP_STATUS_BAD_REQUEST, "", ctx->return_to,
		    "The email is not valid UTF-8.");
		return (FLOW_DONE);
	}

	ctx->job = kore_calloc(1, sizeof(*ctx->job));
	ctx->job->password_len = strlen(password);
	memcpy(ctx->job->password, password, ctx->job->password_len);

	http_util_client_address(req, ctx->address, sizeof(ctx->address));
	snprintf(ctx->key_email, sizeof(ctx->key_email), "email:%s",
	    ctx->email_key);
	snprintf(ctx->key_address, sizeof(ctx->key_address), "addr:%s",
	    ctx->address);
	ctx->has_old_session = session_cookie_hash(req, ctx->old_session);

	return (FLOW_NEXT);
}

static const char	login_lookup_sql[] =
    "SELECT to_char((SELECT max(locked_until) FROM sign_in_failures "
    "WHERE key IN ($1, $2) AND locked_until > now()) AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD HH24:MI:SS \"UTC\"'), "
    "m.id, m.password_hash, m.status = 'active' "
    "FROM (SELECT 1) AS one LEFT JOIN members m ON m.email_key = $3";

static enum flow_result
login_lookup(struct http_request *req, struct flow *f)
{
	struct login_ctx	*ctx = f->ctx;
	const char		*params[3];

	params[0] = ctx->key_email;
	params[1] = ctx->key_address;
	params[2] = ctx->email_key;
	return (flow_query(req, f, login_lookup_sql, 3, params));
}

static int
login_job_run(struct kore_task *task)
{
	struct login_job	*job = (struct login_job *)task;

	job->ok = password_verify(job->known ? job->hash : NULL,
	    job->password, job->password_len);
	if (job->ok && password_needs_rehash(job->hash)) {
		job->rehashed = password_hash(job->password,
		    job->password_len, job->new_hash) == 0;
	}
	util_wipe(job->password, sizeof(job->password));
	return (KORE_RESULT_OK);
}

static enum flow_result
login_verify(struct http_request *req, struct flow *f)
{
	struct login_ctx	*ctx = f->ctx;
	const char		*locked, *hash;
	char			 message[160];

	if (flow_rows(f) != 1)
		return (FLOW_DB_ERROR);

	if ((locked = flow_value(f, 0, 0)) != NULL) {
		snprintf(message, sizeof(message), "Too many failed sign-in "
		    "attempts. Try again after %s.", locked);
		http_response_header(req, "retry-after", "60");
		login_render(req, 429, ctx->email, ctx->return_to, message);
		return (FLOW_DONE);
	}

	if ((hash = flow_value(f, 0, 2)) != NULL &&
	    strlen(hash) < sizeof(ctx->job->hash)) {
		ctx->job->known = 1;
		(void)kore_strlcpy(ctx->job->hash, hash, sizeof(ctx->job->hash));
		ctx->member_id = strtoll(flow_value(f, 0, 1), NULL, 10);
		ctx->active = flow_value(f, 0, 3)[0] == 't';
	}

	return (flow_task_start(req, f, &ctx->job->task, login_job_run, NULL));
}

/* One statement: new session, old one gone, failures cleared, audited. */
static const char	login_success_sql[] =
    "WITH new_session AS ("
    " INSERT INTO sessions (id_hash, member_id, csrf_token, idle_timeout,"
    " expires_at) VALUES ($1, $2, $3, make_interval(secs => $4::int),"
    " now() + make_interval(secs => $5::int)) RETURNING member_id),"
    " old_session AS (DELETE FROM sessions WHERE id_hash = $6),"
    " cleared AS (DELETE FROM sign_in_failures WHERE key IN ($7, $8)),"
    " rehashed AS (UPDATE members SET password_hash = $9::text"
    " WHERE id = $2::bigint AND $9::text IS NOT NULL)"
    " INSERT INTO audit_log (actor_member_id, action, target, address)"
    " SELECT member_id, 'sign_in', 'member:' || member_id, $10"
    " FROM new_session RETURNING id";

static const char	login_failure_sql[] =
    "WITH lock AS (SELECT sign_in_failure(ARRAY[$1, $2]) AS until),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) VALUES ($3, 'sign_in_failed', $1, $4,"
    " jsonb_build_object('locked', (SELECT until IS NOT NULL FROM lock))))"
    " SELECT to_char(until AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD HH24:MI:SS \"UTC\"') FROM lock";

static enum flow_result
login_record(struct http_request *req, struct flow *f)
{
	struct login_ctx	*ctx = f->ctx;
	const char		*params[10];
	char			 member[32], idle[32], max[32], csrf[UTIL_TOKEN_LEN + 1];
	char			 token_hash[65];

	snprintf(member, sizeof(member), "%lld", ctx->member_id);

	if (!ctx->job->ok || !ctx->active) {
		params[0] = ctx->key_email;
		params[1] = ctx->key_address;
		params[2] = ctx->job->known ? member : NULL;
		params[3] = ctx->address;
		return (flow_query_then(req, f, login_failure_sql, 4, params,
		    login_failed));
	}

	if (util_token_new(ctx->token) == -1 || util_token_new(csrf) == -1)
		return (FLOW_DB_ERROR);
	util_sha256_hex(ctx->token, UTIL_TOKEN_LEN, token_hash);
	snprintf(idle, sizeof(idle), "%ld", orgo_settings.session_idle);
	snprintf(max, sizeof(max), "%ld", orgo_settings.session_max);

	params[0] = token_hash;
	params[1] = member;
	params[2] = csrf;
	params[3] = idle;
	params[4] = max;
	params[5] = ctx->has_old_session ? ctx->old_session : NULL;
	params[6] = ctx->key_email;
	params[7] = ctx->key_address;
	params[8] = ctx->job->rehashed ? ctx->job->new_hash : NULL;
	params[9] = ctx->address;
	return (flow_query(req, f, login_success_sql, 10, params));
}

static enum flow_result
login_finish(struct http_request *req, struct flow *f)
{
	struct login_ctx	*ctx = f->ctx;

	kore_log(LOG_INFO, "login: member %lld signed in from %s",
	    ctx->member_id, ctx->address);
	session_set_cookie(req, ctx->token, orgo_settings.session_max);
	session_cookie_write(req, LOGIN_CSRF_COOKIE, "", 0, 1);
	util_wipe(ctx->token, sizeof(ctx->token));
	http_util_redirect(req, ctx->return_to);
	return (FLOW_DONE);
}

static enum flow_result
login_failed(struct http_request *req, struct flow *f)
{
	struct login_ctx	*ctx = f->ctx;
	const char		*locked;
	char			 message[200];

	kore_log(LOG_NOTICE, "login: failed sign-in from %s", ctx->address);
	locked = flow_rows(f) == 1 ? flow_value(f, 0, 0) : NULL;
	if (locked != NULL) {
		snprintf(message, sizeof(message), "Invalid email or password. "
		    "Too many failed attempts: try again after %s.", locked);
		http_response_header(req, "retry-after", "30");
		login_render(req, 429, ctx->email, ctx->return_to, message);
		return (FLOW_DONE);
	}

	login_render(req, HTTP_STATUS_UNAUTHORIZED, ctx->email,
	    ctx->return_to, "Invalid email or password.");
	return (FLOW_DONE);
}

int
logout_post(struct http_request *req)
{
	return (flow_run(req, logout_steps, ORGO_NITEMS(logout_steps),
	    sizeof(struct urlform), NULL, FLOW_HTML));
}

static const char	logout_sql[] =
    "WITH gone AS (DELETE FROM sessions WHERE id_hash = $1"
    " RETURNING member_id)"
    " INSERT INTO audit_log (actor_member_id, action, target)"
    " SELECT member_id, 'sign_out', 'member:' || member_id FROM gone";

static enum flow_result
logout_check(struct http_request *req, struct flow *f)
{
	struct urlform	*form = f->ctx;
	const char	*csrf, *params[1];
	char		 error[FORM_ERROR_MAX];

	if (!f->session.present) {
		session_clear_cookie(req);
		http_util_redirect(req, "/login");
		return (FLOW_DONE);
	}

	if (form_read_body(req, form, error, sizeof(error)) == -1 ||
	    form_field(form, "csrf_token", UTIL_TOKEN_LEN, 1, &csrf, error,
	    sizeof(error)) == -1 || !session_csrf_valid(req, &f->session, csrf)) {
		urlform_free(form);
		page_error(req, HTTP_STATUS_FORBIDDEN, "Request rejected",
		    "The form expired or did not come from this site. Go back, "
		    "reload the page and try again.", &f->session);
		return (FLOW_DONE);
	}
	urlform_free(form);

	params[0] = f->session.id_hash;
	return (flow_query(req, f, logout_sql, 1, params));
}

static enum flow_result
logout_done(struct http_request *req, struct flow *f)
{
	session_clear_cookie(req);
	http_util_redirect(req, "/login");
	return (FLOW_DONE);
}
