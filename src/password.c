/*
 * Argon2id password hashing with libargon2. Hashes are PHC strings
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so the parameters travel
 * with each hash and can be raised later: password_needs_rehash() tells the
 * sign-in code to store a new hash after a successful verification.
 */
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "password.h"
#include "util.h"

#define PASSWORD_SALT_LEN	16
#define PASSWORD_HASH_LEN	32

/*
 * Fixed hash with the current parameters, verified when the email is
 * unknown. Its password is random and unknown.
 */
static const char	password_dummy_hash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$"
    "c29tZXNhbHRzb21lc2FsdA$"
    "7hbqrctciZKpqaDBVHigbn179PRhakA3Tc0n+9q/foY";

int
password_acceptable(const char *pw, size_t len, char *error, size_t error_len)
{
	size_t	i;

	if (len < PASSWORD_MIN_LEN) {
		snprintf(error, error_len, "password must be at least %d "
		    "characters long", PASSWORD_MIN_LEN);
		return (-1);
	}
	if (len > PASSWORD_MAX_LEN) {
		snprintf(error, error_len, "password must be at most %d bytes "
		    "long", PASSWORD_MAX_LEN);
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f) {
			snprintf(error, error_len, "password must not contain "
			    "control characters");
			return (-1);
		}
	}
	return (0);
}

int
password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
	unsigned char	salt[PASSWORD_SALT_LEN];
	int		rc;

	if (len > PASSWORD_MAX_LEN)
		return (-1);
	if (util_random(salt, sizeof(salt)) == -1)
		return (-1);

	rc = argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST,
	    PASSWORD_LANES, pw, len, salt, sizeof(salt), PASSWORD_HASH_LEN,
	    out, PASSWORD_HASH_MAX);
	util_wipe(salt, sizeof(salt));

	return (rc == ARGON2_OK ? 0 : -1);
}

int
password_verify(const char *encoded, const char *pw, size_t len)
{
	if (len > PASSWORD_MAX_LEN)
		return (0);

	if (encoded == NULL) {
		(void)argon2id_verify(password_dummy_hash, pw, len);
		return (0);
	}
	if (strncmp(encoded, "$argon2id$", 10) != 0)
		return (0);

	return (argon2id_verify(encoded, pw, len) == ARGON2_OK);
}

int
password_needs_rehash(const char *encoded)
{
	unsigned int	version, m, t, p;

	if (sscanf(encoded, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &version, &m,
	    &t, &p) != 4)
		return (1);

	return (version < ARGON2_VERSION_NUMBER || m < PASSWORD_M_COST ||
	    t < PASSWORD_T_COST || p < PASSWORD_LANES);
}

int
password_generate(char out[PASSWORD_GENERATED_LEN + 1])
{
	/* No 0/O, 1/l/I: the password is read off a terminal once. */
	static const char	alphabet[] =
	    "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char		raw[PASSWORD_GENERATED_LEN * 2];
	size_t			i, o, n;

	n = sizeof(alphabet) - 1;
	for (o = 0; o < PASSWORD_GENERATED_LEN;) {
		if (util_random(raw, sizeof(raw)) == -1)
			return (-1);
		/* Reject bytes past the last full multiple to avoid bias. */
		for (i = 0; i < sizeof(raw) && o < PASSWORD_GENERATED_LEN;
		    i++) {
			if (raw[i] < 256 - (256 % n))
				out[o++] = alphabet[raw[i] % n];
		}
	}
	out[o] = '\0';
	util_wipe(raw, sizeof(raw));

	return (0);
}
