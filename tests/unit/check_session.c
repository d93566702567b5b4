/* check_session.c: whole sessions in-process (alltalk-session/session.c,
 * auth.c, mail.c) over pipes: golden transcripts, limits, the error
 * budget, deadlines and a full AUTH CRAM-MD5 exchange. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "b64.h"
#include "conf.h"
#include "cram.h"
#include "io.h"
#include "bounds.h"
#include "maildir.h"
#include "../../alltalk-session/session.h"
#include "suites.h"
#include "testutil.h"
#include "userdb.h"
#include "util.h"

#define HOST		"mx.a.test"
#define PASSWORD	"tanstaaftanstaaf"
#define GREETING	"220 " HOST " AllTalk ready\r\n"
#define EHLO_REPLY	"250-" HOST "\r\n" \
			"250-PIPELINING\r\n" \
			"250-SIZE 10485760\r\n" \
			"250-8BITMIME\r\n" \
			"250-ENHANCEDSTATUSCODES\r\n" \
			"250-AUTH CRAM-MD5\r\n" \
			"250 ALLTALK MBOX TRACK\r\n"

static char top[512];
static struct config cf;
static struct cram_keys tim_keys;
static struct io sio;		/* large: not on the stack */
static struct session sess;

static void
session_setup(void)
{
	char err[256];
	struct addr tim;

	umask(022);
	test_tmpdir(top, sizeof(top));
	test_mkdirs(top, "data", "mail", "spool", "spool/tmp", "spool/new",
	    "spool/failed", (char *)NULL);
	conf_defaults(&cf);
	strcpy(cf.hostname, HOST);
	strcpy(cf.domains[0], "a.test");
	cf.ndomains = 1;
	snprintf(cf.data_dir, sizeof(cf.data_dir), "%s/data", top);
	snprintf(cf.mail_dir, sizeof(cf.mail_dir), "%s/mail", top);
	snprintf(cf.spool_dir, sizeof(cf.spool_dir), "%s/spool", top);
	cf.auth_failure_delay = 0;
	cf.error_delay = 0;
	cram_keys_from_password(&tim_keys, PASSWORD, strlen(PASSWORD));
	ck_assert_int_eq(userdb_put(cf.data_dir, "tim@a.test", &tim_keys, 0,
	    1, err, sizeof(err)), USERDB_OK);
	ck_assert_int_eq(addr_parse("tim@a.test", NULL, &tim), ADDR_OK);
	ck_assert_int_eq(maildir_create(cf.mail_dir, &tim, (uid_t)-1,
	    (gid_t)-1), 0);
}

static void
session_teardown(void)
{
	test_rm_rf(top);
}

static void
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

/* Runs a whole session on script; returns everything it wrote.  With
 * keep_open the client's side stays open (for deadlines). */
static char *
run_len(const char *script, size_t len, int keep_open, long long *ms)
{
	int in[2], out[2];
	long long t0;
	char *got;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	(void)fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
	(void)fcntl(out[1], F_SETPIPE_SZ, 1 << 20);
	write_all(in[1], script, len);
	if (!keep_open)
		close(in[1]);
	io_init_fd(&sio, in[0], out[1]);
	session_init(&sess, &cf, &sio, "192.0.2.1");
	t0 = test_now_ms();
	session_run(&sess);
	if (ms != NULL)
		*ms = test_now_ms() - t0;
	close(out[1]);
	close(in[0]);
	if (keep_open)
		close(in[1]);
	got = test_read_all(out[0], NULL);
	close(out[0]);
	return got;
}

static char *
run(const char *script)
{
	return run_len(script, strlen(script), 0, NULL);
}

/* The reply lines of a transcript, split in place; every line must end
 * in CRLF and nothing may follow the last one. */
static int
split_lines(char *out, char **v, int max)
{
	int n = 0;
	char *p = out, *crlf;

	while (*p != '\0') {
		crlf = strstr(p, "\r\n");
		ck_assert_msg(crlf != NULL, "reply without CRLF: \"%s\"", p);
		ck_assert_msg(memchr(p, '\n', (size_t)(crlf - p)) == NULL,
		    "bare LF in a reply");
		ck_assert_int_lt(n, max);
		*crlf = '\0';
		v[n++] = p;
		p = crlf + 2;
	}
	return n;
}

static void
assert_prefix(const char *line, const char *prefix)
{
	ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0,
	    "reply \"%s\" does not start with \"%s\"", line, prefix);
}

START_TEST(test_greeting_ehlo)
{
	char *out = run("EHLO client.example\r\nQUIT\r\n");
	char *v[20];
	int n;

	ck_assert_msg(strncmp(out, GREETING EHLO_REPLY,
	    strlen(GREETING EHLO_REPLY)) == 0, "transcript:\n%s", out);
	n = split_lines(out + strlen(GREETING EHLO_REPLY), v, 20);
	ck_assert_int_eq(n, 1);
	assert_prefix(v[0], "221 2.0.0 ");
	free(out);

	/* HELO, and EHLO in lower case */
	out = run("HELO client.example\r\nehlo client.example\r\n");
	ck_assert_str_eq(out, GREETING "250 " HOST "\r\n" EHLO_REPLY);
	free(out);

	/* the SIZE keyword follows the configuration */
	cf.message_size_limit = 2048;
	out = run("EHLO c\r\n");
	ck_assert_ptr_nonnull(strstr(out, "\r\n250-SIZE 2048\r\n"));
	free(out);
}
END_TEST

