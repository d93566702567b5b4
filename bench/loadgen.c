/* loadgen.c: the load generator of `make bench`: CONCURRENCY threads run
 * whole sessions (noop: greeting, EHLO, QUIT; mail: EHLO, AUTH CRAM-MD5,
 * MAIL, RCPT, DATA of 4 KiB, QUIT) against one address, check every reply
 * code, and print sessions/s and latency percentiles.  With -e it runs the
 * server itself on a socketpair per session instead of connecting, and
 * reports the peak RSS and CPU time of those processes (wait4). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define REPLY_LINE_MAX	1024	/* one reply line we keep */
#define REPLY_LINES_MAX	200	/* lines of one multi-line reply */
#define BODY_SIZE	4096	/* message body: lines of 76 octets + CRLF */
#define BODY_LINE	76
#define FAIL_PRINT_MAX	10	/* failures described on stderr */
#define CONC_MAX	1024
#define SESSIONS_MAX	1000000000L

enum mode { MODE_NOOP, MODE_MAIL };

struct opts {
	const char	*addr;
	int		 port;
	int		 conc;
	long		 nsessions;	/* 0: run for seconds */
	double		 seconds;
	enum mode	 mode;
	const char	*user;
	const char	*password;
	const char	*rcpt;
	long		 timeout_ms;	/* whole session */
	char	       **exec_argv;	/* -e: run the server per session */
	uid_t		 exec_uid;
	gid_t		 exec_gid;
	int		 exec_drop;
	int		 verbose;
	struct sockaddr_storage sa;
	socklen_t	 salen;
};

struct conn {
	int		 fd;
	pid_t		 child;
	double		 deadline;	/* monotonic seconds */
	int		 verbose;
	long		 hwm_kib;	/* -e: VmHWM of the server before QUIT */
	unsigned char	 buf[8192];
	size_t		 pos, len;
};

struct worker {
	pthread_t	 tid;
	const struct opts *o;
	double		*lat;		/* ms of each successful session */
	size_t		 nlat, alat;
	long		 ok, failed;
	long		 maxrss_kib;	/* -e only: wait4 ru_maxrss */
	long		 hwm_kib;	/* -e only: VmHWM before QUIT */
	double		 cpu_s;		/* -e only: user + sys */
	long		 nchild;
};

static atomic_long	 next_session;
static atomic_int	 fail_printed;
static double		 end_time;	/* -t */
static char		 body[BODY_SIZE + 256];
static size_t		 bodylen;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -a ADDR -p PORT [-c CONCURRENCY] (-n SESSIONS | -t SECONDS)\n"
	    "               [-m noop|mail] [-u USER -w PASSWORD [-r RCPT]] [-T TIMEOUT] [-v]\n"
	    "       loadgen -e 'PROGRAM ARGS...' [-U USER] [-n SESSIONS] [-m noop|mail] ...\n");
	exit(2);
}

static void
fail(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
}

