/*
 * Redirect URI rules. A redirect URI receives authorization codes, so a
 * loose rule lets an attacker collect them. Hence no wildcards, no
 * fragments (RFC 6749 3.1.2) and no plain http off the local machine, and
 * matching is byte for byte except for the port of a loopback IP literal.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "redirect_uri.h"

/* A part of a URI. 'present' distinguishes an empty part from an absent one. */
struct uri_span {
	const char	*data;
	size_t		 len;
	int		 present;
};

struct uri_parts {
	struct uri_span	 scheme;
	struct uri_span	 authority;
	struct uri_span	 userinfo;
	struct uri_span	 host;
	struct uri_span	 port;
	struct uri_span	 path;
	struct uri_span	 query;
	struct uri_span	 fragment;
};

enum uri_scheme_kind {
	URI_SCHEME_HTTPS,
	URI_SCHEME_HTTP,
	URI_SCHEME_PRIVATE_USE,
};

/*
 * Kinds of difference between a requested URI and one registered URI.
 * Between two equally similar registered URIs, the one with the earlier
 * kind here is explained, because its sentence names a more exact fix.
 */
enum uri_difference {
	URI_DIFF_NONE,
	URI_DIFF_CASE,
	URI_DIFF_SLASH_EXTRA,
	URI_DIFF_SLASH_MISSING,
	URI_DIFF_SCHEME,
	URI_DIFF_PORT,
	URI_DIFF_QUERY,
	URI_DIFF_FRAGMENT,
	URI_DIFF_PATH,
	URI_DIFF_HOST,
	URI_DIFF_MANY,
};

/* Maximum length of a scheme or host quoted in an error message. */
#define URI_QUOTE_MAX		64
/* Maximum length of a requested scheme quoted in a mismatch sentence. */
#define URI_SCHEME_QUOTE_MAX	32

static void	uri_span_set(struct uri_span *, const char *, size_t);
static int	uri_span_equal(const struct uri_span *,
		    const struct uri_span *);
static void	uri_split(const char *, size_t, struct uri_parts *);
static void	uri_split_authority(struct uri_parts *);
static int	uri_char_allowed(unsigned char);
static int	uri_scheme_syntax(const struct uri_span *);
static int	uri_port_valid(const struct uri_span *);
static int	uri_port_digits(const struct uri_span *);
static int	uri_has_upper(const struct uri_span *);
static int	uri_equal_ignore_case(const char *, const char *, size_t);

static int	redirect_uri_check_bytes(const char *, size_t, char *,
		    size_t);
static int	redirect_uri_check_scheme(const struct uri_parts *,
		    enum uri_scheme_kind *, char *, size_t);
static int	redirect_uri_check_authority(const struct uri_parts *, char *,
		    size_t);
static int	redirect_uri_check_host(const struct uri_span *, char *,
		    size_t);
static int	redirect_uri_check_path(const struct uri_parts *, char *,
		    size_t);
static int	redirect_uri_check_kind(const struct uri_parts *,
		    enum uri_scheme_kind, size_t, char *, size_t);
static int	redirect_uri_loopback(const struct uri_span *);
static int	redirect_uri_loopback_literal(const struct uri_parts *);
static int	redirect_uri_port_free(const struct uri_parts *,
		    const struct uri_parts *);

static enum uri_difference
		redirect_uri_compare(const char *, size_t, const char *,
		    size_t);
static enum uri_difference
		redirect_uri_path_difference(const struct uri_span *,
		    const struct uri_span *);
static size_t	redirect_uri_similarity(const char *, size_t, const char *,
		    size_t);
static int	redirect_uri_closer(enum uri_difference, size_t,
		    enum uri_difference, size_t);
static void	redirect_uri_explain(enum uri_difference, const char *,
		    size_t, const char *, size_t, char *, size_t);
static void	redirect_uri_explain_scheme(const struct uri_parts *,
		    const struct uri_parts *, const char *, size_t, char *,
		    size_t);
static void	redirect_uri_explain_port(const struct uri_parts *,
		    const struct uri_parts *, const char *, size_t, char *,
		    size_t);
static void	redirect_uri_explain_query(const struct uri_parts *,
		    const struct uri_parts *, const char *, size_t, char *,
		    size_t);

