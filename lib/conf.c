/* conf.c: alltalk.conf through one typed table {name, type, place, min, max,
 * default}.  Every default here appears in alltalk.conf(5). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "bounds.h"
#include "util.h"

enum conf_type { C_STR, C_PATH, C_UINT, C_BOOL, C_DOMAINS, C_FACILITY, C_HOST };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;
	size_t		 size;		/* C_STR, C_PATH: buffer size */
	uint64_t	 min, max;	/* C_UINT */
	const char	*def;
};

#define F(m)	offsetof(struct config, m), sizeof(((struct config *)0)->m)
static const struct conf_key conf_keys[] = {
	{ "hostname",		C_HOST,	F(hostname), 0, 0, "" },
	{ "domains",		C_DOMAINS, F(domains), 0, 0, "" },
	{ "data_dir",		C_PATH,	F(data_dir), 0, 0, "/var/lib/alltalk" },
	{ "mail_dir",		C_PATH,	F(mail_dir), 0, 0, "/var/mail/alltalk" },
	{ "spool_dir",		C_PATH,	F(spool_dir), 0, 0, "/var/spool/alltalk" },
	{ "message_size_limit",	C_UINT,	F(message_size_limit), 1024,
	    1073741824, "10485760" },
	{ "command_timeout",	C_UINT,	F(command_timeout), 1, 3600, "300" },
	{ "data_timeout",	C_UINT,	F(data_timeout), 1, 3600, "600" },
	{ "auth_failure_delay",	C_UINT,	F(auth_failure_delay), 0, 30, "2" },
	{ "soft_error_limit",	C_UINT,	F(soft_error_limit), 0, 1000, "10" },
	{ "hard_error_limit",	C_UINT,	F(hard_error_limit), 1, 1000, "20" },
	{ "error_delay",	C_UINT,	F(error_delay), 0, 30, "1" },
	{ "log_facility",	C_FACILITY, F(log_facility), 0, 0, "mail" },
	{ "log_stderr",		C_BOOL,	F(log_stderr), 0, 0, "no" },
	{ "log_file",		C_PATH,	F(log_file), 0, 0, "" },
};
#undef F

static const struct { const char *name; int value; } facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* Sets one key; returns NULL or what is wrong with the value. */
static const char *
conf_set(struct config *cf, const struct conf_key *k, const char *value)
{
	char *p = (char *)cf + k->off;
	char buf[CONF_LINE_MAX], *tok, *save;
	uint64_t v;
	size_t i;

	switch (k->type) {
	case C_STR:
	case C_PATH:
		if (strlen(value) >= k->size)
			return "value too long";
		if (k->type == C_PATH && *value != '\0' && *value != '/')
			return "must be an absolute path";
		strlcpy_at(p, value, k->size);
		return NULL;
	case C_HOST:
		if (*value != '\0' && !addr_valid_domain(value))
			return "not a valid host name";
		if (strlen(value) > HOSTNAME_MAX)
			return "longer than 64 octets";
		strlcpy_at(p, value, k->size);
		str_lower(p);
		return NULL;
	case C_UINT:
		if (parse_uint64(value, UINT64_MAX, &v) == -1)
			return "not a whole number";
		if (v < k->min || v > k->max) {
			static char range[80];
			snprintf(range, sizeof(range), "out of range %llu..%llu",
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return range;
		}
		memcpy(p, &v, sizeof(v));
		return NULL;
	case C_BOOL:
		if (strcmp(value, "yes") == 0)
			*(int *)(void *)p = 1;
		else if (strcmp(value, "no") == 0)
			*(int *)(void *)p = 0;
		else
			return "must be yes or no";
		return NULL;
	case C_FACILITY:
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcmp(value, facilities[i].name) == 0) {
				*(int *)(void *)p = facilities[i].value;
				return NULL;
			}
		return "unknown syslog facility";
	case C_DOMAINS:
		cf->ndomains = 0;
		strlcpy_at(buf, value, sizeof(buf));
		for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t,", &save)) {
			if (!addr_valid_domain(tok))
				return "not a valid domain name";
			if (cf->ndomains == CONF_DOMAINS_MAX)
				return "too many domains";
			strlcpy_at(cf->domains[cf->ndomains], tok,
			    sizeof(cf->domains[0]));
			str_lower(cf->domains[cf->ndomains]);
			cf->ndomains++;
		}
		return NULL;
	}
	return "bad key type";
}

void
conf_defaults(struct config *cf)
{
	size_t i;

	memset(cf, 0, sizeof(*cf));
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		(void)conf_set(cf, &conf_keys[i], conf_keys[i].def);
}

/* Derived defaults: hostname from the system, domains from hostname. */
static int
conf_finish(struct config *cf, char *err, size_t errsize)
{
	if (cf->hostname[0] == '\0') {
		char h[256];

		if (gethostname(h, sizeof(h)) == -1 || !addr_valid_domain(h) ||
		    strlen(h) > HOSTNAME_MAX) {
			snprintf(err, errsize, "hostname: cannot take the system"
			    " host name; set hostname in the configuration");
			return -1;
		}
		strlcpy_at(cf->hostname, h, sizeof(cf->hostname));
		str_lower(cf->hostname);
	}
	if (cf->ndomains == 0) {
		strlcpy_at(cf->domains[0], cf->hostname, sizeof(cf->domains[0]));
		cf->ndomains = 1;
	}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
conf_load(struct config *cf, const char *file, int must_exist, char *err,
    size_t errsize)
{
	char line[CONF_LINE_MAX + 2];
	FILE *fp;
	unsigned lineno = 0;
	int rc = 0;

	if ((fp = fopen(file, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return conf_finish(cf, err, errsize);
		snprintf(err, errsize, "%s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *key, *value, *eq;
		const char *why;
		size_t i;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(err, errsize, "%s:%u: line longer than %d octets",
			    file, lineno, CONF_LINE_MAX);
			rc = -1;
			break;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			snprintf(err, errsize, "%s:%u: expected key = value",
			    file, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
			if (strcmp(key, conf_keys[i].name) == 0)
				break;
		if (i == sizeof(conf_keys) / sizeof(conf_keys[0])) {
			snprintf(err, errsize, "%s:%u: %s: unknown key", file,
			    lineno, key);
			rc = -1;
			break;
		}
		if ((why = conf_set(cf, &conf_keys[i], value)) != NULL) {
			snprintf(err, errsize, "%s:%u: %s: %s", file, lineno,
			    key, why);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errsize, "%s: read error", file);
		rc = -1;
	}
	fclose(fp);
	if (rc == 0)
		rc = conf_finish(cf, err, errsize);
	return rc;
}

const char *
conf_path(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("ALLTALK_CONF")) != NULL && *env != '\0')
		return env;
	return CONF_DEFAULT_FILE;
}

int
conf_is_local_domain(const struct config *cf, const char *domain)
{
	size_t i;

	for (i = 0; i < cf->ndomains; i++)
		if (strcmp(cf->domains[i], domain) == 0)
			return 1;
	return 0;
}
