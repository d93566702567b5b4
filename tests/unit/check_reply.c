/* check_reply.c: SMTP replies and dot-stuffed data blocks (lib/reply.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "reply.h"
#include "suites.h"

static char out[65536];
static size_t outlen;
static struct io io;

static ssize_t
out_write(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	ck_assert_uint_lt(outlen + len, sizeof(out));
	memcpy(out + outlen, buf, len);
	outlen += len;
	out[outlen] = '\0';
	return (ssize_t)len;
}

static ssize_t
no_read(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static void
reply_setup(void)
{
	outlen = 0;
	out[0] = '\0';
	io_init(&io, -1, no_read, out_write, NULL);
}

/* What was written since the last call, flushed. */
static const char *
written(void)
{
	ck_assert_int_eq(io_flush(&io), 0);
	return out;
}

static void
clear(void)
{
	outlen = 0;
	out[0] = '\0';
}

START_TEST(test_reply_formats)
{
	ck_assert_int_eq(reply(&io, 250, "2.0.0", "Ok"), 0);
	ck_assert_str_eq(written(), "250 2.0.0 Ok\r\n");
	clear();
	ck_assert_int_eq(reply(&io, 550, "5.1.1", "Unknown user %s", "x@a"),
	    0);
	ck_assert_str_eq(written(), "550 5.1.1 Unknown user x@a\r\n");
	clear();
	ck_assert_int_eq(reply(&io, 220, NULL, "%s AllTalk ready", "mx.test"),
	    0);
	ck_assert_str_eq(written(), "220 mx.test AllTalk ready\r\n");
	clear();
	ck_assert_int_eq(reply_cont(&io, 250, "SIZE %d", 1024), 0);
	ck_assert_int_eq(reply_cont(&io, 250, "PIPELINING"), 0);
	ck_assert_int_eq(reply(&io, 250, NULL, "ALLTALK MBOX TRACK"), 0);
	ck_assert_str_eq(written(), "250-SIZE 1024\r\n250-PIPELINING\r\n"
	    "250 ALLTALK MBOX TRACK\r\n");
	clear();
	/* a code is always three digits */
	ck_assert_int_eq(reply(&io, 354, NULL, "End data"), 0);
	ck_assert_str_eq(written(), "354 End data\r\n");
	clear();
	ck_assert_int_eq(reply(&io, 250, NULL, "%s", ""), 0);
	ck_assert_str_eq(written(), "250 \r\n");
}
END_TEST

/* One line of at most 512 octets, CRLF included, whatever the text. */
static void
assert_one_line(const char *prefix, const char *text)
{
	const char *o = written();
	size_t n = strlen(o), pl = strlen(prefix);

	ck_assert_msg(n <= 512, "reply line of %zu octets", n);
	ck_assert_uint_ge(n, pl + 2);
	ck_assert_mem_eq(o, prefix, pl);
	ck_assert_str_eq(o + n - 2, "\r\n");
	ck_assert_msg(memchr(o, '\n', n - 1) == NULL, "more than one line");
	/* the text is cut, not garbled */
	ck_assert_mem_eq(o + pl, text, n - pl - 2);
	clear();
}

START_TEST(test_reply_limit)
{
	char text[2001];
	size_t len;

	memset(text, 'T', 2000);
	text[2000] = '\0';
	for (len = 0; len < 2000; len++)
		text[len] = (char)('a' + len % 26);

	reply(&io, 250, "2.0.0", "%s", text);
	assert_one_line("250 2.0.0 ", text);
	reply(&io, 500, NULL, "%s", text);
	assert_one_line("500 ", text);
	reply_cont(&io, 250, "%s", text);
	assert_one_line("250-", text);
	/* through the format, not only through %s */
	reply(&io, 250, "2.0.0", "%s%s", text, text);
	assert_one_line("250 2.0.0 ", text);

	/* around the bound: 506 octets of text make 512 without a code */
	for (len = 490; len <= 520; len++) {
		char t[600];

		memcpy(t, text, len);
		t[len] = '\0';
		reply(&io, 250, NULL, "%s", t);
		assert_one_line("250 ", t);
		reply(&io, 451, "4.3.0", "%s", t);
		assert_one_line("451 4.3.0 ", t);
	}
	/* short texts are never cut */
	reply(&io, 250, "2.0.0", "%s", "Ok: 1733340000.M1P2Q3.mx.test");
	ck_assert_str_eq(written(), "250 2.0.0 Ok: 1733340000.M1P2Q3.mx.test"
	    "\r\n");
}
END_TEST

/* An independent dot-stuffer over a whole buffer, as the reference. */
static size_t
stuff_ref(const char *in, size_t len, char *o)
{
	size_t i, n = 0;
	int bol = 1;

	for (i = 0; i < len; i++) {
		if (bol && in[i] == '.')
			o[n++] = '.';
		o[n++] = in[i];
		bol = in[i] == '\n';
	}
	if (!bol) {
		o[n++] = '\r';
		o[n++] = '\n';
	}
	memcpy(o + n, ".\r\n", 3);
	return n + 3;
}

