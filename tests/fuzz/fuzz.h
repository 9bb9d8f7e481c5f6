/*
 * Helpers shared by the libFuzzer harnesses in this folder. A harness
 * turns the fuzzer's bytes into the C strings a parser takes, calls it,
 * and aborts through FUZZ_CHECK when an invariant of the result fails,
 * so libFuzzer saves the input as a crash.
 */
#ifndef ORGO_FUZZ_H
#define ORGO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_PARTS_MAX	8

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Copy 'size' bytes into a new NUL-terminated string; aborts without memory. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return (s);
}

/*
 * Split the input at NUL bytes into at most 'max' strings: the last part
 * takes the rest, NULs included, so it is cut at its first NUL when used
 * as a C string. Missing parts are empty strings. Free with fuzz_free_parts.
 */
static inline void
fuzz_split(const uint8_t *data, size_t size, char **parts, size_t max)
{
	const uint8_t	*nul;
	size_t		 i, len;

	for (i = 0; i < max; i++) {
		if (i + 1 == max || size == 0 ||
		    (nul = memchr(data, '\0', size)) == NULL)
			len = size;
		else
			len = (size_t)(nul - data);
		parts[i] = fuzz_string(data, len);
		if (len < size)
			len++;
		data += len;
		size -= len;
	}
}

static inline void
fuzz_free_parts(char **parts, size_t count)
{
	size_t	i;

	for (i = 0; i < count; i++)
		free(parts[i]);
}

#endif