/* Verbs without AllTalk meaning: code and enhanced code. */
static const struct {
	const char	*cmd;
	const char	*reply;
} codes[] = {
	{ "NOOP",		"250 2.0.0 " },
	{ "noop",		"250 2.0.0 " },
	{ "NOOP anything",	"250 2.0.0 " },
	{ "RSET",		"250 2.0.0 " },
	{ "VRFY tim",		"252 2.5.0 " },
	{ "EXPN staff",		"502 5.5.1 " },
	{ "HELP",		"214 2.0.0 " },
	{ "STARTTLS",		"502 5.5.1 " },
	{ "FOO",		"500 5.5.1 Unknown command" },
	{ "NOOPX",		"500 5.5.1 " },
	{ "",			"500 5.5.1 " },
	{ "EHLO",		"501 5.5.4 " },
	{ "EHLO a b",		"501 5.5.4 " },
	{ "EHLO a/b",		"501 5.5.4 " },
	{ "HELO",		"501 5.5.4 " },
	{ "MAIL FROM:<tim@a.test>", "530 5.7.0 " },
	{ "RCPT TO:<tim@a.test>", "530 5.7.0 " },
	{ "DATA",		"530 5.7.0 " },
	{ "MBOX LIST",		"530 5.7.0 " },
	{ "TRACK x DECRYPTED",	"530 5.7.0 " },
	{ "AUTH",		"501 5.5.4 " },
	{ "AUTH PLAIN",		"504 5.5.4 " },
	{ "AUTH RCRAM-MD5",	"504 5.5.4 " },
	{ "AUTH CRAM-MD5 dGltIDAw", "501 5.5.4 " },
};

START_TEST(test_codes)
{
	char script[200], *out, *v[20];
	int n;

	snprintf(script, sizeof(script), "EHLO client\r\n%s\r\nQUIT\r\n",
	    codes[_i].cmd);
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_msg(n == 10, "%d reply lines for %s", n, codes[_i].cmd);
	assert_prefix(v[8], codes[_i].reply);
	assert_prefix(v[9], "221 2.0.0 ");
	free(out);
}
END_TEST

START_TEST(test_quit_ends)
{
	char *out = run("QUIT\r\nNOOP\r\nNOOP\r\n"), *v[10];
	int n = split_lines(out, v, 10);

	ck_assert_int_eq(n, 2);
	assert_prefix(v[1], "221 2.0.0 ");
	free(out);
}
END_TEST

/* AUTH before EHLO, and the state rules around it. */
START_TEST(test_auth_before_ehlo)
{
	char *out = run("AUTH CRAM-MD5\r\nQUIT\r\n"), *v[10];
	int n = split_lines(out, v, 10);

	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "503 5.5.1 ");
	free(out);
}
END_TEST

/* HELO_NAME_MAX: a 255-octet EHLO name, then 256. */
START_TEST(test_ehlo_name_limit)
{
	char script[700], name[HELO_NAME_MAX + 2], *out, *v[20];
	int n;

	memset(name, 'h', HELO_NAME_MAX);
	name[HELO_NAME_MAX] = '\0';
	snprintf(script, sizeof(script), "HELO %s\r\nQUIT\r\n", name);
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "250 ");
	free(out);
	strcat(name, "h");
	snprintf(script, sizeof(script), "HELO %s\r\nQUIT\r\n", name);
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "501 5.5.4 ");
	free(out);
}
END_TEST

/* CMD_LINE_MAX: 512 octets with CRLF are a command, 513 are not, and the
 * session goes on after the too long one. */
START_TEST(test_line_limit)
{
	char script[2000], *out, *v[10];
	int n;

	memset(script, 0, sizeof(script));
	memcpy(script, "NOOP ", 5);
	memset(script + 5, 'x', CMD_LINE_MAX - 7);
	strcat(script, "\r\n");
	ck_assert_uint_eq(strlen(script), CMD_LINE_MAX);
	strcat(script, "QUIT\r\n");
	out = run(script);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "250 2.0.0 ");
	free(out);

	memset(script, 0, sizeof(script));
	memcpy(script, "NOOP ", 5);
	memset(script + 5, 'x', CMD_LINE_MAX - 6);
	strcat(script, "\r\n");
	ck_assert_uint_eq(strlen(script), CMD_LINE_MAX + 1);
	strcat(script, "NOOP\r\nQUIT\r\n");
	out = run(script);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 4);
	assert_prefix(v[1], "500 5.5.2 ");
	assert_prefix(v[2], "250 2.0.0 ");
	assert_prefix(v[3], "221 2.0.0 ");
	free(out);
}
END_TEST