int
redirect_uri_validate(const char *uri, size_t len, char *error,
    size_t error_len)
{
	struct uri_parts	u;
	enum uri_scheme_kind	kind;

	if (len == 0) {
		snprintf(error, error_len, "redirect URI is empty");
		return (-1);
	}
	if (len > REDIRECT_URI_MAX) {
		snprintf(error, error_len, "redirect URI is longer than %d "
		    "bytes", REDIRECT_URI_MAX);
		return (-1);
	}
	if (redirect_uri_check_bytes(uri, len, error, error_len) == -1)
		return (-1);

	uri_split(uri, len, &u);
	if (redirect_uri_check_scheme(&u, &kind, error, error_len) == -1)
		return (-1);
	if (redirect_uri_check_authority(&u, error, error_len) == -1)
		return (-1);
	if (redirect_uri_check_path(&u, error, error_len) == -1)
		return (-1);

	return (redirect_uri_check_kind(&u, kind, len, error, error_len));
}

/*
 * RFC 6749 3.1.2.3 requires simple string comparison (RFC 3986 6.2.1).
 * Any normalisation would let two strings that servers and browsers treat
 * differently pass as one.
 */
int
redirect_uri_equal(const char *registered, const char *requested)
{
	if (registered == NULL || requested == NULL)
		return (0);

	return (strcmp(registered, requested) == 0);
}

/*
 * A native app's loopback listener gets a port from the system when it
 * starts, so RFC 8252 7.3 has the port of a loopback IP literal match any
 * port. Only IP literals qualify: "localhost" can resolve to another host
 * or be taken by another program's listener (RFC 8252 8.3).
 */
int
redirect_uri_matches(const char *registered, const char *requested)
{
	struct uri_parts	gu, ru;
	size_t			glen, rlen;

	if (redirect_uri_equal(registered, requested))
		return (1);
	if (registered == NULL || requested == NULL)
		return (0);

	glen = strnlen(registered, REDIRECT_URI_MAX + 1);
	rlen = strnlen(requested, REDIRECT_URI_MAX + 1);
	if (glen > REDIRECT_URI_MAX || rlen > REDIRECT_URI_MAX)
		return (0);

	uri_split(registered, glen, &gu);
	uri_split(requested, rlen, &ru);
	if (!redirect_uri_port_free(&gu, &ru))
		return (0);

	return (uri_span_equal(&ru.scheme, &gu.scheme) &&
	    uri_span_equal(&ru.host, &gu.host) &&
	    uri_span_equal(&ru.path, &gu.path) &&
	    uri_span_equal(&ru.query, &gu.query));
}

void
redirect_uri_explain_mismatch(const char *requested,
    const char *const *registered, size_t count, char *out, size_t out_len)
{
	enum uri_difference	 difference, best_difference;
	const char		*best;
	size_t			 i, rlen, glen, best_len;
	size_t			 score, best_score;

	if (out == NULL || out_len == 0)
		return;
	if (requested == NULL)
		requested = "";

	rlen = strnlen(requested, REDIRECT_URI_MAX + 1);
	if (rlen > REDIRECT_URI_MAX) {
		snprintf(out, out_len, "redirect_uri is longer than %d bytes",
		    REDIRECT_URI_MAX);
		return;
	}

	best = NULL;
	best_len = 0;
	best_score = 0;
	best_difference = URI_DIFF_MANY;
	for (i = 0; registered != NULL && i < count; i++) {
		if (registered[i] == NULL)
			continue;
		glen = strnlen(registered[i], REDIRECT_URI_MAX + 1);
		if (glen > REDIRECT_URI_MAX)
			continue;

		difference = redirect_uri_compare(requested, rlen,
		    registered[i], glen);
		if (difference == URI_DIFF_MANY)
			continue;
		score = redirect_uri_similarity(requested, rlen,
		    registered[i], glen);
		if (redirect_uri_closer(difference, score, best_difference,
		    best_score)) {
			best = registered[i];
			best_len = glen;
			best_score = score;
			best_difference = difference;
		}
	}

	if (best == NULL) {
		snprintf(out, out_len, "redirect_uri does not match any "
		    "redirect URI registered for this application");
		return;
	}

	redirect_uri_explain(best_difference, requested, rlen, best, best_len,
	    out, out_len);
}

static void
uri_span_set(struct uri_span *span, const char *data, size_t len)
{
	span->data = data;
	span->len = len;
	span->present = 1;
}

