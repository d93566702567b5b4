/* main.c: alltalk-session, one AllTalk session on stdin/stdout, as started
 * by xinetd (or systemd with Accept=yes) for every connection. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "io.h"
#include "log.h"
#include "session.h"
#include "util.h"

static void
usage(void)
{
	fprintf(stderr, "usage: alltalk-session [-n] [-c file]\n");
	exit(2);
}

static void
client_address(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	strlcpy_at(buf, "local", size);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET && inet_ntop(AF_INET,
	    &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host)))
		strlcpy_at(buf, host, size);
	else if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host)))
		strlcpy_at(buf, host, size);
}

/* Under xinetd stderr is the client's socket: nothing but replies may
 * reach the client, so stderr goes to /dev/null there. */
static int
stderr_is_socket(void)
{
	struct stat st;

	return fstat(2, &st) == 0 && S_ISSOCK(st.st_mode);
}

int
main(int argc, char *argv[])
{
	static struct config cf;
	static struct io io;
	static struct session s;
	const char *file = NULL;
	char err[1200], client[64];
	struct rlimit rl = { 0, 0 };
	int ch, check_only = 0, on_socket;

	signal(SIGPIPE, SIG_IGN);
	(void)setrlimit(RLIMIT_CORE, &rl);	/* key states live in memory */
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1);
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
	if (optind != argc)
		usage();
	on_socket = !check_only && stderr_is_socket();
	if (on_socket) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd != -1) {
			dup2(fd, 2);
			close(fd);
		}
	}
	conf_defaults(&cf);
	if (conf_load(&cf, conf_path(file), file != NULL ||
	    getenv("ALLTALK_CONF") != NULL, err, sizeof(err)) == -1) {
		if (check_only) {
			fprintf(stderr, "alltalk-session: %s\n", err);
			return 1;
		}
		log_init("alltalk-session", cf.log_facility, 0, NULL);
		log_warnx("configuration: %s", err);
		(void)!write(1, "421 4.3.5 Server configuration error\r\n", 38);
		return 1;
	}
	if (check_only)
		return 0;
	log_init("alltalk-session", cf.log_facility, cf.log_stderr,
	    cf.log_file);
	client_address(0, client, sizeof(client));
	io_init_fd(&io, 0, 1);
	session_init(&s, &cf, &io, client);
	log_setprefix(s.id);
	session_run(&s);
	return 0;
}
