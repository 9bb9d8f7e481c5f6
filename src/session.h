/*
 * Sign-in sessions. The cookie carries 256 random bits; the database keeps
 * only their SHA-256. A session ends at its idle timeout, its absolute
 * lifetime, sign-out, or when the member is disabled.
 */
#ifndef ORGO_SESSION_H
#define ORGO_SESSION_H

#include <kore/kore.h>
#include <kore/http.h>

#include "util.h"

#define SESSION_COOKIE		"__Host-orgo_session"

struct session {
	int		 present;
	long long	 member_id;
	char		*subject;
	char		*email;
	char		*name;
	int		 is_admin;
	long long	 auth_time;		/* Unix time of the sign-in */
	char		 csrf[UTIL_TOKEN_LEN + 1];
	char		 id_hash[65];		/* SHA-256 of the cookie */
};

struct flow;
enum flow_result;

/*
 * The two steps that load the session of the request's cookie into
 * f->session (present == 0 when there is none or it has ended).
 */
#define SESSION_STEPS	session_step_query, session_step_read
enum flow_result	session_step_query(struct http_request *, struct flow *);
enum flow_result	session_step_read(struct http_request *, struct flow *);

/*
 * Step for admin pages: redirect to the sign-in page without a session,
 * 403 for members without the ADMIN_TENANT role.
 */
enum flow_result	session_step_require_admin(struct http_request *,
			    struct flow *);

/* Step for member pages: redirect to the sign-in page without a session. */
enum flow_result	session_step_require_member(struct http_request *,
			    struct flow *);

/* Read the session cookie; returns 1 and its hash when there is one. */
int	session_cookie_hash(struct http_request *req, char hash[65]);

void	session_set_cookie(struct http_request *req, const char *token,
	    long max_age);
void	session_clear_cookie(struct http_request *req);

/* Write a Set-Cookie header for a __Host- style cookie (Secure, Path=/). */
void	session_cookie_write(struct http_request *req, const char *name,
	    const char *value, long max_age, int http_only);
void	session_clear(struct session *s);

/*
 * Check a state-changing request: 'token' must equal the session's CSRF
 * token and Origin (or else Referer) must be this server. Returns 1 if ok.
 */
int	session_csrf_valid(struct http_request *req, const struct session *s,
	    const char *token);

/* Return 1 when Origin or Referer names this server's origin. */
int	session_origin_valid(struct http_request *req);

#endif