/* An overlong command is skipped up to CMD_DISCARD_MAX octets looking
 * for its LF: found there, 500 and the session goes on; not found, 500
 * and the session ends. */
START_TEST(test_discard_limit)
{
	size_t big = CMD_LINE_MAX + CMD_DISCARD_MAX + 2000;
	char *script = malloc(big + 100), *out, *v[10];
	int n;

	ck_assert_ptr_nonnull(script);
	/* the LF well within the bound */
	memcpy(script, "NOOP ", 5);
	memset(script + 5, 'x', 60000);
	strcpy(script + 60005, "\r\nNOOP\r\nQUIT\r\n");
	out = run_len(script, strlen(script), 0, NULL);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 4);
	assert_prefix(v[1], "500 5.5.2 ");
	assert_prefix(v[2], "250 2.0.0 ");
	free(out);

	/* no LF at all before the client gives up */
	memset(script, 'x', big);
	out = run_len(script, big, 0, NULL);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 2);
	assert_prefix(v[1], "500 5.5.2 ");
	free(out);

	/* the LF past the bound: the session must end after the 500 */
	memcpy(script, "NOOP ", 5);
	memset(script + 5, 'x', big);
	strcpy(script + 5 + big, "\r\nNOOP\r\nQUIT\r\n");
	out = run_len(script, strlen(script), 0, NULL);
	n = split_lines(out, v, 10);
	ck_assert_msg(n == 2, "a command line of %zu octets: %d replies, "
	    "the session went on after the 500", big + 7, n);
	assert_prefix(v[1], "500 5.5.2 ");
	free(out);
	free(script);
}
END_TEST

/* A bare CR or a NUL inside a command: one 500 5.5.2 for the line. */
START_TEST(test_bare_cr_nul)
{
	static const char s1[] = "NOOP\rRSET\r\nQUIT\r\n";
	static const char s2[] = "NO\0OP\r\nQUIT\r\n";
	static const char s3[] = "NOOP\r\r\nQUIT\r\n";
	char *out, *v[10];
	int n;

	out = run_len(s1, sizeof(s1) - 1, 0, NULL);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "500 5.5.2 ");
	assert_prefix(v[2], "221 2.0.0 ");
	free(out);
	out = run_len(s2, sizeof(s2) - 1, 0, NULL);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "500 5.5.2 ");
	free(out);
	out = run_len(s3, sizeof(s3) - 1, 0, NULL);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "500 5.5.2 ");
	free(out);
}
END_TEST

/* Pipelined commands before AUTH: each refused, in order, none lost. */
START_TEST(test_pipelined_anonymous)
{
	char *out = run("EHLO c\r\nMAIL FROM:<tim@a.test>\r\n"
	    "RCPT TO:<tim@a.test>\r\nDATA\r\nNOOP\r\nQUIT\r\n"), *v[20];
	int n = split_lines(out, v, 20);

	ck_assert_int_eq(n, 13);
	assert_prefix(v[8], "530 5.7.0 ");
	assert_prefix(v[9], "530 5.7.0 ");
	assert_prefix(v[10], "530 5.7.0 ");
	assert_prefix(v[11], "250 2.0.0 ");
	assert_prefix(v[12], "221 2.0.0 ");
	free(out);
}
END_TEST

/* hard_error_limit: the error that reaches it is answered 421 4.7.0 and
 * nothing follows. */
START_TEST(test_hard_error_limit)
{
	char *out, *v[30];
	int n;

	cf.hard_error_limit = 3;
	out = run("FOO\r\nBAR\r\nBAZ\r\nNOOP\r\nQUIT\r\n");
	n = split_lines(out, v, 30);
	ck_assert_int_eq(n, 4);
	assert_prefix(v[1], "500 5.5.1 ");
	assert_prefix(v[2], "500 5.5.1 ");
	ck_assert_str_eq(v[3], "421 4.7.0 " HOST " Too many errors");
	free(out);

	/* good replies do not count; other 4xx/5xx do */
	out = run("EHLO c\r\nFOO\r\nNOOP\r\nNOOP\r\nRSET\r\nEXPN x\r\n"
	    "NOOP\r\nSTARTTLS\r\nHELP\r\nQUIT\r\n");
	n = split_lines(out, v, 30);
	ck_assert_int_eq(n, 15);
	assert_prefix(v[8], "500 5.5.1 ");
	assert_prefix(v[11], "250 2.0.0 ");
	assert_prefix(v[12], "502 5.5.1 ");
	assert_prefix(v[13], "250 2.0.0 ");
	assert_prefix(v[14], "421 4.7.0 ");
	ck_assert_int_eq(sess.errors, 3);
	free(out);

	/* at the default limit of 20: 19 errors leave the session open */
	cf.hard_error_limit = 20;
	{
		char script[400] = "";
		int i;

		for (i = 0; i < 19; i++)
			strcat(script, "FOO\r\n");
		strcat(script, "NOOP\r\nFOO\r\nNOOP\r\n");
		out = run(script);
		n = split_lines(out, v, 30);
		ck_assert_int_eq(n, 22);
		assert_prefix(v[19], "500 5.5.1 ");
		assert_prefix(v[20], "250 2.0.0 ");
		assert_prefix(v[21], "421 4.7.0 ");
		free(out);
	}
}
END_TEST

