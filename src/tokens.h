/* The JWTs the server issues: access tokens (RFC 9068) and ID tokens. */
#ifndef ORGO_TOKENS_H
#define ORGO_TOKENS_H

#include "jwt.h"

struct token_subject {
	const char	*issuer;
	const char	*subject;	/* member subject, or client_id */
	const char	*client_id;
	const char	*scope;		/* canonical scope string */
	const char	*grant_key;	/* NULL for client_credentials */
	long		 auth_time;	/* 0 when there is no member */
	long		 now;
};

/*
 * Sign an access token: header typ "at+jwt"; claims iss, sub, aud (the
 * issuer, whose userinfo endpoint accepts it), client_id, scope, iat,
 * exp, jti, and gid (the grant) plus auth_time for member tokens.
 * Returns a malloc'd token or NULL.
 */
char	*tokens_access(const struct jwt_keyset *keys,
	    const struct token_subject *s, long ttl);

/*
 * Sign an ID token (OpenID Connect Core section 2): iss, sub, aud and
 * azp (the client), exp, iat, auth_time, nonce when given, at_hash of
 * 'access_token'. Returns a malloc'd token or NULL.
 */
char	*tokens_id(const struct jwt_keyset *keys, const struct token_subject *s,
	    const char *nonce, const char *access_token, long ttl);

#endif
