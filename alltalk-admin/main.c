/* main.c: alltalk-admin, the administrator's command: accounts now;
 * certificates, address book, spool and index as they arrive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "addr.h"
#include "conf.h"
#include "cram.h"
#include "bounds.h"
#include "log.h"
#include "maildir.h"
#include "userdb.h"
#include "util.h"

#define EX_OK		0
#define EX_REFUSED	1
#define EX_USAGE	2

static struct config cf;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: alltalk-admin [-c file] -n\n"
	    "       alltalk-admin [-c file] user add ADDRESS\n"
	    "       alltalk-admin [-c file] user passwd ADDRESS\n"
	    "       alltalk-admin [-c file] user del ADDRESS\n"
	    "       alltalk-admin [-c file] user list\n"
	    "The password of add and passwd is the first line of standard "
	    "input.\n");
	exit(EX_USAGE);
}

/* A local address: a bare local part takes the first local domain. */
static int
local_address(const char *s, struct addr *a)
{
	enum addr_err e = addr_parse(s, cf.domains[0], a);

	if (e != ADDR_OK) {
		fprintf(stderr, "alltalk-admin: %s: %s\n", s, addr_strerror(e));
		return -1;
	}
	if (!conf_is_local_domain(&cf, a->domain)) {
		fprintf(stderr, "alltalk-admin: %s: %s is not a local domain "
		    "(domains = ...)\n", a->full, a->domain);
		return -1;
	}
	return 0;
}

/* The password: the first line of stdin, never the command line. */
static int
read_password(struct cram_keys *keys)
{
	char pw[PASSWORD_MAX + 2];
	size_t len;

	if (isatty(0))
		fprintf(stderr, "Password: ");
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "alltalk-admin: no password on standard "
		    "input\n");
		return -1;
	}
	len = strcspn(pw, "\r\n");
	if (len > PASSWORD_MAX || (pw[len] == '\0' && !feof(stdin))) {
		OPENSSL_cleanse(pw, sizeof(pw));
		fprintf(stderr, "alltalk-admin: password longer than %d "
		    "octets\n", PASSWORD_MAX);
		return -1;
	}
	pw[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "alltalk-admin: empty password refused\n");
		return -1;
	}
	cram_keys_from_password(keys, pw, len);
	OPENSSL_cleanse(pw, sizeof(pw));
	return 0;
}

static int
user_add(const char *address, int create)
{
	struct cram_keys keys;
	struct addr a;
	struct stat st;
	enum userdb_status us;
	char err[1200];

	if (local_address(address, &a) == -1)
		return EX_REFUSED;
	if (read_password(&keys) == -1)
		return EX_REFUSED;
	if (create) {
		if (stat(cf.mail_dir, &st) == -1) {
			fprintf(stderr, "alltalk-admin: %s: %s\n", cf.mail_dir,
			    strerror(errno));
			return EX_REFUSED;
		}
		/* The mailbox belongs to whoever owns mail_dir: the server's
		 * user, also when root runs this command. */
		if (maildir_create(cf.mail_dir, &a, geteuid() == 0 ?
		    st.st_uid : (uid_t)-1, geteuid() == 0 ? st.st_gid :
		    (gid_t)-1) == -1) {
			fprintf(stderr, "alltalk-admin: mailbox of %s: %s\n",
			    a.full, strerror(errno));
			return EX_REFUSED;
		}
	}
	us = userdb_put(cf.data_dir, a.full, &keys, !create, create, err,
	    sizeof(err));
	OPENSSL_cleanse(&keys, sizeof(keys));
	switch (us) {
	case USERDB_OK:
		log_info("user %s %s", create ? "added" : "password changed",
		    a.full);
		return EX_OK;
	case USERDB_EXISTS:
		fprintf(stderr, "alltalk-admin: %s: already exists\n", a.full);
		return EX_REFUSED;
	case USERDB_NOTFOUND:
		fprintf(stderr, "alltalk-admin: %s: no such user\n", a.full);
		return EX_REFUSED;
	default:
		fprintf(stderr, "alltalk-admin: %s\n", err);
		return EX_REFUSED;
	}
}

static int
user_del(const char *address)
{
	struct addr a;
	char err[1200];

	if (local_address(address, &a) == -1)
		return EX_REFUSED;
	switch (userdb_delete(cf.data_dir, a.full, err, sizeof(err))) {
	case USERDB_OK:
		log_info("user deleted %s (mailbox kept)", a.full);
		printf("%s deleted; its mailbox is kept\n", a.full);
		return EX_OK;
	case USERDB_NOTFOUND:
		fprintf(stderr, "alltalk-admin: %s: no such user\n", a.full);
		return EX_REFUSED;
	default:
		fprintf(stderr, "alltalk-admin: %s\n", err);
		return EX_REFUSED;
	}
}

static void
print_user(const char *address, void *arg)
{
	(void)arg;
	printf("%s\n", address);
}

static int
user_list(void)
{
	char err[1200];

	if (userdb_list(cf.data_dir, print_user, NULL, err, sizeof(err))
	    != USERDB_OK) {
		fprintf(stderr, "alltalk-admin: %s\n", err);
		return EX_REFUSED;
	}
	return EX_OK;
}

int
main(int argc, char *argv[])
{
	const char *file = NULL;
	char err[1200];
	int ch, check_only = 0;

	while ((ch = getopt(argc, argv, "c:n")) != -1)
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		default:
			usage();
		}
	argc -= optind;
	argv += optind;
	if (!check_only && (argc < 2 || strcmp(argv[0], "user") != 0))
		usage();
	if (check_only && argc != 0)
		usage();
	conf_defaults(&cf);
	if (conf_load(&cf, conf_path(file), file != NULL ||
	    getenv("ALLTALK_CONF") != NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "alltalk-admin: %s\n", err);
		return check_only ? EX_REFUSED : EX_USAGE;
	}
	if (check_only)
		return EX_OK;
	log_init("alltalk-admin", cf.log_facility, 0, cf.log_file);
	umask(077);
	if (strcmp(argv[1], "add") == 0 && argc == 3)
		return user_add(argv[2], 1);
	if (strcmp(argv[1], "passwd") == 0 && argc == 3)
		return user_add(argv[2], 0);
	if (strcmp(argv[1], "del") == 0 && argc == 3)
		return user_del(argv[2]);
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		return user_list();
	usage();
}