/* Waits until fd is ready for events or the session deadline passes. */
static int
wait_fd(struct conn *c, short events)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = events };
		double	 left = c->deadline - now_mono();
		int	 ms, r;

		if (left <= 0)
			return -1;
		ms = (int)(left * 1000.0) + 1;
		r = poll(&pfd, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
conn_write(struct conn *c, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (wait_fd(c, POLLOUT) == -1)
				return -1;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
show(const char *who, const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	fprintf(stderr, "%s %.*s\n", who, (int)len, s);
}

static int
send_cmd(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
send_cmd(struct conn *c, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		return -1;
	if (c->verbose)
		show("C:", line, (size_t)n);
	line[n++] = '\r';
	line[n++] = '\n';
	return conn_write(c, line, (size_t)n);
}

/* One line, LF-terminated, into out (NUL-terminated, CRLF removed).
 * Returns its length, or -1 on EOF, error, timeout or an overlong line. */
static long
read_line(struct conn *c, char *out, size_t outsize)
{
	size_t	 n = 0;

	for (;;) {
		while (c->pos < c->len) {
			unsigned char ch = c->buf[c->pos++];

			if (ch == '\n') {
				if (n > 0 && out[n - 1] == '\r')
					n--;
				out[n] = '\0';
				return (long)n;
			}
			if (n + 1 >= outsize)
				return -1;
			out[n++] = (char)ch;
		}
		ssize_t r = recv(c->fd, c->buf, sizeof(c->buf), 0);

		if (r > 0) {
			c->pos = 0;
			c->len = (size_t)r;
			continue;
		}
		if (r == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_fd(c, POLLIN) == -1)
			return -1;
	}
}

/* Reads a whole reply (RFC 5321 4.2): returns its code, the last line in
 * last; -1 with a description in last on a broken reply. */
static int
read_reply(struct conn *c, char *last, size_t lastsize)
{
	char	 line[REPLY_LINE_MAX];
	int	 code = -1, lines;

	for (lines = 0; lines < REPLY_LINES_MAX; lines++) {
		long	 n = read_line(c, line, sizeof(line));
		int	 lc;

		if (n < 0) {
			snprintf(last, lastsize, "(connection closed, timed out or overlong line)");
			return -1;
		}
		if (c->verbose)
			show("S:", line, (size_t)n);
		if (n < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (n > 3 && line[3] != ' ' && line[3] != '-')) {
			snprintf(last, lastsize, "(malformed) %.200s", line);
			return -1;
		}
		lc = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (code != -1 && lc != code) {
			snprintf(last, lastsize, "(code changed in a multi-line reply) %.200s", line);
			return -1;
		}
		code = lc;
		if (n == 3 || line[3] == ' ') {
			snprintf(last, lastsize, "%s", line);
			return code;
		}
	}
	snprintf(last, lastsize, "(reply of more than %d lines)", REPLY_LINES_MAX);
	return -1;
}

static int
expect(struct conn *c, int want, const char *stage, char *last,
    size_t lastsize, char *err, size_t errsize)
{
	int	 code = read_reply(c, last, lastsize);

	if (code == want)
		return 0;
	fail(err, errsize, "%s: expected %d, got: %.300s", stage, want, last);
	return -1;
}

static int
cram_response(const struct opts *o, const char *b64chal, char *out,
    size_t outsize)
{
	unsigned char	 chal[512], digest[EVP_MAX_MD_SIZE], resp[512];
	unsigned int	 dlen = 0;
	size_t		 blen = strlen(b64chal), pad = 0, i;
	int		 clen, n;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];

	if (blen == 0 || blen % 4 != 0 || blen / 4 * 3 >= sizeof(chal))
		return -1;
	clen = EVP_DecodeBlock(chal, (const unsigned char *)b64chal, (int)blen);
	if (clen < 0)
		return -1;
	while (pad < 2 && pad < blen && b64chal[blen - 1 - pad] == '=')
		pad++;
	clen -= (int)pad;
	if (HMAC(EVP_md5(), o->password, (int)strlen(o->password), chal,
	    (size_t)clen, digest, &dlen) == NULL)
		return -1;
	for (i = 0; i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	n = snprintf((char *)resp, sizeof(resp), "%s %s", o->user, hex);
	if (n < 0 || (size_t)n >= sizeof(resp))
		return -1;
	if (outsize < ((size_t)n + 2) / 3 * 4 + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, resp, n);
	OPENSSL_cleanse(resp, sizeof(resp));
	return 0;
}

/* The high-water RSS of the server's own image: unlike ru_maxrss it does
 * not include the forked copy of this program that ran before exec. */
static long
read_hwm(pid_t pid)
{
	char	 path[64], line[256];
	long	 kib = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int
session_dialogue(const struct opts *o, struct conn *c, char *err,
    size_t errsize)
{
	char	 last[REPLY_LINE_MAX + 64], resp[1024];
#define EXPECT(code, stage) \
	do { if (expect(c, (code), (stage), last, sizeof(last), err, errsize) == -1) \
		return -1; } while (0)
#define SEND(...) \
	do { if (send_cmd(c, __VA_ARGS__) == -1) { \
		fail(err, errsize, "write failed: %s", strerror(errno)); \
		return -1; } } while (0)

	EXPECT(220, "greeting");
	SEND("EHLO loadgen.bench.test");
	EXPECT(250, "EHLO");
	if (o->mode == MODE_MAIL) {
		SEND("AUTH CRAM-MD5");
		EXPECT(334, "AUTH CRAM-MD5");
		if (cram_response(o, last + 4, resp, sizeof(resp)) == -1) {
			fail(err, errsize, "AUTH: bad challenge: %.300s", last);
			return -1;
		}
		if (c->verbose)
			show("C:", resp, strlen(resp));
		if (conn_write(c, resp, strlen(resp)) == -1 ||
		    conn_write(c, "\r\n", 2) == -1) {
			fail(err, errsize, "write failed: %s", strerror(errno));
			return -1;
		}
		EXPECT(235, "AUTH response");
		SEND("MAIL FROM:<%s>", o->user);
		EXPECT(250, "MAIL FROM");
		SEND("RCPT TO:<%s>", o->rcpt);
		EXPECT(250, "RCPT TO");
		SEND("DATA");
		EXPECT(354, "DATA");
		if (c->verbose)
			fprintf(stderr, "C: (%zu octets of message)\nC: .\n", bodylen);
		if (conn_write(c, body, bodylen) == -1 ||
		    conn_write(c, ".\r\n", 3) == -1) {
			fail(err, errsize, "write failed: %s", strerror(errno));
			return -1;
		}
		EXPECT(250, "end of DATA");
		if (strncmp(last, "250 2.0.0 Ok: ", 14) != 0) {
			fail(err, errsize, "end of DATA: expected 250 2.0.0 Ok: <id>, got: %.300s", last);
			return -1;
		}
	}
	if (c->child > 0)
		c->hwm_kib = read_hwm(c->child);
	SEND("QUIT");
	EXPECT(221, "QUIT");
	return 0;
#undef EXPECT
#undef SEND
}

static int
conn_open_tcp(const struct opts *o, struct conn *c, char *err, size_t errsize)
{
	int	 one = 1, soerr = 0;
	socklen_t slen = sizeof(soerr);

	c->fd = socket(o->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		fail(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&o->sa, o->salen) == -1) {
		if (errno != EINPROGRESS) {
			fail(err, errsize, "connect: %s", strerror(errno));
			return -1;
		}
		if (wait_fd(c, POLLOUT) == -1) {
			fail(err, errsize, "connect: timed out");
			return -1;
		}
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) == -1 ||
		    soerr != 0) {
			fail(err, errsize, "connect: %s", strerror(soerr ? soerr : errno));
			return -1;
		}
	}
	return 0;
}

static int
conn_open_exec(const struct opts *o, struct conn *c, char *err, size_t errsize)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		fail(err, errsize, "socketpair: %s", strerror(errno));
		return -1;
	}
	c->child = fork();
	if (c->child == -1) {
		fail(err, errsize, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (c->child == 0) {
		if (dup2(sv[1], STDIN_FILENO) == -1 ||
		    dup2(sv[1], STDOUT_FILENO) == -1)
			_exit(126);
		if (o->exec_drop && (setgroups(0, NULL) == -1 ||
		    setgid(o->exec_gid) == -1 || setuid(o->exec_uid) == -1))
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execv(o->exec_argv[0], o->exec_argv);
		_exit(127);
	}
	close(sv[1]);
	c->fd = sv[0];
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) == -1) {
		fail(err, errsize, "fcntl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reaps the -e child, killing it when it outlives the session deadline. */
static int
reap_child(struct worker *w, struct conn *c, char *err, size_t errsize)
{
	struct rusage ru;
	int	 status, killed = 0;
	pid_t	 r;

	for (;;) {
		r = wait4(c->child, &status, WNOHANG, &ru);
		if (r == c->child)
			break;
		if (r == -1 && errno != EINTR) {
			fail(err, errsize, "wait4: %s", strerror(errno));
			return -1;
		}
		if (!killed && now_mono() > c->deadline + 2.0) {
			kill(c->child, SIGKILL);
			killed = 1;
		}
		usleep(1000);
	}
	c->child = -1;
	w->nchild++;
	if (c->hwm_kib > w->hwm_kib)
		w->hwm_kib = c->hwm_kib;
	if (ru.ru_maxrss > w->maxrss_kib)
		w->maxrss_kib = ru.ru_maxrss;
	w->cpu_s += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (killed) {
		fail(err, errsize, "server process outlived the session: killed");
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fail(err, errsize, "server process ended with %s %d",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

static int
run_session(struct worker *w, char *err, size_t errsize)
{
	const struct opts *o = w->o;
	struct conn *c;
	int	 rc;

	/* The struct is large; keep it off the small thread stacks. */
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	c->fd = -1;
	c->child = -1;
	c->verbose = o->verbose;
	c->deadline = now_mono() + (double)o->timeout_ms / 1000.0;
	if (o->exec_argv != NULL)
		rc = conn_open_exec(o, c, err, errsize);
	else
		rc = conn_open_tcp(o, c, err, errsize);
	if (rc == 0)
		rc = session_dialogue(o, c, err, errsize);
	if (c->fd != -1)
		close(c->fd);
	if (c->child > 0) {
		char	 err2[256];

		if (reap_child(w, c, err2, sizeof(err2)) == -1 && rc == 0) {
			snprintf(err, errsize, "%s", err2);
			rc = -1;
		}
	}
	free(c);
	return rc;
}

static int
claim_session(const struct opts *o)
{
	if (o->nsessions > 0)
		return atomic_fetch_add(&next_session, 1) < o->nsessions;
	return now_mono() < end_time;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char	 err[512];

	while (claim_session(w->o)) {
		double	 t0 = now_mono();

		err[0] = '\0';
		if (run_session(w, err, sizeof(err)) == -1) {
			w->failed++;
			if (atomic_fetch_add(&fail_printed, 1) < FAIL_PRINT_MAX)
				fprintf(stderr, "loadgen: session failed: %s\n", err);
			continue;
		}
		w->ok++;
		if (w->nlat == w->alat) {
			size_t	 na = w->alat ? 2 * w->alat : 1024;
			double	*nl = realloc(w->lat, na * sizeof(*nl));

			if (nl == NULL)
				continue;
			w->lat = nl;
			w->alat = na;
		}
		w->lat[w->nlat++] = (now_mono() - t0) * 1000.0;
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
percentile(const double *v, size_t n, double p)
{
	size_t	 i;

	if (n == 0)
		return 0.0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void
build_body(const struct opts *o)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t	 start, line = 0;
	int	 n;

	n = snprintf(body, sizeof(body),
	    "From: <%s>\r\nTo: <%s>\r\nSubject: loadgen\r\n\r\n",
	    o->user ? o->user : "", o->rcpt ? o->rcpt : "");
	bodylen = (size_t)n;
	start = bodylen;
	while (bodylen - start < BODY_SIZE) {
		size_t	 left = BODY_SIZE - (bodylen - start), len, i;

		len = left >= BODY_LINE + 2 ? BODY_LINE : left > 2 ? left - 2 : 1;
		for (i = 0; i < len; i++)
			body[bodylen++] = alphabet[(line + i) % 64];
		body[bodylen++] = '\r';
		body[bodylen++] = '\n';
		line++;
	}
}

static long
parse_long(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

/* Splits -e's command line at spaces (no quoting: the run script's paths
 * contain none). */
static char **
split_words(char *s)
{
	char	**v = NULL;
	size_t	 n = 0;
	char	*tok, *save = NULL;

	for (tok = strtok_r(s, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		char	**nv = realloc(v, (n + 2) * sizeof(*nv));

		if (nv == NULL)
			exit(1);
		v = nv;
		v[n++] = tok;
		v[n] = NULL;
	}
	return v;
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	const char *exec_user = NULL;
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->conc = 1;
	o->mode = MODE_NOOP;
	o->timeout_ms = 30000;
	while ((ch = getopt(argc, argv, "a:p:c:n:t:m:u:w:r:T:e:U:v")) != -1) {
		switch (ch) {
		case 'a': o->addr = optarg; break;
		case 'p': o->port = (int)parse_long(optarg, 1, 65535); break;
		case 'c': o->conc = (int)parse_long(optarg, 1, CONC_MAX); break;
		case 'n': o->nsessions = parse_long(optarg, 1, SESSIONS_MAX); break;
		case 't': o->seconds = (double)parse_long(optarg, 1, 86400); break;
		case 'm':
			if (strcmp(optarg, "noop") == 0)
				o->mode = MODE_NOOP;
			else if (strcmp(optarg, "mail") == 0)
				o->mode = MODE_MAIL;
			else
				usage();
			break;
		case 'u': o->user = optarg; break;
		case 'w': o->password = optarg; break;
		case 'r': o->rcpt = optarg; break;
		case 'T': o->timeout_ms = parse_long(optarg, 1, 3600) * 1000; break;
		case 'e': o->exec_argv = split_words(optarg); break;
		case 'U': exec_user = optarg; break;
		case 'v': o->verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc || (o->nsessions > 0) == (o->seconds > 0))
		usage();
	if (o->exec_argv == NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&o->sa;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&o->sa;

		if (o->addr == NULL || o->port == 0)
			usage();
		if (inet_pton(AF_INET, o->addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)o->port);
			o->salen = sizeof(*sin);
		} else if (inet_pton(AF_INET6, o->addr, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)o->port);
			o->salen = sizeof(*sin6);
		} else {
			fprintf(stderr, "loadgen: -a needs a numeric address: %s\n", o->addr);
			exit(2);
		}
	} else if (o->exec_argv[0] == NULL || o->exec_argv[0][0] != '/') {
		fprintf(stderr, "loadgen: -e needs an absolute program path\n");
		exit(2);
	}
	if (exec_user != NULL) {
		struct passwd *pw = getpwnam(exec_user);

		if (pw == NULL) {
			fprintf(stderr, "loadgen: unknown user %s\n", exec_user);
			exit(2);
		}
		o->exec_uid = pw->pw_uid;
		o->exec_gid = pw->pw_gid;
		o->exec_drop = 1;
	}
	if (o->mode == MODE_MAIL) {
		if (o->user == NULL || o->password == NULL)
			usage();
		if (o->rcpt == NULL)
			o->rcpt = o->user;
		if (strpbrk(o->user, "\r\n<>") != NULL ||
		    strpbrk(o->rcpt, "\r\n<>") != NULL)
			usage();
	}
	if (o->nsessions > 0 && o->conc > o->nsessions)
		o->conc = (int)o->nsessions;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct worker *w;
	double	 t0, elapsed, *all, cpu = 0.0;
	size_t	 nall = 0, k;
	long	 ok = 0, failed = 0, maxrss = 0, hwm = 0, nchild = 0;
	int	 i;

	parse_args(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	build_body(&o);
	if ((w = calloc((size_t)o.conc, sizeof(*w))) == NULL)
		return 1;
	t0 = now_mono();
	end_time = t0 + o.seconds;
	for (i = 0; i < o.conc; i++) {
		w[i].o = &o;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "loadgen: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < o.conc; i++)
		pthread_join(w[i].tid, NULL);
	elapsed = now_mono() - t0;
	for (i = 0; i < o.conc; i++) {
		ok += w[i].ok;
		failed += w[i].failed;
		nall += w[i].nlat;
		nchild += w[i].nchild;
		cpu += w[i].cpu_s;
		if (w[i].maxrss_kib > maxrss)
			maxrss = w[i].maxrss_kib;
		if (w[i].hwm_kib > hwm)
			hwm = w[i].hwm_kib;
	}
	if ((all = calloc(nall ? nall : 1, sizeof(*all))) == NULL)
		return 1;
	for (i = 0, nall = 0; i < o.conc; i++)
		for (k = 0; k < w[i].nlat; k++)
			all[nall++] = w[i].lat[k];
	qsort(all, nall, sizeof(*all), cmp_double);
	printf("loadgen: mode=%s clients=%d sessions=%ld failures=%ld "
	    "seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f",
	    o.mode == MODE_MAIL ? "mail" : "noop", o.conc, ok + failed, failed,
	    elapsed, elapsed > 0 ? (double)ok / elapsed : 0.0,
	    percentile(all, nall, 0.50), percentile(all, nall, 0.99));
	if (o.exec_argv != NULL)
		printf(" hwm_kib=%ld maxrss_kib=%ld cpu_ms_per_session=%.3f",
		    hwm, maxrss,
		    nchild ? cpu * 1000.0 / (double)nchild : 0.0);
	printf("\n");
	for (i = 0; i < o.conc; i++)
		free(w[i].lat);
	free(w);
	free(all);
	free(o.exec_argv);
	return failed > 0 || ok == 0 ? 1 : 0;
}
