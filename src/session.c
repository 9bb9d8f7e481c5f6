#include <string.h>

#include "flow.h"
#include "http_util.h"
#include "orgo.h"
#include "page.h"
#include "urlform.h"
#include "session.h"

static const char	session_load_sql[] =
    "UPDATE sessions s SET last_seen_at = now() "
    "FROM members m "
    "WHERE s.id_hash = $1 AND m.id = s.member_id AND m.status = 'active' "
    "AND s.expires_at > now() AND s.last_seen_at + s.idle_timeout > now() "
    "RETURNING m.id, m.subject, m.email, m.name, s.csrf_token, "
    "floor(extract(epoch FROM s.auth_time))::bigint, "
    "EXISTS (SELECT 1 FROM member_roles mr JOIN roles r ON r.id = mr.role_id "
    "WHERE mr.member_id = m.id AND r.name = 'ADMIN_TENANT')";

int
session_cookie_hash(struct http_request *req, char hash[65])
{
	char	value[UTIL_TOKEN_LEN + 1];

	if (http_util_cookie(req, SESSION_COOKIE, value, sizeof(value)) !=
	    UTIL_TOKEN_LEN)
		return (0);
	util_sha256_hex(value, UTIL_TOKEN_LEN, hash);
	util_wipe(value, sizeof(value));
	return (1);
}

enum flow_result
session_step_query(struct http_request *req, struct flow *f)
{
	const char	*params[1];

	f->session.present = 0;
	if (!session_cookie_hash(req, f->session.id_hash)) {
		/* Skip the read step: there is nothing to load. */
		f->current++;
		return (FLOW_NEXT);
	}

	params[0] = f->session.id_hash;
	return (flow_query(req, f, session_load_sql, 1, params));
}

enum flow_result
session_step_read(struct http_request *req, struct flow *f)
{
	struct session	*s = &f->session;

	if (flow_rows(f) != 1)
		return (FLOW_NEXT);

	s->present = 1;
	s->member_id = strtoll(flow_value(f, 0, 0), NULL, 10);
	s->subject = kore_strdup(flow_value(f, 0, 1));
	s->email = kore_strdup(flow_value(f, 0, 2));
	s->name = kore_strdup(flow_value(f, 0, 3));
	(void)kore_strlcpy(s->csrf, flow_value(f, 0, 4), sizeof(s->csrf));
	s->auth_time = strtoll(flow_value(f, 0, 5), NULL, 10);
	s->is_admin = flow_value(f, 0, 6)[0] == 't';

	return (FLOW_NEXT);
}

void
session_clear(struct session *s)
{
	kore_free(s->subject);
	kore_free(s->email);
	kore_free(s->name);
	util_wipe(s, sizeof(*s));
}

/*
 * Kore 4.1's http_response_cookie() always adds a Domain attribute and no
 * SameSite, and a __Host- cookie must have no Domain, so the header is
 * written here.
 */
void
session_cookie_write(struct http_request *req, const char *name,
    const char *value, long max_age, int http_only)
{
	char	header[256];
	int	len;

	len = snprintf(header, sizeof(header), "%s=%s; Path=/; Secure; "
	    "SameSite=Lax; Max-Age=%ld%s", name, value, max_age,
	    http_only ? "; HttpOnly" : "");
	if (len < 0 || (size_t)len >= sizeof(header))
		fatal("session_cookie_write: cookie too long");
	http_response_header(req, "set-cookie", header);
	util_wipe(header, sizeof(header));
}

void
session_set_cookie(struct http_request *req, const char *token, long max_age)
{
	session_cookie_write(req, SESSION_COOKIE, token, max_age, 1);
}

void
session_clear_cookie(struct http_request *req)
{
	session_cookie_write(req, SESSION_COOKIE, "", 0, 1);
}

/*
 * Pages are sent with Referrer-Policy: no-referrer, so browsers post their
 * forms with "Origin: null" (Fetch standard). Then Sec-Fetch-Site, which
 * scripts cannot set, tells whether the form came from this site.
 */
int
session_origin_valid(struct http_request *req)
{
	const char	*origin, *site, *referer;
	size_t		 len;

	if (http_request_header(req, "origin", &origin) &&
	    strcmp(origin, "null") != 0)
		return (strcmp(origin, orgo_origin) == 0);
	if (http_request_header(req, "sec-fetch-site", &site))
		return (strcmp(site, "same-origin") == 0);
	if (http_request_header(req, "referer", &referer)) {
		len = strlen(orgo_origin);
		return (strncmp(referer, orgo_origin, len) == 0 &&
		    referer[len] == '/');
	}
	return (0);
}

int
session_csrf_valid(struct http_request *req, const struct session *s,
    const char *token)
{
	if (!s->present || token == NULL)
		return (0);
	if (!util_equal_ct(token, strlen(token), s->csrf, strlen(s->csrf)))
		return (0);
	return (session_origin_valid(req));
}

/* Send the browser to the sign-in page, coming back to this page. */
static void
session_redirect_to_login(struct http_request *req)
{
	char	location[2400], encoded[2200];
	size_t	need;

	need = urlform_encode(req->path, strlen(req->path), encoded,
	    sizeof(encoded));
	if (need >= sizeof(encoded) || strcmp(req->path, "/") == 0)
		(void)kore_strlcpy(location, "/login", sizeof(location));
	else
		snprintf(location, sizeof(location), "/login?return_to=%s",
		    encoded);
	http_util_redirect(req, location);
}

enum flow_result
session_step_require_member(struct http_request *req, struct flow *f)
{
	if (!f->session.present) {
		session_redirect_to_login(req);
		return (FLOW_DONE);
	}
	return (FLOW_NEXT);
}

enum flow_result
session_step_require_admin(struct http_request *req, struct flow *f)
{
	if (!f->session.present) {
		session_redirect_to_login(req);
		return (FLOW_DONE);
	}
	if (!f->session.is_admin) {
		kore_log(LOG_NOTICE, "admin: member %lld denied %s",
		    f->session.member_id, req->path);
		page_error(req, HTTP_STATUS_FORBIDDEN, "Not allowed",
		    "This page is for administrators (role ADMIN_TENANT).",
		    &f->session);
		return (FLOW_DONE);
	}
	return (FLOW_NEXT);
}
