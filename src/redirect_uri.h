/*
 * Redirect URIs of registered applications: the rules a URI must meet at
 * registration, the match at authorization (exact as RFC 6749 3.1.2.3
 * requires, except for the port of a loopback address, RFC 8252 7.3), and a
 * sentence that explains to an integrator why a request did not match.
 */
#ifndef ORGO_REDIRECT_URI_H
#define ORGO_REDIRECT_URI_H

#include <stddef.h>

#define REDIRECT_URI_MAX		2000	/* bytes */
/* Size of a buffer that fits any redirect_uri_explain_mismatch sentence. */
#define REDIRECT_URI_EXPLAIN_MAX	(REDIRECT_URI_MAX + 256)

/*
 * Check a redirect URI given at registration, with surrounding whitespace
 * already trimmed. Accepted are https URIs with a host, http URIs on
 * 127.0.0.1, [::1] or localhost, and private-use schemes in reverse-domain
 * form for native apps (RFC 8252 7.1), such as com.example.app:/callback.
 * Returns 0, or -1 with a message in 'error'.
 */
int	redirect_uri_validate(const char *uri, size_t len, char *error,
	    size_t error_len);

/*
 * Return 1 if the URIs are equal byte for byte. Nothing is normalised:
 * not case, percent-encoding, default ports nor trailing slashes.
 */
int	redirect_uri_equal(const char *registered, const char *requested);

/*
 * Return 1 if 'requested' may be used where 'registered' is registered.
 * That is when they are equal byte for byte, or when 'registered' is an
 * http URI on the IP loopback literal 127.0.0.1 or [::1] and they differ
 * only in the port, which may be any valid port or none (RFC 8252 7.3).
 * User information and fragments are rejected, and "localhost" gets no
 * port exception.
 */
int	redirect_uri_matches(const char *registered, const char *requested);

/*
 * Write one sentence for an integrator into 'out', saying how 'requested'
 * differs from the closest of the 'count' registered URIs and quoting that
 * URI. A registered URI is close when it differs only in letter case or in
 * one part: scheme, host, port, path, query or fragment. When none is
 * close, the sentence states that the URI is not registered and quotes none.
 * Parts of 'requested' are quoted only when they are a port number or a
 * scheme name. Registered URIs are quoted as stored, so HTML output must
 * be escaped. The sentence is cut to out_len - 1 bytes and NUL-terminated.
 */
void	redirect_uri_explain_mismatch(const char *requested,
	    const char *const *registered, size_t count, char *out,
	    size_t out_len);

#endif
