/*
 * Parsers for the Authorization header. Both run on untrusted bytes before
 * the client or token is known, so every length is bounded and a decoded
 * secret is wiped from the stack.
 */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "basic_auth.h"
#include "urlform.h"
#include "util.h"

static int	basic_auth_b64_padding(const char *, size_t);
static int	bearer_b64token_char(char);

int
basic_auth_parse(const char *header_value, char *id, size_t id_len,
    char *secret, size_t secret_len)
{
	const char	*encoded, *colon;
	unsigned char	 decoded[BASIC_AUTH_ENCODED_MAX / 4 * 3 + 1];
	size_t		 len, written;
	int		 n, padding;

	if (id_len > 0)
		id[0] = '\0';
	if (secret_len > 0)
		secret[0] = '\0';

	if (strncasecmp(header_value, "Basic ", 6) != 0)
		return (1);
	encoded = header_value + 6;
	len = strlen(encoded);
	if (len == 0 || len % 4 != 0 || len > BASIC_AUTH_ENCODED_MAX)
		return (-1);
	if ((padding = basic_auth_b64_padding(encoded, len)) == -1)
		return (-1);

	if ((n = EVP_DecodeBlock(decoded, (const unsigned char *)encoded,
	    (int)len)) < 0)
		return (-1);
	/*
	 * EVP_DecodeBlock counts padding as zero bytes: drop them. The check
	 * above allows at most two '=', so n stays positive. Without it,
	 * "Basic ====" gives n = -1 and the NUL lands before the buffer.
	 */
	n -= padding;
	decoded[n] = '\0';

	if ((colon = memchr(decoded, ':', (size_t)n)) == NULL)
		goto bad;
	if (urlform_decode_component((const char *)decoded,
	    (size_t)(colon - (const char *)decoded), id, id_len,
	    &written) == -1)
		goto bad;
	if (urlform_decode_component(colon + 1,
	    (size_t)n - (size_t)(colon + 1 - (const char *)decoded),
	    secret, secret_len, &written) == -1)
		goto bad;
	util_wipe(decoded, sizeof(decoded));
	return (0);

bad:
	util_wipe(decoded, sizeof(decoded));
	if (id_len > 0)
		id[0] = '\0';
	util_wipe(secret, secret_len);
	return (-1);
}

/*
 * Return how many '=' end 'in', or -1 unless 'in' is base64 (RFC 4648
 * section 4) with '=' only as the last one or two characters. Whitespace,
 * which EVP_DecodeBlock would skip, is rejected too.
 */
static int
basic_auth_b64_padding(const char *in, size_t len)
{
	size_t	i, data_len;
	char	c;

	data_len = len;
	while (data_len > 0 && in[data_len - 1] == '=')
		data_len--;
	if (len - data_len > 2)
		return (-1);

	for (i = 0; i < data_len; i++) {
		c = in[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return (-1);
	}

	return ((int)(len - data_len));
}

int
bearer_token_parse(const char *header_value, const char **token)
{
	const char	*p;
	size_t		 i;

	*token = NULL;
	if (strncasecmp(header_value, "Bearer ", 7) != 0)
		return (1);

	/* credentials = "Bearer" 1*SP b64token (RFC 6750 section 2.1) */
	for (p = header_value + 7; *p == ' '; p++)
		;
	for (i = 0; bearer_b64token_char(p[i]); i++)
		;
	if (i == 0)
		return (-1);
	while (p[i] == '=')
		i++;
	if (p[i] != '\0')
		return (-1);

	*token = p;
	return (0);
}

/* b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int
bearer_b64token_char(char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return (1);
	return (c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
	    c == '/');
}