START_TEST(test_dotstuff_simple)
{
	const char *m = "line1\r\n.dot\r\n..two\r\n.\r\nend\r\n";
	int bol = 1;

	ck_assert_int_eq(reply_dotstuff(&io, m, strlen(m), &bol), 0);
	ck_assert_int_eq(bol, 1);
	ck_assert_int_eq(reply_dotend(&io, bol), 0);
	ck_assert_str_eq(written(), "line1\r\n..dot\r\n...two\r\n..\r\nend\r\n"
	    ".\r\n");
	clear();

	/* an empty block is only the final dot */
	bol = 1;
	ck_assert_int_eq(reply_dotstuff(&io, "", 0, &bol), 0);
	ck_assert_int_eq(reply_dotend(&io, bol), 0);
	ck_assert_str_eq(written(), ".\r\n");
	clear();

	/* a missing final CRLF is added before the dot */
	bol = 1;
	ck_assert_int_eq(reply_dotstuff(&io, "abc\r\nlast", 9, &bol), 0);
	ck_assert_int_eq(bol, 0);
	ck_assert_int_eq(reply_dotend(&io, bol), 0);
	ck_assert_str_eq(written(), "abc\r\nlast\r\n.\r\n");
	clear();
	bol = 1;
	ck_assert_int_eq(reply_dotstuff(&io, ".", 1, &bol), 0);
	ck_assert_int_eq(reply_dotend(&io, bol), 0);
	ck_assert_str_eq(written(), "..\r\n.\r\n");
}
END_TEST

START_TEST(test_dotstuff_chunks)
{
	int bol = 1;

	/* a '.' at the start of a chunk after one that ended a line */
	ck_assert_int_eq(reply_dotstuff(&io, "abc\r\n", 5, &bol), 0);
	ck_assert_int_eq(reply_dotstuff(&io, ".x\r\n", 4, &bol), 0);
	/* a '.' at the start of a chunk in the middle of a line */
	ck_assert_int_eq(reply_dotstuff(&io, "ab", 2, &bol), 0);
	ck_assert_int_eq(reply_dotstuff(&io, ".c\r", 3, &bol), 0);
	/* CR and LF split, then a dot */
	ck_assert_int_eq(reply_dotstuff(&io, "\n.d\r\n", 5, &bol), 0);
	ck_assert_int_eq(reply_dotend(&io, bol), 0);
	ck_assert_str_eq(written(), "abc\r\n..x\r\nab.c\r\n..d\r\n.\r\n");
}
END_TEST

/* Every split of a message into two chunks, and one octet at a time,
 * gives what the reference gives for the whole. */
START_TEST(test_dotstuff_every_split)
{
	static const char *const msgs[] = {
		".\r\n..\r\nx.\r\n.x\r\n\r\n.\r\n",
		"Subject: a\r\n\r\n.hidden\r\nend",
		"...",
		"\r\n.\r\n",
	};
	char want[256];
	size_t m, cut, i, wl;

	for (m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		const char *msg = msgs[m];
		size_t len = strlen(msg);

		wl = stuff_ref(msg, len, want);
		for (cut = 0; cut <= len; cut++) {
			int bol = 1;

			clear();
			ck_assert_int_eq(reply_dotstuff(&io, msg, cut, &bol), 0);
			ck_assert_int_eq(reply_dotstuff(&io, msg + cut,
			    len - cut, &bol), 0);
			ck_assert_int_eq(reply_dotend(&io, bol), 0);
			written();
			ck_assert_msg(outlen == wl && memcmp(out, want, wl) == 0,
			    "message %zu cut at %zu: got \"%s\"", m, cut, out);
		}
		{
			int bol = 1;

			clear();
			for (i = 0; i < len; i++)
				ck_assert_int_eq(reply_dotstuff(&io, msg + i, 1,
				    &bol), 0);
			ck_assert_int_eq(reply_dotend(&io, bol), 0);
			written();
			ck_assert_msg(outlen == wl && memcmp(out, want, wl) == 0,
			    "message %zu octet by octet: got \"%s\"", m, out);
		}
	}
}
END_TEST

/* A block larger than the I/O buffer goes through whole. */
START_TEST(test_dotstuff_large)
{
	size_t n = 3 * IO_BUFSIZE, i;
	char *msg = malloc(n), *want = malloc(2 * n + 8);
	size_t wl;
	int bol = 1;

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(want);
	for (i = 0; i < n; i++)
		msg[i] = i % 10 == 8 ? '\r' : i % 10 == 9 ? '\n' :
		    i % 20 == 0 ? '.' : 'a';
	wl = stuff_ref(msg, n, want);
	for (i = 0; i < n; i += 1000)
		ck_assert_int_eq(reply_dotstuff(&io, msg + i, n - i < 1000 ?
		    n - i : 1000, &bol), 0);
	ck_assert_int_eq(reply_dotend(&io, bol), 0);
	written();
	ck_assert_uint_eq(outlen, wl);
	ck_assert_mem_eq(out, want, wl);
	free(msg);
	free(want);
}
END_TEST

Suite *
suite_reply(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("reply");

	tcase_add_checked_fixture(tc, reply_setup, NULL);
	tcase_add_test(tc, test_reply_formats);
	tcase_add_test(tc, test_reply_limit);
	tcase_add_test(tc, test_dotstuff_simple);
	tcase_add_test(tc, test_dotstuff_chunks);
	tcase_add_test(tc, test_dotstuff_every_split);
	tcase_add_test(tc, test_dotstuff_large);
	suite_add_tcase(s, tc);
	return s;
}
