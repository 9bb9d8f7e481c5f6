/*
 * The verification page of the device authorization grant (RFC 8628
 * section 3.3), for signed-in members.
 *
 *	GET  /device[?user_code=XXXX-XXXX]	the code form, maybe prefilled
 *	POST /device				code: show the app and scopes
 *	POST /device with decision		approve or deny
 *
 * A user code has only about 34.6 bits, so wrong codes are throttled with
 * sign_in_failure() on the keys device:<member id> and addr:<address>:
 * from the 5th wrong code of a member (20th of an address) within 15
 * minutes, the key is locked for 30 s, doubling up to 15 minutes, and
 * while it is locked no code is checked at all. A right code never clears
 * the count, or a member could reset it with a code of their own device.
 */
#include <string.h>

#include "device_code.h"
#include "flow.h"
#include "form.h"
#include "http_util.h"
#include "orgo.h"
#include "page.h"
#include "scopes.h"
#include "urlform.h"

enum device_decision { DEVICE_SHOW, DEVICE_APPROVE, DEVICE_DENY };

struct device_ctx {
	struct urlform		 form;
	int			 form_loaded;
	const char		*typed;		/* the code as typed */
	char			 user_code[DEVICE_USER_CODE_LEN + 1];
	char			 shown[DEVICE_USER_CODE_SHOWN_MAX];
	enum device_decision	 decision;

	char			 address[64];
	char			 key_member[48];
	char			 key_address[80];
	char			 code_hash[65];
	char			 device_id[32];	/* the pending authorization */
};

int	device_page(struct http_request *);

static void
device_ctx_free(void *arg)
{
	struct device_ctx	*ctx = arg;

	if (ctx->form_loaded)
		urlform_free(&ctx->form);
	util_wipe(ctx->user_code, sizeof(ctx->user_code));
	util_wipe(ctx->shown, sizeof(ctx->shown));
}

/* Show the code form with 'user_code' in it and an optional error. */
static enum flow_result
device_render_form(struct http_request *req, struct flow *f, int status,
    const char *user_code, const char *error)
{
	struct html_buf		body;

	struct template_var	vars[] = {
		{ "error", error },
		{ "error_class", error != NULL ? "" : "hidden" },
		{ "csrf", f->session.csrf },
		{ "user_code", user_code },
	};

	memset(&body, 0, sizeof(body));
	if (page_render(&body, "device.html", vars, ORGO_NITEMS(vars)) == -1) {
		html_buf_free(&body);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return (FLOW_DONE);
	}
	page_send(req, status, "Connect a device", body.data, &f->session);
	html_buf_free(&body);
	return (FLOW_DONE);
}

static enum flow_result
device_render_done(struct http_request *req, struct flow *f, int status,
    const char *heading, const char *message)
{
	struct html_buf		body;

	struct template_var	vars[] = {
		{ "heading", heading },
		{ "message", message },
	};

	memset(&body, 0, sizeof(body));
	if (page_render(&body, "device_done.html", vars,
	    ORGO_NITEMS(vars)) == -1) {
		html_buf_free(&body);
		http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return (FLOW_DONE);
	}
	page_send(req, status, heading, body.data, &f->session);
	html_buf_free(&body);
	return (FLOW_DONE);
}

/* The list items of the confirmation page, one per scope. */
static int
device_scope_items(struct html_buf *items, const char *scope_text)
{
	const char	*text;
	unsigned int	 scopes, bit;
	char		 error[64];

	if (scopes_parse(scope_text, strlen(scope_text), &scopes, error,
	    sizeof(error)) == -1)
		scopes = 0;
	for (bit = 1; bit <= SCOPE_OFFLINE_ACCESS; bit <<= 1) {
		if (!(scopes & bit) || (text = scopes_description(bit)) == NULL)
			continue;
		if (html_buf_append(items, "<li>", 4) == -1 ||
		    html_buf_append_escaped(items, text, strlen(text)) == -1 ||
		    html_buf_append(items, "</li>\n", 6) == -1)
			return (-1);
	}
	if (scopes == 0 && html_buf_append(items, "<li>Know that you are "
	    "signed in with Orgo</li>", 44) == -1)
		return (-1);
	return (0);
}

