/*
 * User codes of the device authorization grant (RFC 8628): 8 consonants,
 * shown as XXXX-XXXX and accepted in either case, with or without the
 * dash.
 */
#ifndef ORGO_DEVICE_CODE_H
#define ORGO_DEVICE_CODE_H

#include <stddef.h>

#define DEVICE_USER_CODE_LEN		8	/* letters, without the dash */
/* Size of a buffer for the code as shown, XXXX-XXXX, with its NUL. */
#define DEVICE_USER_CODE_SHOWN_MAX	(DEVICE_USER_CODE_LEN + 2)
/* Maximum length of a typed user code that device_user_code_parse reads. */
#define DEVICE_USER_CODE_INPUT_MAX	32

/* The 20 letters of user codes: about 34.6 bits of entropy per code. */
#define DEVICE_USER_CODE_ALPHABET	"BCDFGHJKLMNPQRSTVWXZ"

/*
 * Write a new random user code of DEVICE_USER_CODE_LEN letters and a NUL
 * into 'out', every letter equally likely. Returns 0, or -1 when the
 * random number generator fails.
 */
int	device_user_code_new(char out[DEVICE_USER_CODE_LEN + 1]);

/*
 * Read a user code as a member typed it: letters in either case, with
 * dashes and spaces anywhere ignored. Writes the DEVICE_USER_CODE_LEN
 * upper-case letters and a NUL into 'out'. Returns 0, or -1 when the
 * input is longer than DEVICE_USER_CODE_INPUT_MAX, has another character,
 * or does not have exactly DEVICE_USER_CODE_LEN letters of the alphabet.
 */
int	device_user_code_parse(const char *input, size_t len,
	    char out[DEVICE_USER_CODE_LEN + 1]);

/* Write a parsed code as shown to members, XXXX-XXXX, with a NUL. */
void	device_user_code_show(const char code[DEVICE_USER_CODE_LEN + 1],
	    char out[DEVICE_USER_CODE_SHOWN_MAX]);

#endif
