/*
 * email_valid and email_key on addresses typed at sign-in and by admins.
 * The key is the uniqueness key of an account, so it must be stable:
 * the key of a key is the key itself.
 */
#include <unistr.h>

#include "email.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*e = (const char *)data;
	const char	*at;
	char		 error[256], *key, *again;

	if (email_valid(e, size, error, sizeof(error)) == 0) {
		FUZZ_CHECK(size > 0 && size <= EMAIL_MAX);
		FUZZ_CHECK(u8_check(data, size) == NULL);
		FUZZ_CHECK(memchr(e, '\0', size) == NULL);
		at = memchr(e, '@', size);
		FUZZ_CHECK(at != NULL && at > e);
		FUZZ_CHECK((size_t)(at - e) <= EMAIL_LOCAL_MAX);
		FUZZ_CHECK(memchr(at + 1, '@', size - (size_t)(at - e) - 1) ==
		    NULL);
		FUZZ_CHECK(memchr(at + 1, '.', size - (size_t)(at - e) - 1) !=
		    NULL);
	} else {
		FUZZ_CHECK(error[0] != '\0');
		FUZZ_CHECK(memchr(error, '\0', sizeof(error)) != NULL);
	}

	if ((key = email_key(e, size)) == NULL)
		return (0);
	FUZZ_CHECK(u8_check((const uint8_t *)key, strlen(key)) == NULL);
	if ((again = email_key(key, strlen(key))) != NULL) {
		FUZZ_CHECK(strcmp(again, key) == 0);
		free(again);
	}
	free(key);
	return (0);
}
