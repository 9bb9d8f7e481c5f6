/*
 * Device authorization user codes. The alphabet has no vowels and no Y, so
 * a code never spells a word, and I and O cannot be misread as 1 and 0.
 */
#include <string.h>

#include "device_code.h"
#include "util.h"

#define DEVICE_ALPHABET_LEN	(sizeof(DEVICE_USER_CODE_ALPHABET) - 1)
/* The largest multiple of the alphabet size that a byte can hold. */
#define DEVICE_BYTE_LIMIT	(256 - 256 % DEVICE_ALPHABET_LEN)

int
device_user_code_new(char out[DEVICE_USER_CODE_LEN + 1])
{
	unsigned char	bytes[32];
	size_t		i, used;

	/*
	 * Bytes at or above DEVICE_BYTE_LIMIT are skipped, so every letter
	 * is equally likely. A second draw of 32 bytes is needed only when
	 * 25 of the first 32 are skipped, a chance below 10^-20.
	 */
	used = 0;
	while (used < DEVICE_USER_CODE_LEN) {
		if (util_random(bytes, sizeof(bytes)) == -1)
			return (-1);
		for (i = 0; i < sizeof(bytes) && used < DEVICE_USER_CODE_LEN;
		    i++) {
			if (bytes[i] >= DEVICE_BYTE_LIMIT)
				continue;
			out[used++] = DEVICE_USER_CODE_ALPHABET[bytes[i] %
			    DEVICE_ALPHABET_LEN];
		}
	}
	out[used] = '\0';
	util_wipe(bytes, sizeof(bytes));

	return (0);
}

int
device_user_code_parse(const char *input, size_t len,
    char out[DEVICE_USER_CODE_LEN + 1])
{
	size_t	i, count;
	char	c;

	if (len > DEVICE_USER_CODE_INPUT_MAX)
		return (-1);

	count = 0;
	for (i = 0; i < len; i++) {
		c = input[i];
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '\0' ||
		    strchr(DEVICE_USER_CODE_ALPHABET, c) == NULL ||
		    count == DEVICE_USER_CODE_LEN)
			return (-1);
		out[count++] = c;
	}
	if (count != DEVICE_USER_CODE_LEN)
		return (-1);
	out[count] = '\0';

	return (0);
}

void
device_user_code_show(const char code[DEVICE_USER_CODE_LEN + 1],
    char out[DEVICE_USER_CODE_SHOWN_MAX])
{
	memcpy(out, code, DEVICE_USER_CODE_LEN / 2);
	out[DEVICE_USER_CODE_LEN / 2] = '-';
	memcpy(out + DEVICE_USER_CODE_LEN / 2 + 1,
	    code + DEVICE_USER_CODE_LEN / 2, DEVICE_USER_CODE_LEN / 2);
	out[DEVICE_USER_CODE_LEN + 1] = '\0';
}