/* JUNK_COMMANDS_MAX commands that move nothing forward are free; each one
 * past it counts as an error, so an endless NOOP loop meets the budget. */
START_TEST(test_junk_command_limit)
{
	char *script, *out, *v[JUNK_COMMANDS_MAX + 10];
	size_t i;
	int n;

	cf.hard_error_limit = 3;
	script = calloc(JUNK_COMMANDS_MAX + 10, 8);
	ck_assert_ptr_nonnull(script);
	for (i = 0; i < JUNK_COMMANDS_MAX + 5; i++)
		strcat(script, i % 2 ? "NOOP\r\n" : "RSET\r\n");
	out = run(script);
	n = split_lines(out, v, JUNK_COMMANDS_MAX + 10);
	/* greeting, the free ones, two counted ones still answered 250, 421 */
	ck_assert_int_eq(n, 1 + JUNK_COMMANDS_MAX + 2 + 1);
	for (i = 1; i <= JUNK_COMMANDS_MAX + 2; i++)
		assert_prefix(v[i], "250 2.0.0 ");
	ck_assert_str_eq(v[n - 1], "421 4.7.0 " HOST " Too many errors");
	ck_assert_uint_eq(sess.errors, 3);
	free(out);

	/* exactly at the limit nothing is counted */
	script[0] = '\0';
	for (i = 0; i < JUNK_COMMANDS_MAX; i++)
		strcat(script, "NOOP\r\n");
	strcat(script, "QUIT\r\n");
	out = run(script);
	ck_assert_uint_eq(sess.errors, 0);
	ck_assert_ptr_nonnull(strstr(out, "221 2.0.0"));
	free(out);
	free(script);
}
END_TEST

/* Past soft_error_limit every error reply waits error_delay. */
START_TEST(test_soft_error_limit)
{
	long long ms;
	char *out;

	cf.soft_error_limit = 1;
	cf.error_delay = 1;
	out = run_len("FOO\r\nQUIT\r\n", 11, 0, &ms);
	free(out);
	ck_assert_msg(ms < 800, "first error delayed: %lld ms", ms);
	out = run_len("FOO\r\nFOO\r\nQUIT\r\n", 16, 0, &ms);
	ck_assert_msg(ms >= 900 && ms < 3000, "second error after %lld ms", ms);
	ck_assert_ptr_nonnull(strstr(out, "500 5.5.1"));
	free(out);
}
END_TEST

/* command_timeout: a deadline; 421 4.4.2 and the end. */
START_TEST(test_command_timeout)
{
	long long ms;
	char *out, *v[10];
	int n;

	cf.command_timeout = 1;
	out = run_len("NOOP\r\nNOO", 9, 1, &ms);
	n = split_lines(out, v, 10);
	ck_assert_int_eq(n, 3);
	assert_prefix(v[1], "250 2.0.0 ");
	ck_assert_str_eq(v[2], "421 4.4.2 " HOST " Timeout exceeded");
	ck_assert_msg(ms >= 900 && ms < 3000, "timeout after %lld ms", ms);
	free(out);
}
END_TEST

/* A session in a child process, for exchanges that depend on what the
 * server said (the CRAM-MD5 challenge). */
struct peer {
	pid_t	 pid;
	int	 to, from;
	char	 buf[65536];
	size_t	 len;
};

