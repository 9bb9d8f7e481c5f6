/* Member passwords: Argon2id hashes in the PHC string format. */
#ifndef ORGO_PASSWORD_H
#define ORGO_PASSWORD_H

#include <stddef.h>

/* OWASP's minimum for Argon2id: 19 MiB, 2 iterations, 1 lane. */
#define PASSWORD_M_COST		19456	/* KiB */
#define PASSWORD_T_COST		2
#define PASSWORD_LANES		1

#define PASSWORD_MIN_LEN	10
#define PASSWORD_MAX_LEN	256	/* bytes; Argon2 itself has no need */
#define PASSWORD_HASH_MAX	160
#define PASSWORD_GENERATED_LEN	20

/* Check length and content of a new password; message in 'error'. */
int	password_acceptable(const char *pw, size_t len, char *error,
	    size_t error_len);

/* Hash with the current parameters into 'out'. Returns 0 or -1. Slow. */
int	password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX]);

/*
 * Return 1 when 'pw' matches 'encoded', 0 otherwise. With 'encoded' NULL it
 * still does the work of one verification against a fixed hash, so a
 * sign-in with an unknown email takes as long as one with a known email.
 */
int	password_verify(const char *encoded, const char *pw, size_t len);

/* Return 1 when 'encoded' was made with weaker parameters than today's. */
int	password_needs_rehash(const char *encoded);

/* Write a random password of PASSWORD_GENERATED_LEN characters. */
int	password_generate(char out[PASSWORD_GENERATED_LEN + 1]);

#endif
