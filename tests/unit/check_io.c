/* check_io.c: line I/O with limits and deadlines (lib/io.c), over pipes
 * and over injected memory readers and writers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "bounds.h"
#include "suites.h"
#include "testutil.h"

/* A memory peer: input handed out in chunks of at most `chunk` octets,
 * output collected. */
struct mem {
	const char	*in;
	size_t		 inlen, pos, chunk;
	char		*out;
	size_t		 outlen, outcap, wmax;
	int		 reads, fail_write;
	size_t		 out_at_first_read;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n = m->inlen - m->pos;

	if (m->reads++ == 0)
		m->out_at_first_read = m->outlen;
	if (n > len)
		n = len;
	if (m->chunk > 0 && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->in + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static ssize_t
mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->fail_write) {
		errno = EIO;
		return -1;
	}
	if (m->wmax > 0 && len > m->wmax)
		len = m->wmax;	/* short writes */
	if (m->outlen + len + 1 > m->outcap) {
		m->outcap = 2 * (m->outlen + len + 1);
		m->out = realloc(m->out, m->outcap);
		ck_assert_ptr_nonnull(m->out);
	}
	memcpy(m->out + m->outlen, buf, len);
	m->outlen += len;
	m->out[m->outlen] = '\0';
	return (ssize_t)len;
}

static void
mem_init(struct io *io, struct mem *m, const char *in, size_t len,
    size_t chunk)
{
	memset(m, 0, sizeof(*m));
	m->in = in;
	m->inlen = len;
	m->chunk = chunk;
	io_init(io, -1, mem_read, mem_write, m);
}

static struct io io;	/* 32 KiB: not on the stack */

/* A pipe whose read end feeds io; the write end is returned (or -1 when
 * closed).  io writes into a second pipe whose read end goes to *outr. */
static int
pipe_io(const void *data, size_t len, int close_writer, int *outr)
{
	int p[2], q[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(q), 0);
	if (len > 0)
		ck_assert_int_eq(write(p[1], data, len), (ssize_t)len);
	if (close_writer) {
		close(p[1]);
		p[1] = -1;
	}
	io_init_fd(&io, p[0], q[1]);
	if (outr != NULL)
		*outr = q[0];
	return p[1];
}

START_TEST(test_lines)
{
	const char *in = "one\r\ntwo\nthree\r\n\r\n\nlast";
	char buf[101];
	size_t len = 99;

	pipe_io(in, strlen(in), 1, NULL);
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "one\r\n");
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(io.line_crlf, 1);
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "two\n");
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(io.line_crlf, 0);
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "three\r\n");
	ck_assert_int_eq(io.line_crlf, 1);
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "\r\n");
	ck_assert_int_eq(io.line_crlf, 1);
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "\n");
	ck_assert_int_eq(io.line_crlf, 0);
	/* EOF in the middle of a line: the partial line is dropped */
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 1000, 100), IO_EOF);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 1000, 100), IO_EOF);
	ck_assert_uint_eq(io.nread, strlen(in));
}
END_TEST

START_TEST(test_nul_kept)
{
	const char in[] = "a\0b\r\n";
	char buf[20];
	size_t len;

	pipe_io(in, sizeof(in) - 1, 1, NULL);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 10), IO_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(buf, in, 5);
}
END_TEST

/* max octets, LF included, are a line; max + 1 are too long, the rest of
 * the line is skipped and the next line is intact. */
START_TEST(test_limit)
{
	const char *in =
	    "123456789\n"		/* 10 */
	    "12345678\r\n"		/* 10 */
	    "1234567890\n"		/* 11 */
	    "next\r\n"
	    "123456789\r\n"		/* 11, CRLF */
	    "x\n";
	char buf[11];
	size_t len;

	pipe_io(in, strlen(in), 1, NULL);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "123456789\n");
	ck_assert_uint_eq(len, 10);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "12345678\r\n");
	ck_assert_int_eq(io.line_crlf, 1);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 100),
	    IO_TOOLONG);
	ck_assert_uint_le(len, 10);
	ck_assert_uint_eq(strlen(buf), len);
	ck_assert_int_eq(io.line_crlf, 0);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "next\r\n");
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 100),
	    IO_TOOLONG);
	ck_assert_int_eq(io.line_crlf, 1);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 100), IO_OK);
	ck_assert_str_eq(buf, "x\n");
}
END_TEST