static int
uri_span_equal(const struct uri_span *a, const struct uri_span *b)
{
	if (a->present != b->present || a->len != b->len)
		return (0);

	return (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/*
 * Split a URI into its parts as RFC 3986 3 names them, without checking
 * any part, so that it also works on untrusted requested URIs.
 */
static void
uri_split(const char *s, size_t len, struct uri_parts *u)
{
	size_t		i, pos, end;

	memset(u, 0, sizeof(*u));

	/* A scheme ends at the first ':' before any '/', '?' or '#'. */
	pos = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == ':') {
			uri_span_set(&u->scheme, s, i);
			pos = i + 1;
			break;
		}
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			break;
	}

	if (len - pos >= 2 && s[pos] == '/' && s[pos + 1] == '/') {
		for (end = pos + 2; end < len && s[end] != '/' &&
		    s[end] != '?' && s[end] != '#'; end++)
			;
		uri_span_set(&u->authority, s + pos + 2, end - pos - 2);
		uri_split_authority(u);
		pos = end;
	}

	for (end = pos; end < len && s[end] != '?' && s[end] != '#'; end++)
		;
	uri_span_set(&u->path, s + pos, end - pos);
	pos = end;

	if (pos < len && s[pos] == '?') {
		for (end = pos + 1; end < len && s[end] != '#'; end++)
			;
		uri_span_set(&u->query, s + pos + 1, end - pos - 1);
		pos = end;
	}

	if (pos < len && s[pos] == '#')
		uri_span_set(&u->fragment, s + pos + 1, len - pos - 1);
}

/* authority = [ userinfo "@" ] host [ ":" port ] */
static void
uri_split_authority(struct uri_parts *u)
{
	const char	*a, *close;
	size_t		 len, i;

	a = u->authority.data;
	len = u->authority.len;

	/* Split at the last '@', where a browser would find the host. */
	for (i = len; i > 0; i--) {
		if (a[i - 1] == '@') {
			uri_span_set(&u->userinfo, a, i - 1);
			a += i;
			len -= i;
			break;
		}
	}

	if (len > 0 && a[0] == '[') {
		close = memchr(a, ']', len);
		i = close != NULL ? (size_t)(close - a) + 1 : len;
		/* Anything but ":port" after ']' makes the host invalid. */
		if (i < len && a[i] != ':')
			i = len;
	} else {
		close = memchr(a, ':', len);
		i = close != NULL ? (size_t)(close - a) : len;
	}

	uri_span_set(&u->host, a, i);
	if (i < len)
		uri_span_set(&u->port, a + i + 1, len - i - 1);
}

/* unreserved, gen-delims, sub-delims and '%' (RFC 3986 2.1 to 2.3) */
static int
uri_char_allowed(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return (1);

	return (c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL);
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int
uri_scheme_syntax(const struct uri_span *scheme)
{
	size_t		i;
	char		c;

	if (!scheme->present || scheme->len == 0)
		return (0);

	for (i = 0; i < scheme->len; i++) {
		c = scheme->data[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			continue;
		if (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
		    c == '-' || c == '.'))
			continue;
		return (0);
	}

	return (1);
}

/* A port is 1 to 65535 in decimal without leading zeros. */
static int
uri_port_valid(const struct uri_span *port)
{
	size_t		i;
	long		value;

	if (port->len == 0 || port->len > 5 || port->data[0] == '0')
		return (0);

	value = 0;
	for (i = 0; i < port->len; i++) {
		if (port->data[i] < '0' || port->data[i] > '9')
			return (0);
		value = value * 10 + (port->data[i] - '0');
	}

	return (value <= 65535);
}

/* A requested port that is safe to quote: one to five digits. */
static int
uri_port_digits(const struct uri_span *port)
{
	size_t		i;

	if (!port->present || port->len == 0 || port->len > 5)
		return (0);

	for (i = 0; i < port->len; i++) {
		if (port->data[i] < '0' || port->data[i] > '9')
			return (0);
	}

	return (1);
}

static int
uri_has_upper(const struct uri_span *span)
{
	size_t		i;

	for (i = 0; i < span->len; i++) {
		if (span->data[i] >= 'A' && span->data[i] <= 'Z')
			return (1);
	}

	return (0);
}

/* ASCII only, unlike strncasecmp, whose result depends on the locale. */
static int
uri_equal_ignore_case(const char *a, const char *b, size_t len)
{
	size_t		i;
	unsigned char	ca, cb;

	for (i = 0; i < len; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return (0);
	}

	return (1);
}

static int
redirect_uri_check_bytes(const char *s, size_t len, char *error,
    size_t error_len)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f) {
			snprintf(error, error_len, "redirect URI must not "
			    "contain spaces, control characters or non-ASCII "
			    "bytes (byte 0x%02x at offset %zu)", c, i);
			return (-1);
		}
	}

	if (memchr(s, '*', len) != NULL) {
		snprintf(error, error_len,
		    "redirect URI must not contain a wildcard (*)");
		return (-1);
	}
	if (memchr(s, '#', len) != NULL) {
		snprintf(error, error_len,
		    "redirect URI must not contain a fragment (#...)");
		return (-1);
	}

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (!uri_char_allowed(c)) {
			snprintf(error, error_len, "redirect URI must not "
			    "contain '%c', which is not allowed in a URI", c);
			return (-1);
		}
		if (c == '%' && (len - i < 3 ||
		    !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]))) {
			snprintf(error, error_len, "redirect URI contains an "
			    "invalid percent-encoding at offset %zu (%% must "
			    "be followed by two hex digits)", i);
			return (-1);
		}
	}

	return (0);
}