/* Render the confirmation page from the row of device_lookup_sql. */
static enum flow_result
device_render_confirm(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	struct html_buf		 items, body;

	memset(&items, 0, sizeof(items));
	memset(&body, 0, sizeof(body));
	if (device_scope_items(&items, flow_value(f, 0, 4)) == -1)
		goto fail;

	struct template_var	vars[] = {
		{ "client_name", flow_value(f, 0, 2) },
		{ "client_description", flow_value(f, 0, 3) },
		{ "member_name", f->session.name },
		{ "member_email", f->session.email },
		{ "user_code", ctx->shown },
		{ "scope_items", items.data },
		{ "csrf", f->session.csrf },
	};
	if (page_render(&body, "device_confirm.html", vars,
	    ORGO_NITEMS(vars)) == -1)
		goto fail;
	page_send(req, HTTP_STATUS_OK, "Connect a device", body.data,
	    &f->session);
	html_buf_free(&items);
	html_buf_free(&body);
	return (FLOW_DONE);

fail:
	html_buf_free(&items);
	html_buf_free(&body);
	http_response(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
	return (FLOW_DONE);
}

/* Send a signed-out member to sign in, then back here with the code. */
static enum flow_result
device_redirect_login(struct http_request *req, struct device_ctx *ctx)
{
	char	return_to[64], encoded[128], location[192];
	size_t	need;

	if (ctx->shown[0] != '\0')
		snprintf(return_to, sizeof(return_to), "/device?user_code=%s",
		    ctx->shown);
	else
		(void)kore_strlcpy(return_to, "/device", sizeof(return_to));
	need = urlform_encode(return_to, strlen(return_to), encoded,
	    sizeof(encoded));
	if (need >= sizeof(encoded))
		(void)kore_strlcpy(encoded, "%2Fdevice", sizeof(encoded));
	snprintf(location, sizeof(location), "/login?return_to=%s", encoded);
	http_util_redirect(req, location);
	return (FLOW_DONE);
}

/* Parse the user_code field into ctx. Returns 0, or -1 with a message. */
static int
device_read_code(struct device_ctx *ctx, char *error, size_t error_len)
{
	if (form_field(&ctx->form, "user_code", DEVICE_USER_CODE_INPUT_MAX, 0,
	    &ctx->typed, error, error_len) == -1)
		return (-1);
	if (device_user_code_parse(ctx->typed, strlen(ctx->typed),
	    ctx->user_code) == -1) {
		snprintf(error, error_len, "Enter the 8 letters that your "
		    "device shows, such as BCDF-GHJK.");
		return (-1);
	}
	device_user_code_show(ctx->user_code, ctx->shown);
	return (0);
}

static enum flow_result
device_get(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	char			 error[FORM_ERROR_MAX];

	if (form_read_query(req, &ctx->form, error, sizeof(error)) == -1) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (FLOW_DONE);
	}
	ctx->form_loaded = 1;

	/* A prefilled code is only shown: the member confirms it with
	 * Continue (RFC 8628 section 5.4). */
	if (device_read_code(ctx, error, sizeof(error)) == -1)
		ctx->shown[0] = '\0';
	if (!f->session.present)
		return (device_redirect_login(req, ctx));
	return (device_render_form(req, f, HTTP_STATUS_OK, ctx->shown, NULL));
}

/* The lock of either key, and the pending authorization of the code. */
static const char	device_lookup_sql[] =
    "SELECT to_char((SELECT max(locked_until) FROM sign_in_failures"
    " WHERE key IN ($1, $2) AND locked_until > now()) AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD HH24:MI:SS \"UTC\"'), d.id, c.name, c.description,"
    " d.scopes FROM (SELECT 1) AS one LEFT JOIN (device_authorizations d"
    " JOIN clients c ON c.id = d.client_id) ON d.user_code_hash = $3 AND"
    " d.status = 'pending' AND d.expires_at > now()";