/* CMD_LINE_MAX itself, as the session reads commands. */
START_TEST(test_limit_cmd_line)
{
	char in[2 * CMD_LINE_MAX + 16], buf[CMD_LINE_MAX + 1];
	size_t len;

	memset(in, 'a', CMD_LINE_MAX - 2);
	memcpy(in + CMD_LINE_MAX - 2, "\r\n", 2);
	memset(in + CMD_LINE_MAX, 'b', CMD_LINE_MAX - 1);
	memcpy(in + 2 * CMD_LINE_MAX - 1, "\r\nQUIT\r\n", 8);
	pipe_io(in, 2 * CMD_LINE_MAX + 7, 1, NULL);
	ck_assert_int_eq(io_getline(&io, buf, CMD_LINE_MAX, &len, 1000,
	    CMD_DISCARD_MAX), IO_OK);
	ck_assert_uint_eq(len, CMD_LINE_MAX);
	ck_assert_int_eq(io_getline(&io, buf, CMD_LINE_MAX, &len, 1000,
	    CMD_DISCARD_MAX), IO_TOOLONG);
	ck_assert_int_eq(io_getline(&io, buf, CMD_LINE_MAX, &len, 1000,
	    CMD_DISCARD_MAX), IO_OK);
	ck_assert_str_eq(buf, "QUIT\r\n");
}
END_TEST

/* Nothing but 'x' and the writer still open: no LF within max +
 * discard_max gives IO_NOLF at once, without waiting for the deadline. */
START_TEST(test_nolf)
{
	char in[100], buf[11];
	size_t len;
	long long t0;
	int w;

	memset(in, 'x', sizeof(in));
	w = pipe_io(in, sizeof(in), 0, NULL);
	t0 = test_now_ms();
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 5000, 20), IO_NOLF);
	ck_assert_int_lt(test_now_ms() - t0, 1000);
	close(w);
}
END_TEST

/* The boundary of IO_NOLF: a line of max + discard_max octets (LF
 * included) is only too long; with its LF one octet later there is no LF
 * within max + discard_max octets.  The same whether the data arrive in
 * one piece or in small ones. */
static const size_t nolf_chunks[] = { 0, 1, 7, 30 };

START_TEST(test_nolf_boundary)
{
	size_t chunk = nolf_chunks[_i];
	char in[64], buf[11];
	size_t len;
	struct mem m;

	/* 29 x + LF = 30 = max + discard_max octets */
	memset(in, 'x', 29);
	memcpy(in + 29, "\nok\n", 4);
	mem_init(&io, &m, in, 33, chunk);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 20), IO_TOOLONG);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 20), IO_OK);
	ck_assert_str_eq(buf, "ok\n");

	/* 30 x + LF = 31 octets: the LF is past the bound */
	memset(in, 'x', 30);
	memcpy(in + 30, "\nok\n", 4);
	mem_init(&io, &m, in, 34, chunk);
	ck_assert_msg(io_getline(&io, buf, 10, &len, 1000, 20) == IO_NOLF,
	    "reads of %zu octets (0: all at once): a 31-octet line with max "
	    "10 + discard_max 20 is not IO_NOLF", chunk);
}
END_TEST

/* The same at the session's real sizes: a 70000-octet command line has
 * no LF within 512 + 65536 octets. */
START_TEST(test_nolf_cmd_sizes)
{
	size_t n = 70000;
	char *in = malloc(n + 1), buf[CMD_LINE_MAX + 1];
	size_t len;
	struct mem m;

	ck_assert_ptr_nonnull(in);
	memset(in, 'x', n);
	in[n] = '\n';
	mem_init(&io, &m, in, n + 1, 0);
	ck_assert_int_eq(io_getline(&io, buf, CMD_LINE_MAX, &len, 1000,
	    CMD_DISCARD_MAX), IO_NOLF);
	free(in);
}
END_TEST