static int
redirect_uri_check_scheme(const struct uri_parts *u,
    enum uri_scheme_kind *kind, char *error, size_t error_len)
{
	const struct uri_span	*scheme = &u->scheme;
	char			 lower[URI_QUOTE_MAX + 1];
	size_t			 i, quote_len;

	if (!uri_scheme_syntax(scheme)) {
		snprintf(error, error_len, "redirect URI must be an absolute "
		    "URI with a scheme, such as "
		    "https://app.example.com/callback");
		return (-1);
	}
	quote_len = scheme->len > URI_QUOTE_MAX ? URI_QUOTE_MAX : scheme->len;

	/* Schemes are compared byte for byte, like the rest of the URI. */
	if (uri_has_upper(scheme)) {
		for (i = 0; i < quote_len; i++) {
			lower[i] = (char)tolower(
			    (unsigned char)scheme->data[i]);
		}
		lower[quote_len] = '\0';
		snprintf(error, error_len, "redirect URI scheme \"%.*s\" must "
		    "be written in lowercase, as \"%s\"", (int)quote_len,
		    scheme->data, lower);
		return (-1);
	}

	if (scheme->len == 5 && memcmp(scheme->data, "https", 5) == 0) {
		*kind = URI_SCHEME_HTTPS;
		return (0);
	}
	if (scheme->len == 4 && memcmp(scheme->data, "http", 4) == 0) {
		*kind = URI_SCHEME_HTTP;
		return (0);
	}

	/*
	 * RFC 8252 7.1: a native app uses a scheme named after a domain it
	 * controls, written in reverse order. A scheme without a dot, such
	 * as javascript, data or file, is never one.
	 */
	if (memchr(scheme->data, '.', scheme->len) == NULL) {
		snprintf(error, error_len, "redirect URI must use https, or a "
		    "reverse-domain scheme such as com.example.app for a "
		    "native app, not \"%.*s\"", (int)quote_len, scheme->data);
		return (-1);
	}
	if (scheme->data[scheme->len - 1] == '.' ||
	    memmem(scheme->data, scheme->len, "..", 2) != NULL) {
		snprintf(error, error_len, "redirect URI scheme \"%.*s\" is "
		    "not a reverse domain name such as com.example.app",
		    (int)quote_len, scheme->data);
		return (-1);
	}

	*kind = URI_SCHEME_PRIVATE_USE;
	return (0);
}

static int
redirect_uri_check_authority(const struct uri_parts *u, char *error,
    size_t error_len)
{
	if (!u->authority.present)
		return (0);

	/* "https://app.example.com@evil.example/" goes to evil.example. */
	if (u->userinfo.present) {
		snprintf(error, error_len, "redirect URI must not contain "
		    "user information (user@host)");
		return (-1);
	}
	if (u->port.present && !uri_port_valid(&u->port)) {
		snprintf(error, error_len, "redirect URI port must be a number "
		    "from 1 to 65535 without leading zeros");
		return (-1);
	}

	return (redirect_uri_check_host(&u->host, error, error_len));
}