static void
peer_start(struct peer *p)
{
	int in[2], out[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	p->len = 0;
	p->pid = fork();
	ck_assert_int_ne(p->pid, -1);
	if (p->pid == 0) {
		close(in[1]);
		close(out[0]);
		io_init_fd(&sio, in[0], out[1]);
		session_init(&sess, &cf, &sio, "192.0.2.1");
		session_run(&sess);
		_exit(0);
	}
	close(in[0]);
	close(out[1]);
	p->to = in[1];
	p->from = out[0];
}

static void
peer_send(struct peer *p, const char *s)
{
	write_all(p->to, s, strlen(s));
}

/* The next reply line, without its CRLF. */
static void
peer_line(struct peer *p, char *line, size_t size)
{
	for (;;) {
		char *crlf = memchr(p->buf, '\n', p->len);
		struct pollfd pfd = { p->from, POLLIN, 0 };
		ssize_t n;

		if (crlf != NULL) {
			size_t l = (size_t)(crlf - p->buf) + 1;

			ck_assert_msg(l >= 2 && crlf[-1] == '\r', "bare LF");
			ck_assert_uint_lt(l - 2, size);
			memcpy(line, p->buf, l - 2);
			line[l - 2] = '\0';
			memmove(p->buf, p->buf + l, p->len - l);
			p->len -= l;
			return;
		}
		ck_assert_msg(poll(&pfd, 1, 3000) == 1, "no reply within 3 s");
		ck_assert_uint_lt(p->len, sizeof(p->buf));
		n = read(p->from, p->buf + p->len, sizeof(p->buf) - p->len);
		ck_assert_msg(n > 0, "session closed; wanted a reply");
		p->len += (size_t)n;
	}
}

static void
peer_expect(struct peer *p, const char *prefix)
{
	char line[1024];

	peer_line(p, line, sizeof(line));
	assert_prefix(line, prefix);
}

/* Closes the client side; returns whatever else the session said. */
static char *
peer_finish(struct peer *p)
{
	char *rest, *all;
	size_t n;
	int status;

	close(p->to);
	rest = test_read_all(p->from, &n);
	close(p->from);
	all = malloc(p->len + n + 1);
	ck_assert_ptr_nonnull(all);
	memcpy(all, p->buf, p->len);
	memcpy(all + p->len, rest, n + 1);
	free(rest);
	ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return all;
}

/* Reads the 334 challenge, checks it, answers for user with keys. */
static void
answer_challenge(struct peer *p, const char *user, const struct cram_keys *k)
{
	char line[1024], challenge[CRAM_CHALLENGE_MAX + 1], hex[33];
	char resp[600], enc[B64_ENCODED_LEN(600)];
	unsigned char digest[CRAM_DIGEST_LEN];
	long n;

	peer_line(p, line, sizeof(line));
	assert_prefix(line, "334 ");
	n = b64_decode(line + 4, strlen(line + 4), (unsigned char *)challenge,
	    sizeof(challenge) - 1);
	ck_assert_int_gt(n, 0);
	challenge[n] = '\0';
	ck_assert_msg(challenge[0] == '<' && challenge[33] == '.' &&
	    strstr(challenge, "@" HOST ">") != NULL, "challenge %s",
	    challenge);
	cram_hmac(k, challenge, (size_t)n, digest);
	hex_encode(digest, sizeof(digest), hex);
	snprintf(resp, sizeof(resp), "%s %s", user, hex);
	b64_encode(resp, strlen(resp), enc);
	peer_send(p, enc);
	peer_send(p, "\r\n");
}

START_TEST(test_auth_cram_md5)
{
	static struct peer p;
	char line[1024], path[4096], *out, *msg, *id;
	size_t len;

	peer_start(&p);
	peer_expect(&p, "220 ");
	peer_send(&p, "EHLO client.example\r\n");
	do
		peer_line(&p, line, sizeof(line));
	while (strncmp(line, "250-", 4) == 0);
	ck_assert_str_eq(line, "250 ALLTALK MBOX TRACK");

	peer_send(&p, "AUTH CRAM-MD5\r\n");
	answer_challenge(&p, "tim@a.test", &tim_keys);
	peer_line(&p, line, sizeof(line));
	ck_assert_str_eq(line, "235 2.7.0 Authentication successful");

	/* authenticated now: a second AUTH is refused, mail is accepted */
	peer_send(&p, "AUTH CRAM-MD5\r\n");
	peer_expect(&p, "503 5.5.1 ");
	peer_send(&p, "MAIL FROM:<bob@a.test>\r\n");
	peer_expect(&p, "553 5.7.1 ");
	peer_send(&p, "MAIL FROM:<Tim@A.test>\r\nRCPT TO:<tim@a.test>\r\n"
	    "DATA\r\n");
	peer_expect(&p, "250 2.1.0 ");
	peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "354 ");
	peer_send(&p, "Subject: test\r\n\r\n..dotted\r\nbody\r\n.\r\n");
	peer_line(&p, line, sizeof(line));
	assert_prefix(line, "250 2.0.0 Ok: ");
	id = line + strlen("250 2.0.0 Ok: ");
	ck_assert_int_eq(maildir_valid_id(id), 1);
	snprintf(path, sizeof(path), "%s/a.test/tim/new/%s", cf.mail_dir, id);
	msg = test_slurp(path, &len);
	ck_assert_msg(strncmp(msg, "Return-Path: <tim@a.test>\r\nReceived: ",
	    37) == 0, "stored:\n%s", msg);
	len = strlen(msg);
	ck_assert_str_eq(msg + len - strlen("Subject: test\r\n\r\n.dotted\r\n"
	    "body\r\n"), "Subject: test\r\n\r\n.dotted\r\nbody\r\n");
	free(msg);

	peer_send(&p, "QUIT\r\n");
	peer_expect(&p, "221 2.0.0 ");
	out = peer_finish(&p);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* A bare local part belongs to the first domain. */
START_TEST(test_auth_bare_local_part)
{
	static struct peer p;
	char line[1024], *out;

	peer_start(&p);
	peer_expect(&p, "220 ");
	peer_send(&p, "HELO c\r\n");
	peer_expect(&p, "250 ");
	peer_send(&p, "AUTH cram-md5\r\n");
	answer_challenge(&p, "tim", &tim_keys);
	peer_expect(&p, "235 2.7.0 ");
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\n");
	peer_expect(&p, "250 2.1.0 ");
	/* nested MAIL; RSET, HELO and EHLO end the transaction */
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\n");
	peer_expect(&p, "503 5.5.1 ");
	peer_send(&p, "RSET\r\nMAIL FROM:<tim@a.test>\r\n");
	peer_expect(&p, "250 2.0.0 ");
	peer_expect(&p, "250 2.1.0 ");
	peer_send(&p, "HELO c\r\nRCPT TO:<tim@a.test>\r\n");
	peer_expect(&p, "250 ");
	peer_expect(&p, "503 5.5.1 ");
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\nEHLO c\r\n"
	    "RCPT TO:<tim@a.test>\r\n");
	peer_expect(&p, "250 2.1.0 ");
	do
		peer_line(&p, line, sizeof(line));
	while (strncmp(line, "250-", 4) == 0);
	peer_expect(&p, "503 5.5.1 ");
	out = peer_finish(&p);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* Wrong password, unknown user, cancel: the challenge is answered
 * properly but for the wrong keys. */
START_TEST(test_auth_failures_interactive)
{
	static struct peer p;
	struct cram_keys wrong;
	char *out, *v[10] = { NULL };
	int n;

	cram_keys_from_password(&wrong, "tanstaaftanstaaF", 16);
	peer_start(&p);
	peer_expect(&p, "220 ");
	peer_send(&p, "HELO c\r\n");
	peer_expect(&p, "250 ");
	peer_send(&p, "AUTH CRAM-MD5\r\n");
	answer_challenge(&p, "tim@a.test", &wrong);
	peer_expect(&p, "535 5.7.8 ");
	peer_send(&p, "AUTH CRAM-MD5\r\n");
	peer_expect(&p, "334 ");
	peer_send(&p, "*\r\n");
	peer_expect(&p, "501 5.7.0 ");
	/* a cancel is not a failure: two more failures are allowed */
	peer_send(&p, "AUTH CRAM-MD5\r\n");
	answer_challenge(&p, "nobody@a.test", &tim_keys);
	peer_expect(&p, "535 5.7.8 ");
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\n");
	peer_expect(&p, "530 5.7.0 ");
	peer_send(&p, "AUTH CRAM-MD5\r\n");
	answer_challenge(&p, "tim@b.test", &tim_keys);
	peer_expect(&p, "421 4.7.0 ");
	out = peer_finish(&p);
	n = split_lines(out, v, 10);
	ck_assert_msg(n == 0, "replies after the 421: %s", v[0]);
	free(out);
}
END_TEST

/* AUTH_FAILURES_MAX failures in a scripted session: 535, 535, 421. */
START_TEST(test_auth_failures_scripted)
{
	char resp[100], enc[200], script[1000], *out, *v[20];
	int n, i;

	snprintf(resp, sizeof(resp), "tim@a.test %032d", 0);
	b64_encode(resp, strlen(resp), enc);
	strcpy(script, "EHLO c\r\n");
	for (i = 0; i < AUTH_FAILURES_MAX + 1; i++) {
		strcat(script, "AUTH CRAM-MD5\r\n");
		strcat(script, enc);
		strcat(script, "\r\n");
	}
	strcat(script, "NOOP\r\n");
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_int_eq(n, 8 + 2 * AUTH_FAILURES_MAX);
	for (i = 0; i < AUTH_FAILURES_MAX; i++)
		assert_prefix(v[8 + 2 * i], "334 ");
	assert_prefix(v[9], "535 5.7.8 ");
	assert_prefix(v[11], "535 5.7.8 ");
	assert_prefix(v[13], "421 4.7.0 ");
	free(out);
}
END_TEST

/* Starts a session and logs in as tim@a.test. */
static void
peer_login(struct peer *p)
{
	char line[1024];

	peer_start(p);
	peer_expect(p, "220 ");
	peer_send(p, "EHLO client.example\r\n");
	do
		peer_line(p, line, sizeof(line));
	while (strncmp(line, "250-", 4) == 0);
	peer_send(p, "AUTH CRAM-MD5\r\n");
	answer_challenge(p, "tim@a.test", &tim_keys);
	peer_expect(p, "235 2.7.0 ");
}

static int
inbox_count(void)
{
	char dir[2048];

	snprintf(dir, sizeof(dir), "%s/a.test/tim/new", cf.mail_dir);
	return test_count_entries(dir);
}

/* DATA_LINE_MAX: 998 octets + CRLF are a data line, 999 are refused
 * with 554 5.6.0 and nothing is stored; the session goes on. */
START_TEST(test_data_line_limit)
{
	static struct peer p;
	static char body[3 * DATA_LINE_MAX];
	char line[1024], path[4096], *msg, *out;
	size_t len;

	peer_login(&p);
	memset(body, 0, sizeof(body));
	memset(body, 'L', DATA_LINE_MAX - 2);
	strcat(body, "\r\n.\r\n");
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\nRCPT TO:<tim@a.test>\r\n"
	    "DATA\r\n");
	peer_expect(&p, "250 2.1.0 ");
	peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "354 ");
	peer_send(&p, body);
	peer_line(&p, line, sizeof(line));
	assert_prefix(line, "250 2.0.0 Ok: ");
	snprintf(path, sizeof(path), "%s/a.test/tim/new/%s", cf.mail_dir,
	    line + strlen("250 2.0.0 Ok: "));
	msg = test_slurp(path, &len);
	ck_assert_uint_ge(len, DATA_LINE_MAX);
	ck_assert_int_eq(memcmp(msg + len - DATA_LINE_MAX, body,
	    DATA_LINE_MAX), 0);
	free(msg);
	ck_assert_int_eq(inbox_count(), 1);

	memset(body, 0, sizeof(body));
	memset(body, 'L', DATA_LINE_MAX - 1);
	strcat(body, "\r\nnext line\r\n.\r\n");
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\nRCPT TO:<tim@a.test>\r\n"
	    "DATA\r\n");
	peer_expect(&p, "250 2.1.0 ");
	peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "354 ");
	peer_send(&p, body);
	peer_expect(&p, "554 5.6.0 ");
	ck_assert_int_eq(inbox_count(), 1);

	/* a bare LF: 550 5.6.0, nothing stored, the block read to its end */
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\nRCPT TO:<tim@a.test>\r\n"
	    "DATA\r\n");
	peer_expect(&p, "250 2.1.0 ");
	peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "354 ");
	peer_send(&p, "one\ntwo\r\n.\r\nNOOP\r\n");
	peer_expect(&p, "550 5.6.0 ");
	peer_expect(&p, "250 2.0.0 ");
	ck_assert_int_eq(inbox_count(), 1);
	out = peer_finish(&p);
	free(out);
	snprintf(path, sizeof(path), "%s/a.test/tim/tmp", cf.mail_dir);
	ck_assert_int_eq(test_count_entries(path), 0);
}
END_TEST

