#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tokens.h"
#include "util.h"

char *
tokens_access(const struct jwt_keyset *keys, const struct token_subject *s,
    long ttl)
{
	json_t	*claims;
	char	*token, jti[UTIL_TOKEN_LEN + 1];

	if (util_token_new(jti) == -1)
		return (NULL);

	claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
	    "iss", s->issuer, "sub", s->subject, "aud", s->issuer,
	    "client_id", s->client_id, "scope", s->scope,
	    "iat", (json_int_t)s->now, "exp", (json_int_t)(s->now + ttl),
	    "jti", jti);
	if (claims == NULL)
		return (NULL);
	if (s->grant_key != NULL) {
		json_object_set_new(claims, "gid", json_string(s->grant_key));
		json_object_set_new(claims, "auth_time",
		    json_integer(s->auth_time));
	}

	token = jwt_sign(keys, "at+jwt", claims);
	json_decref(claims);
	return (token);
}

char *
tokens_id(const struct jwt_keyset *keys, const struct token_subject *s,
    const char *nonce, const char *access_token, long ttl)
{
	json_t	*claims;
	char	*token, at_hash[44];

	jwt_hash_half(access_token, strlen(access_token), at_hash);
	claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}",
	    "iss", s->issuer, "sub", s->subject, "aud", s->client_id,
	    "azp", s->client_id, "iat", (json_int_t)s->now,
	    "exp", (json_int_t)(s->now + ttl),
	    "auth_time", (json_int_t)s->auth_time, "at_hash", at_hash);
	if (claims == NULL)
		return (NULL);
	if (nonce != NULL && nonce[0] != '\0')
		json_object_set_new(claims, "nonce", json_string(nonce));

	token = jwt_sign(keys, "JWT", claims);
	json_decref(claims);
	return (token);
}
