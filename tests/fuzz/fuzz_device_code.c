/*
 * device_user_code_parse on codes as members type them. Checked: an
 * accepted input has exactly DEVICE_USER_CODE_LEN letters of the alphabet
 * once case, dashes and spaces are set aside, the result is those letters
 * in upper case, and showing then parsing the result gives it back.
 */
#include "device_code.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	code[DEVICE_USER_CODE_LEN + 1], again[DEVICE_USER_CODE_LEN + 1];
	char	shown[DEVICE_USER_CODE_SHOWN_MAX];
	size_t	i, letters;
	char	c;

	memset(code, 'x', sizeof(code));
	if (device_user_code_parse((const char *)data, size, code) == -1)
		return (0);

	FUZZ_CHECK(size <= DEVICE_USER_CODE_INPUT_MAX);
	FUZZ_CHECK(strlen(code) == DEVICE_USER_CODE_LEN);
	letters = 0;
	for (i = 0; i < size; i++) {
		c = (char)data[i];
		if (c == '-' || c == ' ')
			continue;
		FUZZ_CHECK(letters < DEVICE_USER_CODE_LEN);
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		FUZZ_CHECK(c == code[letters]);
		FUZZ_CHECK(strchr(DEVICE_USER_CODE_ALPHABET, c) != NULL);
		letters++;
	}
	FUZZ_CHECK(letters == DEVICE_USER_CODE_LEN);

	device_user_code_show(code, shown);
	FUZZ_CHECK(strlen(shown) == DEVICE_USER_CODE_LEN + 1);
	FUZZ_CHECK(device_user_code_parse(shown, strlen(shown), again) == 0);
	FUZZ_CHECK(strcmp(code, again) == 0);
	return (0);
}
