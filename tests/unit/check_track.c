/* check_track.c: tracking records (lib/track.c): the CSV format, its
 * strict parser, formula neutralisation, local delivery and the spool. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "addr.h"
#include "conf.h"
#include "bounds.h"
#include "maildir.h"
#include "suites.h"
#include "testutil.h"
#include "track.h"

#define RID	"mx.b.test-D.1733340000.M1P2Q3.mx.a.test"
#define MID	"1733340000.M1P2Q3.mx.a.test"
#define ROW	RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED," \
		"2026-12-04T19:40:00Z,mx.b.test,"
#define HDR	"record_id,message_id,sender,recipient,event,time,server," \
		"detail\r\n"

static void
base(struct track_record *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->record_id, RID);
	strcpy(r->message_id, MID);
	strcpy(r->sender, "tim@a.test");
	strcpy(r->recipient, "bob@b.test");
	strcpy(r->event, "DOWNLOADED");
	strcpy(r->time, "2026-12-04T19:40:00Z");
	strcpy(r->server, "mx.b.test");
}

static void
assert_same(const struct track_record *a, const struct track_record *b)
{
	ck_assert_str_eq(a->record_id, b->record_id);
	ck_assert_str_eq(a->message_id, b->message_id);
	ck_assert_str_eq(a->sender, b->sender);
	ck_assert_str_eq(a->recipient, b->recipient);
	ck_assert_str_eq(a->event, b->event);
	ck_assert_str_eq(a->time, b->time);
	ck_assert_str_eq(a->server, b->server);
	ck_assert_str_eq(a->detail, b->detail);
}

START_TEST(test_format)
{
	struct track_record r;
	char buf[TRACK_CSV_MAX], want[TRACK_CSV_MAX];
	size_t size, i;
	long n;

	ck_assert_str_eq(TRACK_HEADER "\r\n", HDR);
	base(&r);
	n = track_format(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, HDR ROW "\r\n");
	ck_assert_int_eq(n, (long)strlen(HDR ROW "\r\n"));

	strcpy(r.event, "FAILED");
	strcpy(r.detail, "no key");
	n = track_format(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, HDR RID "," MID ",tim@a.test,bob@b.test,FAILED,"
	    "2026-12-04T19:40:00Z,mx.b.test,no key\r\n");

	/* any buffer size: the whole record or -1, never a write past it */
	memcpy(want, buf, (size_t)n + 1);
	for (size = 0; size <= (size_t)n + 64; size++) {
		long m;

		memset(buf, 0x55, sizeof(buf));
		m = track_format(&r, buf, size);
		for (i = size; i < sizeof(buf); i++)
			ck_assert_msg((unsigned char)buf[i] == 0x55, "size %zu: "
			    "octet %zu written", size, i);
		if (m != -1) {
			ck_assert_int_eq(m, n);
			ck_assert_str_eq(buf, want);
		}
		if (size <= (size_t)n)
			ck_assert_int_eq(m, -1);
	}
}
END_TEST

static const char *const details[] = {
	"",
	"simple",
	"with, comma",
	"with \"quotes\"",
	"\"",
	"\"\"",
	",",
	"a,b,\"c\",",
	" leading space",
	"trailing space ",
	" both ",
	" ",
	"semicolon; and 'single quotes'",
	"a=b+c-d@e",
	"'already quoted",
	"\"=inside quotes\"",
};

START_TEST(test_round_trip)
{
	struct track_record r, back;
	char buf[TRACK_CSV_MAX];
	const char *why = "unset";
	long n;

	base(&r);
	strcpy(r.event, "FAILED");
	strcpy(r.detail, details[_i]);
	n = track_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_msg(track_parse(buf, (size_t)n, &back, &why) == 0,
	    "detail \"%s\": %s", details[_i], why);
	ck_assert_ptr_null(why);
	assert_same(&r, &back);
}
END_TEST

/* The longest detail and the longest record id survive the round trip. */
START_TEST(test_round_trip_limits)
{
	struct track_record r, back;
	char buf[TRACK_CSV_MAX];
	const char *why;
	long n;
	size_t i;

	base(&r);
	for (i = 0; i < TRACK_DETAIL_MAX; i++)
		r.detail[i] = "a\",b "[i % 5];
	r.detail[TRACK_DETAIL_MAX] = '\0';
	r.detail[TRACK_DETAIL_MAX - 1] = 'z';
	memset(r.record_id, 'r', RECORD_ID_MAX);
	r.record_id[RECORD_ID_MAX] = '\0';
	memset(r.message_id, 'm', MSGID_MAX);
	r.message_id[MSGID_MAX] = '\0';
	n = track_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_msg(track_parse(buf, (size_t)n, &back, &why) == 0, "%s",
	    why);
	assert_same(&r, &back);
}
END_TEST

