#include "member_names.h"

int
member_role_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > MEMBER_NAME_MAX || s[0] < 'A' || s[0] > 'Z')
		return (0);
	for (i = 1; i < len; i++) {
		if (!(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			return (0);
	}
	return (1);
}

int
member_group_valid(const char *s, size_t len)
{
	size_t	i;
	char	c;

	if (len == 0 || len > MEMBER_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (i == 0 || (c != ' ' && c != '.' && c != '_' && c != '-'))
			return (0);
	}
	return (1);
}