static int
redirect_uri_check_host(const struct uri_span *host, char *error,
    size_t error_len)
{
	char		address[INET6_ADDRSTRLEN];
	struct in6_addr	in6;
	int		quote_len;

	quote_len = host->len > URI_QUOTE_MAX ? URI_QUOTE_MAX : (int)host->len;

	if (host->len > 0 && host->data[0] == '[') {
		if (host->len < 3 || host->data[host->len - 1] != ']' ||
		    host->len - 2 >= sizeof(address))
			goto bad_ipv6;
		memcpy(address, host->data + 1, host->len - 2);
		address[host->len - 2] = '\0';
		if (inet_pton(AF_INET6, address, &in6) != 1)
			goto bad_ipv6;
		return (0);
	}

	/* Other characters that reg-name excludes were rejected earlier. */
	if (memchr(host->data, '[', host->len) != NULL ||
	    memchr(host->data, ']', host->len) != NULL) {
		snprintf(error, error_len, "redirect URI host \"%.*s\" is not "
		    "a valid host name", quote_len, host->data);
		return (-1);
	}

	return (0);

bad_ipv6:
	snprintf(error, error_len, "redirect URI host \"%.*s\" is not a valid "
	    "IPv6 address in brackets", quote_len, host->data);
	return (-1);
}

static int
redirect_uri_check_path(const struct uri_parts *u, char *error,
    size_t error_len)
{
	const struct uri_span	*parts[2] = { &u->path, &u->query };
	size_t			 i;

	for (i = 0; i < 2; i++) {
		if (!parts[i]->present || parts[i]->len == 0)
			continue;
		if (memchr(parts[i]->data, '[', parts[i]->len) != NULL ||
		    memchr(parts[i]->data, ']', parts[i]->len) != NULL) {
			snprintf(error, error_len, "redirect URI must not "
			    "contain [ or ] outside an IPv6 host");
			return (-1);
		}
	}

	return (0);
}

static int
redirect_uri_check_kind(const struct uri_parts *u, enum uri_scheme_kind kind,
    size_t len, char *error, size_t error_len)
{
	switch (kind) {
	case URI_SCHEME_HTTPS:
		if (!u->authority.present || u->host.len == 0) {
			snprintf(error, error_len, "redirect URI must include "
			    "a host, such as https://app.example.com/callback");
			return (-1);
		}
		return (0);
	case URI_SCHEME_HTTP:
		/* Plain http can only be trusted within the local machine. */
		if (!u->authority.present || !redirect_uri_loopback(&u->host)) {
			snprintf(error, error_len, "redirect URI must use "
			    "https, except http on 127.0.0.1, [::1] or "
			    "localhost");
			return (-1);
		}
		return (0);
	case URI_SCHEME_PRIVATE_USE:
		if (len == u->scheme.len + 1) {
			snprintf(error, error_len, "redirect URI must have a "
			    "path after the scheme, such as "
			    "com.example.app:/callback");
			return (-1);
		}
		return (0);
	}

	return (-1);
}

static int
redirect_uri_loopback(const struct uri_span *host)
{
	static const char *const	 names[] = { "127.0.0.1", "[::1]",
	    "localhost" };
	size_t				 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (host->len == strlen(names[i]) &&
		    memcmp(host->data, names[i], host->len) == 0)
			return (1);
	}

	return (0);
}

/* http on 127.0.0.1 or [::1], as registration accepts it. */
static int
redirect_uri_loopback_literal(const struct uri_parts *u)
{
	if (u->scheme.len != 4 || memcmp(u->scheme.data, "http", 4) != 0)
		return (0);
	if (!u->authority.present || u->userinfo.present ||
	    u->fragment.present)
		return (0);

	return ((u->host.len == 9 && memcmp(u->host.data, "127.0.0.1",
	    9) == 0) || (u->host.len == 5 && memcmp(u->host.data, "[::1]",
	    5) == 0));
}

/*
 * Return 1 when requested 'r' may use another port than registered 'g':
 * 'g' is a loopback IP literal and 'r' has no user information, no
 * fragment and either no port or a valid one. The other parts are left
 * to the caller to compare.
 */
static int
redirect_uri_port_free(const struct uri_parts *g, const struct uri_parts *r)
{
	if (!redirect_uri_loopback_literal(g))
		return (0);
	if (!r->authority.present || r->userinfo.present ||
	    r->fragment.present)
		return (0);

	return (!r->port.present || uri_port_valid(&r->port));
}

/*
 * Return the one way in which 'r' differs from 'g', or URI_DIFF_MANY when
 * it differs in more than one part, or in a part that is not worth
 * explaining such as user information.
 */
