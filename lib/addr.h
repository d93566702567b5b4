/* addr.h: mailbox addresses: parsing, folding to lower case, and the strict
 * character set that makes a local part safe as a directory name. */
#ifndef ALLTALK_ADDR_H
#define ALLTALK_ADDR_H

#include <stddef.h>
#include "bounds.h"

struct addr {
	char	 local[LOCAL_PART_MAX + 1];
	char	 domain[DOMAIN_MAX + 1];
	char	 full[ADDR_MAX + 1];	/* local@domain, lower case */
};

enum addr_err {
	ADDR_OK = 0,
	ADDR_EMPTY,		/* "" or "<>" */
	ADDR_SYNTAX,		/* no @, bad characters, bad dots, route */
	ADDR_TOOLONG		/* local part, domain or whole too long */
};

/* Parses "local@domain" (no angle brackets).  defdomain, if not NULL,
 * completes a bare local part.  Folds to lower case. */
enum addr_err addr_parse(const char *s, const char *defdomain, struct addr *);
/* Parses a path "<local@domain>" at s, returns a pointer past '>' in *end. */
enum addr_err addr_parse_path(const char *s, const char **end, struct addr *);
int	addr_valid_domain(const char *d);
int	addr_valid_local(const char *l);
const char *addr_strerror(enum addr_err);

#endif