/* A detail starting with = + - @ gets a leading quote; the parsed record
 * shows it. */
static const struct {
	const char	*detail;
	const char	*parsed;
} formulas[] = {
	{ "=1+1",			"'=1+1" },
	{ "+1",				"'+1" },
	{ "-1",				"'-1" },
	{ "@SUM(A1:A2)",		"'@SUM(A1:A2)" },
	{ "=HYPERLINK(\"http://x\")",	"'=HYPERLINK(\"http://x\")" },
	{ "=a,b",			"'=a,b" },
	{ "x=1",			"x=1" },
};

START_TEST(test_formula)
{
	struct track_record r, back;
	char buf[TRACK_CSV_MAX], *row;
	const char *why;
	size_t i;
	long n;

	base(&r);
	strcpy(r.detail, formulas[_i].detail);
	n = track_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	/* the raw detail field (after the 7th comma: the fields before it
	 * hold none) never starts with a formula character */
	row = buf + strlen(HDR);
	for (i = 0; i < 7; i++) {
		row = strchr(row, ',');
		ck_assert_ptr_nonnull(row);
		row++;
	}
	if (*row == '"')
		row++;
	ck_assert_msg(strchr("=+-@", *row) == NULL, "raw detail field: %s",
	    row);
	ck_assert_msg(track_parse(buf, (size_t)n, &back, &why) == 0, "%s", why);
	ck_assert_str_eq(back.detail, formulas[_i].parsed);
	ck_assert_msg(strchr("=+-@", back.detail[0]) == NULL ||
	    back.detail[0] == '\0', "detail starts with %c", back.detail[0]);
}
END_TEST

/* A detail of TRACK_DETAIL_MAX octets that needs the quote: what
 * track_format writes, track_parse must read back. */
START_TEST(test_formula_at_limit)
{
	struct track_record r, back;
	char buf[TRACK_CSV_MAX];
	const char *why = NULL;
	long n;

	base(&r);
	strcpy(r.event, "FAILED");
	memset(r.detail, 'x', TRACK_DETAIL_MAX);
	r.detail[0] = '-';
	r.detail[TRACK_DETAIL_MAX] = '\0';
	n = track_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_msg(track_parse(buf, (size_t)n, &back, &why) == 0,
	    "track_format wrote a record (detail of %d octets starting with "
	    "'-') that track_parse refuses: %s", TRACK_DETAIL_MAX, why);
	ck_assert_int_eq(back.detail[0], '\'');
}
END_TEST

/* Control characters become spaces; TAB and CR at the start also get the
 * formula quote (notes: a field starting with = + - @ TAB CR). */
START_TEST(test_control_chars)
{
	struct track_record r, back;
	char buf[TRACK_CSV_MAX];
	const char *why;
	long n;

	base(&r);
	strcpy(r.detail, "line1\r\nline2\x1b[0m\x7f" "end\x01");
	n = track_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_null(memchr(buf + strlen(HDR), '\n', (size_t)n -
	    strlen(HDR) - 1));
	ck_assert_msg(track_parse(buf, (size_t)n, &back, &why) == 0, "%s", why);
	ck_assert_str_eq(back.detail, "line1  line2 [0m end ");
}
END_TEST

START_TEST(test_control_leading)
{
	static const char *const lead[] = { "\t=1+1", "\r=1+1", "\tplain" };
	struct track_record r, back;
	char buf[TRACK_CSV_MAX];
	const char *why;
	size_t i;
	long n;

	for (i = 0; i < sizeof(lead) / sizeof(lead[0]); i++) {
		base(&r);
		strcpy(r.detail, lead[i]);
		n = track_format(&r, buf, sizeof(buf));
		ck_assert_int_gt(n, 0);
		ck_assert_msg(track_parse(buf, (size_t)n, &back, &why) == 0,
		    "%s", why);
		ck_assert_msg(back.detail[0] == '\'', "detail %zu starting "
		    "with a control character written as \"%s\", without "
		    "the leading quote", i, back.detail);
	}
}
END_TEST