/* CRLF detection must not depend on where the reads split the input. */
START_TEST(test_chunking)
{
	const char *in = "ab\r\ncd\n\r\n\n0123456789ABCDEF\r\n"
	    "0123456789ABCDEF\nx\ry\n.\r\n";
	static const struct {
		enum io_status	 st;
		const char	*line;
		int		 crlf;
	} want[] = {
		{ IO_OK,	"ab\r\n",	1 },
		{ IO_OK,	"cd\n",		0 },
		{ IO_OK,	"\r\n",		1 },
		{ IO_OK,	"\n",		0 },
		{ IO_TOOLONG,	NULL,		1 },
		{ IO_TOOLONG,	NULL,		0 },
		{ IO_OK,	"x\ry\n",	0 },
		{ IO_OK,	".\r\n",	1 },
		{ IO_EOF,	NULL,		-1 },
	};
	char buf[11];
	size_t chunk, i, len;
	struct mem m;

	for (chunk = 1; chunk <= 12; chunk++) {
		mem_init(&io, &m, in, strlen(in), chunk);
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			enum io_status st = io_getline(&io, buf, 10, &len,
			    1000, 100);

			ck_assert_msg(st == want[i].st, "chunk %zu line %zu: "
			    "status %d, want %d", chunk, i, st, want[i].st);
			if (want[i].line != NULL)
				ck_assert_str_eq(buf, want[i].line);
			if (want[i].crlf != -1)
				ck_assert_msg(io.line_crlf == want[i].crlf,
				    "chunk %zu line %zu: line_crlf %d", chunk,
				    i, io.line_crlf);
		}
	}
}
END_TEST

START_TEST(test_eof_midline)
{
	char buf[20];
	size_t len = 5;
	int w;

	w = pipe_io("partial", 7, 0, NULL);
	close(w);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 10), IO_EOF);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_timeout)
{
	char buf[20];
	size_t len;
	long long t0, dt;
	int w;

	/* nothing sent, writer open */
	w = pipe_io(NULL, 0, 0, NULL);
	t0 = test_now_ms();
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 200, 10), IO_TIMEOUT);
	dt = test_now_ms() - t0;
	ck_assert_msg(dt >= 150 && dt <= 2000, "returned after %lld ms", dt);

	/* half a line, then silence */
	ck_assert_int_eq(write(w, "NOOP", 4), 4);
	t0 = test_now_ms();
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 200, 10), IO_TIMEOUT);
	dt = test_now_ms() - t0;
	ck_assert_msg(dt >= 150 && dt <= 2000, "returned after %lld ms", dt);
	close(w);
}
END_TEST

/* A deadline, not an idle timer: one octet every 50 ms does not extend
 * it. */
START_TEST(test_deadline_trickle)
{
	char buf[200];
	size_t len;
	long long t0, dt;
	pid_t pid;
	int w, i;

	w = pipe_io(NULL, 0, 0, NULL);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000000 };

		for (i = 0; i < 40; i++) {
			if (write(w, "x", 1) != 1)
				_exit(0);
			nanosleep(&ts, NULL);
		}
		_exit(0);
	}
	close(w);
	t0 = test_now_ms();
	ck_assert_int_eq(io_getline(&io, buf, 100, &len, 300, 100),
	    IO_TIMEOUT);
	dt = test_now_ms() - t0;
	ck_assert_msg(dt >= 250 && dt < 1000, "returned after %lld ms", dt);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(test_write_through)
{
	char got[100];
	int w, rfd;
	ssize_t n;

	w = pipe_io(NULL, 0, 0, &rfd);
	ck_assert_int_eq(io_printf(&io, "%d %s\r\n", 250, "2.0.0 Ok"), 0);
	ck_assert_int_eq(io_write(&io, "221 Bye\r\n", 9), 0);
	ck_assert_int_eq(io_flush(&io), 0);
	n = read(rfd, got, sizeof(got) - 1);
	ck_assert_int_eq(n, 23);
	got[n] = '\0';
	ck_assert_str_eq(got, "250 2.0.0 Ok\r\n221 Bye\r\n");
	ck_assert_uint_eq(io.nwritten, 23);
	/* nothing left to flush */
	ck_assert_int_eq(io_flush(&io), 0);
	ck_assert_uint_eq(io.nwritten, 23);
	close(w);
	close(rfd);
}
END_TEST

/* Writes larger than the buffer, through a writer that takes 1000
 * octets at a time, arrive whole and in order. */
START_TEST(test_large_short_writes)
{
	size_t n = 3 * IO_BUFSIZE + 123, i;
	char *data = malloc(n);
	struct mem m;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	mem_init(&io, &m, "", 0, 0);
	m.wmax = 1000;
	ck_assert_int_eq(io_write(&io, data, n), 0);
	ck_assert_int_eq(io_printf(&io, "%s", "END"), 0);
	ck_assert_int_eq(io_flush(&io), 0);
	ck_assert_uint_eq(m.outlen, n + 3);
	ck_assert_mem_eq(m.out, data, n);
	ck_assert_mem_eq(m.out + n, "END", 3);
	ck_assert_uint_eq(io.nwritten, n + 3);
	free(data);
	free(m.out);
}
END_TEST

