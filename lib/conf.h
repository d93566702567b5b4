/* conf.h: alltalk.conf, read through one typed table of keys. */
#ifndef ALLTALK_CONF_H
#define ALLTALK_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_FILE	"/etc/alltalk/alltalk.conf"
#define CONF_DOMAINS_MAX	16

struct config {
	char		 hostname[256];
	char		 domains[CONF_DOMAINS_MAX][256];
	size_t		 ndomains;
	char		 data_dir[1024];
	char		 mail_dir[1024];
	char		 spool_dir[1024];
	uint64_t	 message_size_limit;
	uint64_t	 command_timeout;
	uint64_t	 data_timeout;
	uint64_t	 auth_failure_delay;
	uint64_t	 soft_error_limit;
	uint64_t	 hard_error_limit;
	uint64_t	 error_delay;
	int		 log_facility;
	int		 log_stderr;
	char		 log_file[1024];
};

void	conf_defaults(struct config *);
/* Reads FILE over the defaults.  Returns 0, or -1 with a message naming
 * the file, the line and the key in err. */
int	conf_load(struct config *, const char *file, int must_exist,
	    char *err, size_t errsize);
/* The configuration file named by -c, else $ALLTALK_CONF, else the default. */
const char *conf_path(const char *opt);
int	conf_is_local_domain(const struct config *, const char *domain);

#endif
