/* addr.c: mailbox addresses.  The local part is held to a strict character
 * set because it becomes a directory name: programs and files are not
 * addresses. */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "util.h"

int
addr_valid_local(const char *l)
{
	size_t n = strlen(l), i;

	/* A leading '-', '+' or '=' would read as an option or a formula. */
	if (n == 0 || n > LOCAL_PART_MAX || !isalnum((unsigned char)l[0]) ||
	    l[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if (c == '.' && l[i + 1] == '.')
			return 0;
		if (!isalnum(c) && c != '.' && c != '-' && c != '_' &&
		    c != '+' && c != '=')
			return 0;
		if (c >= 0x80)
			return 0;
	}
	return 1;
}

int
addr_valid_domain(const char *d)
{
	size_t n = strlen(d), label = 0, i;

	if (n == 0 || n > DOMAIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (c >= 0x80 || !(isalnum(c) || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && d[n - 1] != '-';
}

enum addr_err
addr_parse(const char *s, const char *defdomain, struct addr *a)
{
	const char *at;
	size_t llen;

	memset(a, 0, sizeof(*a));
	if (*s == '\0')
		return ADDR_EMPTY;
	if (strlen(s) > LOCAL_PART_MAX + 1 + DOMAIN_MAX)
		return ADDR_TOOLONG;
	at = strrchr(s, '@');
	if (at == NULL) {
		if (defdomain == NULL)
			return ADDR_SYNTAX;
		llen = strlen(s);
		at = s + llen;
	} else
		llen = (size_t)(at - s);
	if (llen > LOCAL_PART_MAX)
		return ADDR_TOOLONG;
	memcpy(a->local, s, llen);
	a->local[llen] = '\0';
	if (strlen(*at == '@' ? at + 1 : defdomain) > DOMAIN_MAX)
		return ADDR_TOOLONG;
	if (*at == '@')
		strlcpy_at(a->domain, at + 1, sizeof(a->domain));
	else
		strlcpy_at(a->domain, defdomain, sizeof(a->domain));
	if (strlen(a->domain) > DOMAIN_MAX)
		return ADDR_TOOLONG;
	str_lower(a->local);
	str_lower(a->domain);
	if (!addr_valid_local(a->local) || !addr_valid_domain(a->domain))
		return ADDR_SYNTAX;
	if (strlen(a->local) + 1 + strlen(a->domain) > ADDR_MAX)
		return ADDR_TOOLONG;
	(void)str_fmt(a->full, sizeof(a->full), "%s@%s", a->local, a->domain);
	return ADDR_OK;
}

enum addr_err
addr_parse_path(const char *s, const char **end, struct addr *a)
{
	char buf[ADDR_MAX + 2];
	const char *close;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (*s != '<')
		return ADDR_SYNTAX;
	if ((close = strchr(s, '>')) == NULL)
		return ADDR_SYNTAX;
	*end = close + 1;
	n = (size_t)(close - s - 1);
	if (n == 0)
		return ADDR_EMPTY;
	if (n > ADDR_MAX)
		return ADDR_TOOLONG;
	memcpy(buf, s + 1, n);
	buf[n] = '\0';
	if (strchr(buf, '@') == NULL)
		return ADDR_SYNTAX;
	return addr_parse(buf, NULL, a);
}

const char *
addr_strerror(enum addr_err e)
{
	switch (e) {
	case ADDR_OK:
		return "ok";
	case ADDR_EMPTY:
		return "empty address";
	case ADDR_SYNTAX:
		return "bad address syntax";
	case ADDR_TOOLONG:
		return "address too long";
	}
	return "bad address";
}