/* message_size_limit counts the stored file: over it, 552 5.3.4. */
START_TEST(test_message_size_limit)
{
	static struct peer p;
	char body[4000], *out;

	cf.message_size_limit = 1024;
	peer_login(&p);
	/* announced too large */
	peer_send(&p, "MAIL FROM:<tim@a.test> SIZE=1025\r\n");
	peer_expect(&p, "552 5.3.4 ");
	peer_send(&p, "MAIL FROM:<tim@a.test> SIZE=1024\r\n");
	peer_expect(&p, "250 2.1.0 ");
	peer_send(&p, "RCPT TO:<tim@a.test>\r\nDATA\r\n");
	peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "354 ");
	/* 900 octets of text: with the Return-Path and Received lines the
	 * stored file passes 1024 */
	memset(body, 0, sizeof(body));
	memset(body, 'x', 898);
	strcat(body, "\r\n.\r\n");
	peer_send(&p, body);
	peer_expect(&p, "552 5.3.4 ");
	ck_assert_int_eq(inbox_count(), 0);
	/* a small one still fits */
	peer_send(&p, "MAIL FROM:<tim@a.test>\r\nRCPT TO:<tim@a.test>\r\n"
	    "DATA\r\nsmall\r\n.\r\n");
	peer_expect(&p, "250 2.1.0 ");
	peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "354 ");
	peer_expect(&p, "250 2.0.0 ");
	ck_assert_int_eq(inbox_count(), 1);
	out = peer_finish(&p);
	free(out);
}
END_TEST