START_TEST(test_write_error)
{
	struct mem m;

	mem_init(&io, &m, "", 0, 0);
	m.fail_write = 1;
	ck_assert_int_eq(io_printf(&io, "hello\r\n"), 0);
	ck_assert_int_eq(io_flush(&io), -1);
	ck_assert_int_ne(io.werror, 0);
	/* a failed output stays failed */
	m.fail_write = 0;
	ck_assert_int_eq(io_write(&io, "x", 1), -1);
	ck_assert_int_eq(io_flush(&io), -1);
	ck_assert_uint_eq(m.outlen, 0);
}
END_TEST

/* Output is flushed before blocking on a read (RFC 2920 pipelining). */
START_TEST(test_flush_before_read)
{
	char buf[20];
	size_t len;
	struct mem m;

	mem_init(&io, &m, "NOOP\r\n", 6, 0);
	ck_assert_int_eq(io_printf(&io, "220 ready\r\n"), 0);
	ck_assert_int_eq(io_getline(&io, buf, 10, &len, 1000, 10), IO_OK);
	ck_assert_uint_eq(m.out_at_first_read, 11);
	ck_assert_str_eq(m.out, "220 ready\r\n");
	ck_assert_str_eq(buf, "NOOP\r\n");
	free(m.out);
}
END_TEST

START_TEST(test_drop_pending)
{
	const char *in = "STARTTLS\r\nEHLO x\r\nNOOP\r\n";
	char buf[20];
	size_t len;
	struct mem m;

	mem_init(&io, &m, in, strlen(in), 0);
	ck_assert_uint_eq(io_pending(&io), 0);
	ck_assert_int_eq(io_getline(&io, buf, 19, &len, 1000, 10), IO_OK);
	ck_assert_str_eq(buf, "STARTTLS\r\n");
	ck_assert_uint_eq(io_pending(&io), 14);
	ck_assert_uint_eq(io_drop_pending(&io), 14);
	ck_assert_uint_eq(io_pending(&io), 0);
	ck_assert_uint_eq(io_drop_pending(&io), 0);
	ck_assert_int_eq(io_getline(&io, buf, 19, &len, 1000, 10), IO_EOF);
}
END_TEST

/* io_init with a memory reader (rfd -1): a whole exchange in-process. */
START_TEST(test_memory_io)
{
	const char *in = "EHLO client\r\nQUIT\r\n";
	char buf[100];
	size_t len;
	struct mem m;

	mem_init(&io, &m, in, strlen(in), 3);
	ck_assert_int_eq(io.rfd, -1);
	ck_assert_int_eq(io_getline(&io, buf, 99, &len, 1000, 10), IO_OK);
	ck_assert_str_eq(buf, "EHLO client\r\n");
	ck_assert_int_eq(io_printf(&io, "250 %s\r\n", "hello"), 0);
	ck_assert_int_eq(io_getline(&io, buf, 99, &len, 1000, 10), IO_OK);
	ck_assert_str_eq(buf, "QUIT\r\n");
	ck_assert_int_eq(io_printf(&io, "221 bye\r\n"), 0);
	ck_assert_int_eq(io_getline(&io, buf, 99, &len, 1000, 10), IO_EOF);
	ck_assert_int_eq(io_flush(&io), 0);
	ck_assert_str_eq(m.out, "250 hello\r\n221 bye\r\n");
	ck_assert_uint_eq(io.nread, strlen(in));
	free(m.out);
}
END_TEST

Suite *
suite_io(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("io");

	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_nul_kept);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_limit_cmd_line);
	tcase_add_test(tc, test_nolf);
	tcase_add_loop_test(tc, test_nolf_boundary, 0,
	    (int)(sizeof(nolf_chunks) / sizeof(nolf_chunks[0])));
	tcase_add_test(tc, test_nolf_cmd_sizes);
	tcase_add_test(tc, test_chunking);
	tcase_add_test(tc, test_eof_midline);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_deadline_trickle);
	tcase_add_test(tc, test_write_through);
	tcase_add_test(tc, test_large_short_writes);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_flush_before_read);
	tcase_add_test(tc, test_drop_pending);
	tcase_add_test(tc, test_memory_io);
	suite_add_tcase(s, tc);
	return s;
}
