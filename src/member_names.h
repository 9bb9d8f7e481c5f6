/*
 * Role and group name checks, shared by the admin pages and orgoctl so
 * that invalid names are rejected before the database's CHECK constraints.
 */
#ifndef ORGO_MEMBER_NAMES_H
#define ORGO_MEMBER_NAMES_H

#include <stddef.h>

#define MEMBER_NAME_MAX		64	/* bytes, roles and groups */

/* The CHECK on roles.name: ^[A-Z][A-Z0-9_]{0,63}$. */
int	member_role_valid(const char *s, size_t len);

/* The CHECK on groups.name: ^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$. */
int	member_group_valid(const char *s, size_t len);

/* The rule a valid name follows, for error messages. */
#define MEMBER_ROLE_RULE	"use capital letters A-Z, digits and _, and " \
				"start with a letter"
#define MEMBER_GROUP_RULE	"use letters, digits, spaces, '.', '_' and " \
				"'-', and start with a letter or digit"

#endif