/* RCPT_MAX: 100 recipients are accepted, the 101st gets 452 4.5.3; a
 * recipient given twice counts once. */
START_TEST(test_rcpt_limit)
{
	static struct peer p;
	static char script[RCPT_MAX * 40 + 100];
	char addr[64], err[256], *out;
	int i;

	for (i = 0; i <= RCPT_MAX; i++) {
		snprintf(addr, sizeof(addr), "u%03d@a.test", i);
		ck_assert_int_eq(userdb_put(cf.data_dir, addr, &tim_keys, 0, 1,
		    err, sizeof(err)), USERDB_OK);
	}
	peer_login(&p);
	strcpy(script, "MAIL FROM:<tim@a.test>\r\nRCPT TO:<tim@a.test>\r\n"
	    "RCPT TO:<TIM@a.test>\r\n");
	for (i = 1; i < RCPT_MAX; i++) {
		snprintf(addr, sizeof(addr), "RCPT TO:<u%03d@a.test>\r\n", i);
		strcat(script, addr);
	}
	/* 100 distinct now; one more, and a repeat */
	strcat(script, "RCPT TO:<u100@a.test>\r\nRCPT TO:<u050@a.test>\r\n");
	peer_send(&p, script);
	peer_expect(&p, "250 2.1.0 ");
	peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "250 2.1.5 ");	/* the same recipient again */
	for (i = 1; i < RCPT_MAX; i++)
		peer_expect(&p, "250 2.1.5 ");
	peer_expect(&p, "452 4.5.3 ");
	peer_expect(&p, "250 2.1.5 ");
	out = peer_finish(&p);
	free(out);
}
END_TEST