static enum uri_difference
redirect_uri_compare(const char *r, size_t rlen, const char *g, size_t glen)
{
	struct uri_parts	ru, gu;
	enum uri_difference	difference;
	int			count;

	if (rlen == glen && (rlen == 0 || memcmp(r, g, rlen) == 0))
		return (URI_DIFF_NONE);
	if (rlen == glen && uri_equal_ignore_case(r, g, rlen))
		return (URI_DIFF_CASE);

	uri_split(r, rlen, &ru);
	uri_split(g, glen, &gu);

	count = 0;
	difference = URI_DIFF_MANY;
	if (ru.authority.present != gu.authority.present ||
	    !uri_span_equal(&ru.userinfo, &gu.userinfo))
		count += 2;
	if (!uri_span_equal(&ru.scheme, &gu.scheme)) {
		count++;
		difference = URI_DIFF_SCHEME;
	}
	if (!uri_span_equal(&ru.host, &gu.host)) {
		count++;
		difference = URI_DIFF_HOST;
	}
	/* A loopback port is no difference (RFC 8252 7.3). */
	if (!uri_span_equal(&ru.port, &gu.port) &&
	    !redirect_uri_port_free(&gu, &ru)) {
		count++;
		difference = URI_DIFF_PORT;
	}
	if (!uri_span_equal(&ru.path, &gu.path)) {
		count++;
		difference = redirect_uri_path_difference(&ru.path, &gu.path);
	}
	if (!uri_span_equal(&ru.query, &gu.query)) {
		count++;
		difference = URI_DIFF_QUERY;
	}
	if (!uri_span_equal(&ru.fragment, &gu.fragment)) {
		count++;
		difference = URI_DIFF_FRAGMENT;
	}

	if (count == 0)
		return (URI_DIFF_NONE);
	return (count == 1 ? difference : URI_DIFF_MANY);
}

static enum uri_difference
redirect_uri_path_difference(const struct uri_span *r,
    const struct uri_span *g)
{
	if (r->len == g->len + 1 && r->data[r->len - 1] == '/' &&
	    memcmp(r->data, g->data, g->len) == 0)
		return (URI_DIFF_SLASH_EXTRA);
	if (g->len == r->len + 1 && g->data[g->len - 1] == '/' &&
	    memcmp(r->data, g->data, r->len) == 0)
		return (URI_DIFF_SLASH_MISSING);

	return (URI_DIFF_PATH);
}

/* Length of the common prefix plus the common suffix. */
static size_t
redirect_uri_similarity(const char *r, size_t rlen, const char *g,
    size_t glen)
{
	size_t		prefix, suffix;

	for (prefix = 0; prefix < rlen && prefix < glen; prefix++) {
		if (r[prefix] != g[prefix])
			break;
	}
	for (suffix = 0; suffix < rlen && suffix < glen; suffix++) {
		if (r[rlen - suffix - 1] != g[glen - suffix - 1])
			break;
	}

	return (prefix + suffix);
}

/*
 * Prefer an exact match, then the longer common prefix and suffix, then
 * the difference that comes first in enum uri_difference.
 */
static int
redirect_uri_closer(enum uri_difference difference, size_t score,
    enum uri_difference best_difference, size_t best_score)
{
	if (best_difference == URI_DIFF_NONE)
		return (0);
	if (difference == URI_DIFF_NONE)
		return (1);
	if (score != best_score)
		return (score > best_score);

	return (difference < best_difference);
}