static const struct {
	const char	*csv;
	const char	*why;
} bad[] = {
	{ "",						"empty" },
	{ HDR,						"header only" },
	{ "record_id,message_id,sender,recipient,event,time,server\r\n"
	    ROW "\r\n",					"short header" },
	{ "RECORD_ID,message_id,sender,recipient,event,time,server,"
	    "detail\r\n" ROW "\r\n",			"header case" },
	{ " " HDR ROW "\r\n",				"space before header" },
	{ TRACK_HEADER "\n" ROW "\n",			"LF line ends" },
	{ HDR ROW "\n",					"LF after the row" },
	{ TRACK_HEADER "\n" ROW "\r\n",			"LF after the header" },
	{ HDR ROW,					"no line end" },
	{ HDR ROW "\r",					"CR only" },
	{ HDR ROW "\r\n\r\n",				"blank line after" },
	{ HDR ROW "\r\n" ROW "\r\n",			"two rows" },
	{ HDR ROW "\r\nextra",				"trailing garbage" },
	{ HDR ROW "x,y\r\n",				"9 fields" },
	{ HDR ROW ",\r\n",				"9 fields, empty" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test\r\n",	"7 fields" },
	{ HDR ROW "\"unterminated\r\n",			"unterminated quote" },
	{ HDR ROW "\"a\"b\r\n",				"text after a quote" },
	{ HDR ROW "a\"b\r\n",				"quote inside a field" },
	{ HDR ROW "\"a\x01" "b\"\r\n",			"control in quotes" },
	{ HDR ROW "\"a\r\nb\"\r\n",			"CRLF in quotes" },
	{ HDR ROW "a\tb\r\n",				"TAB in a field" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,OPENED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"bad event" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,downloaded,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"lower-case event" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"no event" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-13-01T00:00:00Z,mx.b.test,\r\n",	"month 13" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00,mx.b.test,\r\n",	"time without Z" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-02-30T00:00:00Z,mx.b.test,\r\n",	"February 30" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04 19:40:00Z,mx.b.test,\r\n",	"time with a space" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T25:40:00Z,mx.b.test,\r\n",	"hour 25" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00+01:00,mx.b.test,\r\n",	"time zone" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "1733340000,mx.b.test,\r\n",		"unix time" },
	{ HDR RID "," MID ",Tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"sender not folded" },
	{ HDR RID "," MID ",tim,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"sender without @" },
	{ HDR RID "," MID ",,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"no sender" },
	{ HDR RID "," MID ",-x@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"sender with '-'" },
	{ HDR RID "," MID ",tim@a.test,bob@b..test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"recipient domain" },
	{ HDR RID "," MID ",tim@a.test,<bob@b.test>,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"recipient in <>" },
	{ HDR "../x," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"record id ../x" },
	{ HDR "a/b," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"record id with /" },
	{ HDR ".x," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"record id .x" },
	{ HDR "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"empty record id" },
	{ HDR RID ",a/b,tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx.b.test,\r\n",	"message id with /" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,mx_b.test,\r\n",	"bad server" },
	{ HDR RID "," MID ",tim@a.test,bob@b.test,DOWNLOADED,"
	    "2026-12-04T19:40:00Z,,\r\n",		"no server" },
};

START_TEST(test_parse_rejects)
{
	struct track_record r;
	const char *why = NULL;

	ck_assert_msg(track_parse(bad[_i].csv, strlen(bad[_i].csv), &r, &why)
	    == -1, "accepted: %s", bad[_i].why);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(test_parse_field_limits)
{
	char csv[TRACK_CSV_MAX], detail[TRACK_DETAIL_MAX + 2];
	char rid[RECORD_ID_MAX + 2];
	struct track_record r;
	const char *why;

	memset(detail, 'd', TRACK_DETAIL_MAX);
	detail[TRACK_DETAIL_MAX] = '\0';
	snprintf(csv, sizeof(csv), HDR ROW "%s\r\n", detail);
	ck_assert_msg(track_parse(csv, strlen(csv), &r, &why) == 0, "%s", why);
	ck_assert_str_eq(r.detail, detail);
	strcat(detail, "d");
	snprintf(csv, sizeof(csv), HDR ROW "%s\r\n", detail);
	ck_assert_int_eq(track_parse(csv, strlen(csv), &r, &why), -1);
	snprintf(csv, sizeof(csv), HDR ROW "\"%s\"\r\n", detail);
	ck_assert_int_eq(track_parse(csv, strlen(csv), &r, &why), -1);

	memset(rid, 'r', RECORD_ID_MAX);
	rid[RECORD_ID_MAX] = '\0';
	snprintf(csv, sizeof(csv), HDR "%s," MID ",tim@a.test,bob@b.test,"
	    "DOWNLOADED,2026-12-04T19:40:00Z,mx.b.test,\r\n", rid);
	ck_assert_msg(track_parse(csv, strlen(csv), &r, &why) == 0, "%s", why);
	strcat(rid, "r");
	snprintf(csv, sizeof(csv), HDR "%s," MID ",tim@a.test,bob@b.test,"
	    "DOWNLOADED,2026-12-04T19:40:00Z,mx.b.test,\r\n", rid);
	ck_assert_int_eq(track_parse(csv, strlen(csv), &r, &why), -1);

	/* quoted fields that need no quotes are read too */
	snprintf(csv, sizeof(csv), HDR "\"%s\"," MID ",tim@a.test,"
	    "bob@b.test,\"DECRYPTED\",2026-12-04T19:40:00Z,mx.b.test,\"\"\r\n",
	    RID);
	ck_assert_msg(track_parse(csv, strlen(csv), &r, &why) == 0, "%s", why);
	ck_assert_str_eq(r.record_id, RID);
	ck_assert_str_eq(r.event, "DECRYPTED");
	ck_assert_str_eq(r.detail, "");
	/* the length counts, not a NUL */
	ck_assert_int_eq(track_parse(csv, strlen(csv) - 1, &r, &why), -1);
}
END_TEST

START_TEST(test_events)
{
	ck_assert_int_eq(track_valid_event("DOWNLOADED"), 1);
	ck_assert_int_eq(track_valid_event("DECRYPTED"), 1);
	ck_assert_int_eq(track_valid_event("FAILED"), 1);
	ck_assert_int_eq(track_valid_event("Failed"), 0);
	ck_assert_int_eq(track_valid_event("FAILED "), 0);
	ck_assert_int_eq(track_valid_event(""), 0);
	ck_assert_int_eq(track_valid_event("DELIVERED"), 0);
}
END_TEST

static char top[512];
static struct config cf;

static void
deliver_setup(void)
{
	umask(022);
	test_tmpdir(top, sizeof(top));
	test_mkdirs(top, "mail", "spool", "spool/tmp", "spool/new",
	    "spool/failed", (char *)NULL);
	conf_defaults(&cf);
	strcpy(cf.hostname, "mx.a.test");
	strcpy(cf.domains[0], "a.test");
	cf.ndomains = 1;
	snprintf(cf.mail_dir, sizeof(cf.mail_dir), "%s/mail", top);
	snprintf(cf.spool_dir, sizeof(cf.spool_dir), "%s/spool", top);
	snprintf(cf.data_dir, sizeof(cf.data_dir), "%s", top);
}

static void
deliver_teardown(void)
{
	test_rm_rf(top);
}

START_TEST(test_deliver_local)
{
	struct track_record r, back;
	struct addr tim;
	char path[1500], dir[1300], csv[TRACK_CSV_MAX], *got;
	const char *why;
	size_t len;
	int existed = -1;
	long n;

	ck_assert_int_eq(addr_parse("tim@a.test", NULL, &tim), ADDR_OK);
	ck_assert_int_eq(maildir_create(cf.mail_dir, &tim, (uid_t)-1,
	    (gid_t)-1), 0);
	base(&r);
	strcpy(r.event, "FAILED");
	strcpy(r.detail, "=cmd, \"x\"");
	ck_assert_int_eq(track_deliver_local(&cf, &r, &existed), 0);
	ck_assert_int_eq(existed, 0);
	snprintf(path, sizeof(path), "%s/a.test/tim/.Tracking/new/%s.csv",
	    cf.mail_dir, RID);
	got = test_slurp(path, &len);
	n = track_format(&r, csv, sizeof(csv));
	ck_assert_uint_eq(len, (size_t)n);
	ck_assert_mem_eq(got, csv, len);
	ck_assert_int_eq(track_parse(got, len, &back, &why), 0);
	free(got);

	/* idempotent: the second delivery says so and leaves one file */
	strcpy(r.detail, "changed");
	ck_assert_int_eq(track_deliver_local(&cf, &r, &existed), 0);
	ck_assert_int_eq(existed, 1);
	snprintf(dir, sizeof(dir), "%s/a.test/tim/.Tracking/new", cf.mail_dir);
	ck_assert_int_eq(test_count_entries(dir), 1);
	got = test_slurp(path, &len);
	ck_assert_mem_eq(got, csv, len);
	free(got);
	snprintf(dir, sizeof(dir), "%s/a.test/tim/.Tracking/tmp", cf.mail_dir);
	ck_assert_int_eq(test_count_entries(dir), 0);
	/* nothing went to the inbox */
	snprintf(dir, sizeof(dir), "%s/a.test/tim/new", cf.mail_dir);
	ck_assert_int_eq(test_count_entries(dir), 0);
}
END_TEST

START_TEST(test_deliver_local_errors)
{
	struct track_record r;
	int existed;

	/* no mailbox for the sender */
	base(&r);
	ck_assert_int_eq(track_deliver_local(&cf, &r, &existed), -1);
	/* a sender that is not an address */
	strcpy(r.sender, "../../etc");
	errno = 0;
	ck_assert_int_eq(track_deliver_local(&cf, &r, &existed), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_spool)
{
	struct track_record r, back;
	char path[1500], dir[1300], csv[TRACK_CSV_MAX], head[1024];
	char *got, *p;
	const char *why;
	struct tm tm;
	size_t len;
	int existed = -1;
	long n;
	time_t t, now = time(NULL);

	base(&r);
	strcpy(r.sender, "glen@c.test");
	strcpy(r.event, "DECRYPTED");
	ck_assert_int_eq(track_spool(&cf, &r, &existed), 0);
	ck_assert_int_eq(existed, 0);
	snprintf(path, sizeof(path), "%s/new/%s", cf.spool_dir, RID);
	got = test_slurp(path, &len);
	n = track_format(&r, csv, sizeof(csv));

	snprintf(head, sizeof(head), "Record-Id: %s\nSender: glen@c.test\n"
	    "Attempts: 0\nNext-Attempt: ", RID);
	ck_assert_msg(strncmp(got, head, strlen(head)) == 0, "spool file:\n%s",
	    got);
	p = got + strlen(head);
	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(p, "%Y-%m-%dT%H:%M:%SZ", &tm));
	ck_assert_int_eq(p[20], '\n');
	t = timegm(&tm);
	ck_assert_msg(t >= now - 5 && t <= now + 60, "Next-Attempt %.20s", p);
	p += 21;
	/* a blank line, then the CSV record */
	ck_assert_int_eq(*p, '\n');
	p++;
	ck_assert_uint_eq(len - (size_t)(p - got), (size_t)n);
	ck_assert_mem_eq(p, csv, (size_t)n);
	ck_assert_int_eq(track_parse(p, (size_t)n, &back, &why), 0);
	free(got);

	snprintf(dir, sizeof(dir), "%s/tmp", cf.spool_dir);
	ck_assert_int_eq(test_count_entries(dir), 0);
	ck_assert_int_eq(track_spool(&cf, &r, &existed), 0);
	ck_assert_int_eq(existed, 1);
	snprintf(dir, sizeof(dir), "%s/new", cf.spool_dir);
	ck_assert_int_eq(test_count_entries(dir), 1);
}
END_TEST

Suite *
suite_track(void)
{
	Suite *s = suite_create("track");
	TCase *tc = tcase_create("csv");
	TCase *td = tcase_create("deliver");

	tcase_add_test(tc, test_format);
	tcase_add_loop_test(tc, test_round_trip, 0,
	    (int)(sizeof(details) / sizeof(details[0])));
	tcase_add_test(tc, test_round_trip_limits);
	tcase_add_loop_test(tc, test_formula, 0,
	    (int)(sizeof(formulas) / sizeof(formulas[0])));
	tcase_add_test(tc, test_formula_at_limit);
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_control_leading);
	tcase_add_loop_test(tc, test_parse_rejects, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_parse_field_limits);
	tcase_add_test(tc, test_events);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(td, deliver_setup, deliver_teardown);
	tcase_set_timeout(td, 20);
	tcase_add_test(td, test_deliver_local);
	tcase_add_test(td, test_deliver_local_errors);
	tcase_add_test(td, test_spool);
	suite_add_tcase(s, td);
	return s;
}