/* Read the posted form: CSRF, the code and the decision. */
static enum flow_result
device_post(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	const char		*csrf, *decision;
	char			 error[FORM_ERROR_MAX];

	if (!f->session.present)
		return (device_redirect_login(req, ctx));
	if (form_read_body(req, &ctx->form, error, sizeof(error)) == -1) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    error, &f->session);
		return (FLOW_DONE);
	}
	ctx->form_loaded = 1;

	if (form_field(&ctx->form, "csrf_token", UTIL_TOKEN_LEN, 1, &csrf,
	    error, sizeof(error)) == -1 ||
	    !session_csrf_valid(req, &f->session, csrf)) {
		kore_log(LOG_NOTICE, "device: member %lld: rejected post "
		    "without a valid CSRF token or origin",
		    f->session.member_id);
		page_error(req, HTTP_STATUS_FORBIDDEN, "Request rejected",
		    "The form expired or did not come from this site. Open "
		    "the device page again and enter the code.", &f->session);
		return (FLOW_DONE);
	}
	if (form_field(&ctx->form, "decision", 8, 0, &decision, error,
	    sizeof(error)) == -1 || (decision[0] != '\0' &&
	    strcmp(decision, "approve") != 0 &&
	    strcmp(decision, "deny") != 0)) {
		page_error(req, HTTP_STATUS_BAD_REQUEST, "Invalid request",
		    "decision must be approve or deny.", &f->session);
		return (FLOW_DONE);
	}
	ctx->decision = decision[0] == '\0' ? DEVICE_SHOW :
	    strcmp(decision, "approve") == 0 ? DEVICE_APPROVE : DEVICE_DENY;

	/* A malformed code cannot match, so it is not counted. */
	if (device_read_code(ctx, error, sizeof(error)) == -1)
		return (device_render_form(req, f, HTTP_STATUS_BAD_REQUEST,
		    ctx->typed != NULL ? ctx->typed : "", error));

	http_util_client_address(req, ctx->address, sizeof(ctx->address));
	snprintf(ctx->key_member, sizeof(ctx->key_member), "device:%lld",
	    f->session.member_id);
	snprintf(ctx->key_address, sizeof(ctx->key_address), "addr:%s",
	    ctx->address);
	if (orgo_user_code_hash(ctx->user_code, ctx->code_hash) == -1)
		return (FLOW_DB_ERROR);
	return (FLOW_NEXT);
}

static enum flow_result
device_start(struct http_request *req, struct flow *f)
{
	if (req->method == HTTP_METHOD_POST)
		return (device_post(req, f));
	return (device_get(req, f));
}

/*
 * Each query starts in a step of its own, from values kept in ctx: a
 * query that waits for a free connection runs its step again, and the
 * rows of the previous query are gone by then.
 */
static enum flow_result
device_lookup(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	const char		*params[3];

	params[0] = ctx->key_member;
	params[1] = ctx->key_address;
	params[2] = ctx->code_hash;
	return (flow_query(req, f, device_lookup_sql, 3, params));
}

static const char	device_failure_sql[] =
    "WITH lock AS (SELECT sign_in_failure(ARRAY[$1, $2]) AS until),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) VALUES ($3, 'device_code_rejected', $1, $4,"
    " jsonb_build_object('locked', (SELECT until IS NOT NULL FROM lock))))"
    " SELECT to_char(until AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD HH24:MI:SS \"UTC\"') FROM lock";

/*
 * Record the decision, and for an approval the consent too, so the app
 * is listed under Settings → Connected apps, where the member can revoke
 * it. The update takes only a pending, unexpired authorization, so two
 * decisions on one code cannot both win.
 */
static const char	device_decide_sql[] =
    "WITH d AS (UPDATE device_authorizations SET status = $3::text,"
    " member_id = $2::bigint, auth_time = CASE WHEN $3::text = 'approved'"
    " THEN to_timestamp($4::bigint) END, decided_at = now()"
    " WHERE id = $1::bigint AND status = 'pending' AND expires_at > now()"
    " RETURNING client_id, scopes, status),"
    " consent AS (INSERT INTO consents (member_id, client_id, scopes)"
    " SELECT $2::bigint, d.client_id, d.scopes FROM d WHERE d.status ="
    " 'approved' ON CONFLICT (member_id, client_id) DO UPDATE"
    " SET scopes = array_to_string(ARRAY(SELECT DISTINCT s FROM unnest("
    " string_to_array(consents.scopes, ' ') || string_to_array("
    " EXCLUDED.scopes, ' ')) AS s WHERE s <> '' ORDER BY s), ' '),"
    " updated_at = now()),"
    " audit AS (INSERT INTO audit_log (actor_member_id, action, target,"
    " address, details) SELECT $2::bigint, 'device_' || d.status,"
    " 'client:' || c.client_id, $5, jsonb_build_object('scopes', d.scopes)"
    " FROM d JOIN clients c ON c.id = d.client_id)"
    " SELECT status FROM d";