/* Malformed responses. */
static const struct {
	const char	*resp;
	const char	*reply;
} bad_auth[] = {
	{ "!!!!",		"501 5.5.2 " },
	{ "dGlt IDAw",		"501 5.5.2 " },
	{ "dGltIDAw",		"535 5.7.8 " },	/* "tim 00" */
	{ "",			"535 5.7.8 " },	/* empty: malformed */
	{ "*",			"501 5.7.0 " },
};

START_TEST(test_auth_bad_responses)
{
	char script[300], *out, *v[20];
	int n;

	snprintf(script, sizeof(script), "EHLO c\r\nAUTH CRAM-MD5\r\n%s\r\n"
	    "QUIT\r\n", bad_auth[_i].resp);
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_int_eq(n, 11);
	assert_prefix(v[8], "334 ");
	assert_prefix(v[9], bad_auth[_i].reply);
	assert_prefix(v[10], "221 ");
	free(out);
}
END_TEST

/* AUTH_LINE_MAX: a 512-octet response line is read (and refused as bad
 * base64); a 513-octet one is too long. */
START_TEST(test_auth_line_limit)
{
	char script[2000], *out, *v[20];
	int n;

	memset(script, 0, sizeof(script));
	strcpy(script, "EHLO c\r\nAUTH CRAM-MD5\r\n");
	memset(script + strlen(script), 'A', AUTH_LINE_MAX - 2);
	strcat(script, "\r\nQUIT\r\n");
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_int_eq(n, 11);
	assert_prefix(v[9], "501 5.5.2 ");
	free(out);

	memset(script, 0, sizeof(script));
	strcpy(script, "EHLO c\r\nAUTH CRAM-MD5\r\n");
	memset(script + strlen(script), 'A', AUTH_LINE_MAX - 1);
	strcat(script, "\r\nQUIT\r\n");
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_int_eq(n, 11);
	assert_prefix(v[9], "500 5.5.2 ");
	free(out);
}
END_TEST

/* A user store that cannot be read: 454, not 535. */
START_TEST(test_auth_store_error)
{
	char path[2048], resp[100], enc[200], script[400], *out, *v[20];
	int n;

	snprintf(path, sizeof(path), "%s/%s", cf.data_dir, USERDB_NAME);
	test_spew(path, "garbage, not a gdbm file at all, ..........",
	    strlen("garbage, not a gdbm file at all, .........."));
	snprintf(resp, sizeof(resp), "tim@a.test %032d", 0);
	b64_encode(resp, strlen(resp), enc);
	snprintf(script, sizeof(script), "EHLO c\r\nAUTH CRAM-MD5\r\n%s\r\n"
	    "QUIT\r\n", enc);
	out = run(script);
	n = split_lines(out, v, 20);
	ck_assert_int_eq(n, 11);
	assert_prefix(v[9], "454 4.7.0 ");
	free(out);
}
END_TEST

Suite *
suite_session(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("session");

	tcase_add_checked_fixture(tc, session_setup, session_teardown);
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, test_greeting_ehlo);
	tcase_add_loop_test(tc, test_codes, 0,
	    (int)(sizeof(codes) / sizeof(codes[0])));
	tcase_add_test(tc, test_quit_ends);
	tcase_add_test(tc, test_auth_before_ehlo);
	tcase_add_test(tc, test_ehlo_name_limit);
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_discard_limit);
	tcase_add_test(tc, test_bare_cr_nul);
	tcase_add_test(tc, test_pipelined_anonymous);
	tcase_add_test(tc, test_hard_error_limit);
	tcase_add_test(tc, test_junk_command_limit);
	tcase_add_test(tc, test_soft_error_limit);
	tcase_add_test(tc, test_command_timeout);
	tcase_add_test(tc, test_auth_cram_md5);
	tcase_add_test(tc, test_auth_bare_local_part);
	tcase_add_test(tc, test_auth_failures_interactive);
	tcase_add_test(tc, test_auth_failures_scripted);
	tcase_add_loop_test(tc, test_auth_bad_responses, 0,
	    (int)(sizeof(bad_auth) / sizeof(bad_auth[0])));
	tcase_add_test(tc, test_auth_line_limit);
	tcase_add_test(tc, test_auth_store_error);
	tcase_add_test(tc, test_data_line_limit);
	tcase_add_test(tc, test_message_size_limit);
	tcase_add_test(tc, test_rcpt_limit);
	suite_add_tcase(s, tc);
	return s;
}