static void
redirect_uri_explain(enum uri_difference difference, const char *r,
    size_t rlen, const char *g, size_t glen, char *out, size_t out_len)
{
	struct uri_parts	ru, gu;
	int			gl = (int)glen;

	uri_split(r, rlen, &ru);
	uri_split(g, glen, &gu);

	switch (difference) {
	case URI_DIFF_NONE:
		snprintf(out, out_len, "redirect_uri matches the registered "
		    "redirect URI \"%.*s\"", gl, g);
		break;
	case URI_DIFF_CASE:
		snprintf(out, out_len, "redirect_uri differs only in letter "
		    "case from the registered redirect URI \"%.*s\", and "
		    "redirect URIs must match exactly", gl, g);
		break;
	case URI_DIFF_SLASH_EXTRA:
		snprintf(out, out_len, "redirect_uri has a trailing slash that "
		    "the registered redirect URI \"%.*s\" does not have",
		    gl, g);
		break;
	case URI_DIFF_SLASH_MISSING:
		snprintf(out, out_len, "redirect_uri lacks the trailing slash "
		    "of the registered redirect URI \"%.*s\"", gl, g);
		break;
	case URI_DIFF_SCHEME:
		redirect_uri_explain_scheme(&ru, &gu, g, glen, out, out_len);
		break;
	case URI_DIFF_HOST:
		snprintf(out, out_len, "redirect_uri has a different host from "
		    "the registered redirect URI \"%.*s\"", gl, g);
		break;
	case URI_DIFF_PORT:
		redirect_uri_explain_port(&ru, &gu, g, glen, out, out_len);
		break;
	case URI_DIFF_PATH:
		snprintf(out, out_len, "redirect_uri has a different path from "
		    "the registered redirect URI \"%.*s\"", gl, g);
		break;
	case URI_DIFF_QUERY:
		redirect_uri_explain_query(&ru, &gu, g, glen, out, out_len);
		break;
	case URI_DIFF_FRAGMENT:
		if (ru.fragment.present && !gu.fragment.present)
			snprintf(out, out_len, "redirect_uri has a fragment "
			    "(#...) but the registered redirect URI \"%.*s\" "
			    "has none", gl, g);
		else
			snprintf(out, out_len, "redirect_uri has a different "
			    "fragment from the registered redirect URI "
			    "\"%.*s\"", gl, g);
		break;
	case URI_DIFF_MANY:
		snprintf(out, out_len, "redirect_uri does not match any "
		    "redirect URI registered for this application");
		break;
	}
}

static void
redirect_uri_explain_scheme(const struct uri_parts *ru,
    const struct uri_parts *gu, const char *g, size_t glen, char *out,
    size_t out_len)
{
	/* The requested scheme is quoted only if it has scheme syntax. */
	if (uri_scheme_syntax(&ru->scheme) &&
	    ru->scheme.len <= URI_SCHEME_QUOTE_MAX &&
	    uri_scheme_syntax(&gu->scheme)) {
		snprintf(out, out_len, "redirect_uri uses %.*s but the "
		    "registered redirect URI \"%.*s\" uses %.*s",
		    (int)ru->scheme.len, ru->scheme.data, (int)glen, g,
		    (int)gu->scheme.len, gu->scheme.data);
		return;
	}

	snprintf(out, out_len, "redirect_uri uses a different scheme from the "
	    "registered redirect URI \"%.*s\"", (int)glen, g);
}

static void
redirect_uri_explain_port(const struct uri_parts *ru,
    const struct uri_parts *gu, const char *g, size_t glen, char *out,
    size_t out_len)
{
	int	gl = (int)glen;

	if (!ru->port.present) {
		snprintf(out, out_len, "redirect_uri has no port but the "
		    "registered redirect URI \"%.*s\" uses port %.*s", gl, g,
		    (int)gu->port.len, gu->port.data);
	} else if (!gu->port.present && uri_port_digits(&ru->port)) {
		snprintf(out, out_len, "redirect_uri uses port %.*s but the "
		    "registered redirect URI \"%.*s\" has no port",
		    (int)ru->port.len, ru->port.data, gl, g);
	} else if (!gu->port.present) {
		snprintf(out, out_len, "redirect_uri has a port but the "
		    "registered redirect URI \"%.*s\" has none", gl, g);
	} else if (uri_port_digits(&ru->port)) {
		snprintf(out, out_len, "redirect_uri uses port %.*s but the "
		    "registered redirect URI \"%.*s\" uses port %.*s",
		    (int)ru->port.len, ru->port.data, gl, g,
		    (int)gu->port.len, gu->port.data);
	} else {
		snprintf(out, out_len, "redirect_uri uses a different port "
		    "from the registered redirect URI \"%.*s\"", gl, g);
	}
}

static void
redirect_uri_explain_query(const struct uri_parts *ru,
    const struct uri_parts *gu, const char *g, size_t glen, char *out,
    size_t out_len)
{
	int	gl = (int)glen;

	if (!ru->query.present)
		snprintf(out, out_len, "redirect_uri has no query string but "
		    "the registered redirect URI \"%.*s\" has one", gl, g);
	else if (!gu->query.present)
		snprintf(out, out_len, "redirect_uri has a query string but "
		    "the registered redirect URI \"%.*s\" has none", gl, g);
	else
		snprintf(out, out_len, "redirect_uri has a different query "
		    "string from the registered redirect URI \"%.*s\"", gl, g);
}