static enum flow_result	device_decide(struct http_request *, struct flow *);

static enum flow_result
device_lookup_result(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	const char		*locked;
	char			 message[160];

	if (flow_rows(f) != 1)
		return (FLOW_DB_ERROR);

	if ((locked = flow_value(f, 0, 0)) != NULL) {
		snprintf(message, sizeof(message), "Too many wrong codes. Try "
		    "again after %s.", locked);
		http_response_header(req, "retry-after", "60");
		return (device_render_form(req, f, 429, ctx->shown, message));
	}

	if (flow_value(f, 0, 1) == NULL) {
		kore_log(LOG_NOTICE, "device: member %lld entered an unknown "
		    "user code from %s", f->session.member_id, ctx->address);
		return (FLOW_NEXT);
	}

	if (ctx->decision == DEVICE_SHOW)
		return (device_render_confirm(req, f));
	(void)kore_strlcpy(ctx->device_id, flow_value(f, 0, 1),
	    sizeof(ctx->device_id));
	return (flow_jump(f, device_decide));
}

static enum flow_result
device_record_failure(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	const char		*params[4];
	char			 member[32];

	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	params[0] = ctx->key_member;
	params[1] = ctx->key_address;
	params[2] = member;
	params[3] = ctx->address;
	return (flow_query(req, f, device_failure_sql, 4, params));
}

static enum flow_result
device_failure_recorded(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	const char		*locked;
	char			 message[160];

	locked = flow_rows(f) == 1 ? flow_value(f, 0, 0) : NULL;
	if (locked != NULL) {
		snprintf(message, sizeof(message), "Too many wrong codes. Try "
		    "again after %s.", locked);
		http_response_header(req, "retry-after", "60");
		return (device_render_form(req, f, 429, ctx->shown, message));
	}
	return (device_render_form(req, f, HTTP_STATUS_BAD_REQUEST,
	    ctx->shown, "This code is not valid: it may have expired or been "
	    "used already. Check the code on your device and try again."));
}

static enum flow_result
device_decide(struct http_request *req, struct flow *f)
{
	struct device_ctx	*ctx = f->ctx;
	const char		*params[5];
	char			 member[32], auth_time[32];

	snprintf(member, sizeof(member), "%lld", f->session.member_id);
	snprintf(auth_time, sizeof(auth_time), "%lld", f->session.auth_time);
	params[0] = ctx->device_id;
	params[1] = member;
	params[2] = ctx->decision == DEVICE_APPROVE ? "approved" : "denied";
	params[3] = auth_time;
	params[4] = ctx->address;
	return (flow_query(req, f, device_decide_sql, 5, params));
}

static enum flow_result
device_decided(struct http_request *req, struct flow *f)
{
	const char	*status;

	if (flow_rows(f) != 1)
		return (device_render_done(req, f, HTTP_STATUS_BAD_REQUEST,
		    "Code no longer valid", "This code expired or was answered "
		    "already. Start again on your device."));

	status = flow_value(f, 0, 0);
	kore_log(LOG_INFO, "device: member %lld %s a device authorization",
	    f->session.member_id, status);
	if (strcmp(status, "approved") == 0)
		return (device_render_done(req, f, HTTP_STATUS_OK,
		    "Device connected", "You can go back to your device: it "
		    "continues on its own in a few seconds."));
	return (device_render_done(req, f, HTTP_STATUS_OK, "Request denied",
	    "The device was not given access to your account."));
}

static const flow_step	device_steps[] = {
	SESSION_STEPS, device_start, device_lookup, device_lookup_result,
	device_record_failure, device_failure_recorded, device_decide,
	device_decided,
};

int
device_page(struct http_request *req)
{
	return (flow_run(req, device_steps, ORGO_NITEMS(device_steps),
	    sizeof(struct device_ctx), device_ctx_free, FLOW_HTML));
}
