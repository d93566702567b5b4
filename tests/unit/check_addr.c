/* check_addr.c: mailbox addresses (lib/addr.c): folding, the strict local
 * part character set, and the RFC 5321 length limits at and past the bound. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "bounds.h"
#include "suites.h"

static const struct {
	const char	*in;
	const char	*def;
	enum addr_err	 err;
	const char	*full;
} parse_cases[] = {
	/* folding to lower case */
	{ "tim@a.test",		NULL,	ADDR_OK,	"tim@a.test" },
	{ "Tim@Example.COM",	NULL,	ADDR_OK,	"tim@example.com" },
	{ "TIM@A.TEST",		NULL,	ADDR_OK,	"tim@a.test" },
	/* a bare local part needs the default domain */
	{ "tim",		"a.test", ADDR_OK,	"tim@a.test" },
	{ "Tim",		"A.Test", ADDR_OK,	"tim@a.test" },
	{ "tim",		NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@b.test",		"a.test", ADDR_OK,	"tim@b.test" },
	{ "",			NULL,	ADDR_EMPTY,	NULL },
	{ "",			"a.test", ADDR_EMPTY,	NULL },
	/* characters allowed inside a local part */
	{ "first.last@a.test",	NULL,	ADDR_OK,	"first.last@a.test" },
	{ "t-im@a.test",	NULL,	ADDR_OK,	"t-im@a.test" },
	{ "t+tag@a.test",	NULL,	ADDR_OK,	"t+tag@a.test" },
	{ "t=x@a.test",		NULL,	ADDR_OK,	"t=x@a.test" },
	{ "a_b@a.test",		NULL,	ADDR_OK,	"a_b@a.test" },
	{ "0@a.test",		NULL,	ADDR_OK,	"0@a.test" },
	{ "tim@localhost",	NULL,	ADDR_OK,	"tim@localhost" },
	{ "tim@xn--bcher-kva.test", NULL, ADDR_OK,	"tim@xn--bcher-kva.test" },
	/* dots */
	{ ".tim@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim.@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "t..im@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "..@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@.a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a..test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a.test.",	NULL,	ADDR_SYNTAX,	NULL },
	{ ".",			"a.test", ADDR_SYNTAX,	NULL },
	{ "..",			"a.test", ADDR_SYNTAX,	NULL },
	/* a leading '-', '+' or '=' reads as an option or a formula */
	{ "-tim@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "+tim@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "=tim@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "-rf",		"a.test", ADDR_SYNTAX,	NULL },
	{ "_tim@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@-a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a-.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a.test-",	NULL,	ADDR_SYNTAX,	NULL },
	/* characters never allowed: a local part becomes a directory */
	{ "a/b@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "../x@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "a%b@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "a!b@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "\"a\"@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "\"a b\"@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "'a'@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "a b@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ " tim@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a.test ",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim\r@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a.test\n",	NULL,	ADDR_SYNTAX,	NULL },
	{ "a\\b@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "a*b@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "a:b@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "caf\xc3\xa9@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "\xc3\xa9@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@caf\xc3\xa9.test", NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a_b.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@b c.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@a/b",		NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@[127.0.0.1]",	NULL,	ADDR_SYNTAX,	NULL },
	/* source routes and stray at signs */
	{ "@a:b@c",		NULL,	ADDR_SYNTAX,	NULL },
	{ "@a.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@",		NULL,	ADDR_SYNTAX,	NULL },
	{ "tim@",		"a.test", ADDR_SYNTAX,	NULL },
	{ "tim@@a.test",	NULL,	ADDR_SYNTAX,	NULL },
	{ "a@b@c.test",		NULL,	ADDR_SYNTAX,	NULL },
	{ "@",			NULL,	ADDR_SYNTAX,	NULL },
};

START_TEST(test_parse_table)
{
	struct addr a;
	enum addr_err e;

	memset(&a, 'Z', sizeof(a));
	e = addr_parse(parse_cases[_i].in, parse_cases[_i].def, &a);
	ck_assert_msg(e == parse_cases[_i].err, "addr_parse(\"%s\", %s) = %d "
	    "(%s), want %d", parse_cases[_i].in,
	    parse_cases[_i].def ? parse_cases[_i].def : "NULL", e,
	    addr_strerror(e), parse_cases[_i].err);
	if (e == ADDR_OK) {
		const char *at = strchr(parse_cases[_i].full, '@');

		ck_assert_str_eq(a.full, parse_cases[_i].full);
		ck_assert_uint_eq(strlen(a.local), (size_t)(at -
		    parse_cases[_i].full));
		ck_assert_mem_eq(a.local, parse_cases[_i].full, strlen(a.local));
		ck_assert_str_eq(a.domain, at + 1);
	}
}
END_TEST

static void
fill(char *p, int c, size_t n)
{
	memset(p, c, n);
	p[n] = '\0';
}

/* A domain name of exactly n octets made of labels of at most 63. */
static void
domain_of(char *buf, size_t n)
{
	size_t rem = n, off = 0, lab;
	char c = 'b';

	while (rem > 0) {
		if (rem <= 63)
			lab = rem;
		else
			/* never leave a lone trailing dot */
			lab = rem - 64 == 0 ? 62 : 63;
		memset(buf + off, c++, lab);
		off += lab;
		rem -= lab;
		if (rem > 0) {
			buf[off++] = '.';
			rem--;
		}
	}
	buf[off] = '\0';
	ck_assert_uint_eq(strlen(buf), n);
	ck_assert_int_ne(buf[n - 1], '.');
}

START_TEST(test_parse_limits)
{
	char in[1200], local[200], dom[400];
	struct addr a;

	/* local part: 64 octets, then 65 */
	fill(local, 'L', LOCAL_PART_MAX);
	snprintf(in, sizeof(in), "%s@a.test", local);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_OK);
	ck_assert_uint_eq(strlen(a.local), LOCAL_PART_MAX);
	ck_assert_int_eq(a.local[0], 'l');
	ck_assert_int_eq(addr_parse(local, "a.test", &a), ADDR_OK);
	ck_assert_uint_eq(strlen(a.full), LOCAL_PART_MAX + 7);
	fill(local, 'L', LOCAL_PART_MAX + 1);
	snprintf(in, sizeof(in), "%s@a.test", local);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_TOOLONG);
	ck_assert_int_eq(addr_parse(local, "a.test", &a), ADDR_TOOLONG);

	/* a domain label: 63 octets, then 64 */
	fill(dom, 'd', 63);
	snprintf(in, sizeof(in), "x@%s.test", dom);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_OK);
	fill(dom, 'd', 64);
	snprintf(in, sizeof(in), "x@%s.test", dom);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_SYNTAX);

	/* the whole address: 254 octets (64 + 1 + 189), then 255 */
	fill(local, 'l', LOCAL_PART_MAX);
	domain_of(dom, ADDR_MAX - LOCAL_PART_MAX - 1);
	snprintf(in, sizeof(in), "%s@%s", local, dom);
	ck_assert_uint_eq(strlen(in), ADDR_MAX);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_OK);
	ck_assert_str_eq(a.full, in);
	ck_assert_int_eq(addr_parse(local, dom, &a), ADDR_OK);
	ck_assert_str_eq(a.full, in);
	domain_of(dom, ADDR_MAX - LOCAL_PART_MAX);
	snprintf(in, sizeof(in), "%s@%s", local, dom);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_TOOLONG);
	ck_assert_int_eq(addr_parse(local, dom, &a), ADDR_TOOLONG);

	/* a domain of 255 octets is a valid domain but makes the address
	 * longer than 254; 256 is too long either way */
	domain_of(dom, DOMAIN_MAX);
	snprintf(in, sizeof(in), "a@%s", dom);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_TOOLONG);
	domain_of(dom, DOMAIN_MAX + 1);
	snprintf(in, sizeof(in), "a@%s", dom);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_TOOLONG);
	ck_assert_int_eq(addr_parse("a", dom, &a), ADDR_TOOLONG);

	/* far too long input of every shape */
	fill(in, 'a', 1000);
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_TOOLONG);
	ck_assert_int_eq(addr_parse(in, "a.test", &a), ADDR_TOOLONG);
	in[500] = '@';
	ck_assert_int_eq(addr_parse(in, NULL, &a), ADDR_TOOLONG);
}
END_TEST

START_TEST(test_parse_path)
{
	const char *end = NULL, *s;
	char in[600], local[100], dom[300];
	struct addr a;

	s = "<a@b>";
	ck_assert_int_eq(addr_parse_path(s, &end, &a), ADDR_OK);
	ck_assert_ptr_eq(end, s + 5);
	ck_assert_str_eq(a.full, "a@b");

	s = "<Tim@A.Test> SIZE=100";
	ck_assert_int_eq(addr_parse_path(s, &end, &a), ADDR_OK);
	ck_assert_str_eq(end, " SIZE=100");
	ck_assert_str_eq(a.full, "tim@a.test");

	s = "<>";
	end = NULL;
	ck_assert_int_eq(addr_parse_path(s, &end, &a), ADDR_EMPTY);
	ck_assert_ptr_eq(end, s + 2);
	s = "<> BODY=7BIT";
	ck_assert_int_eq(addr_parse_path(s, &end, &a), ADDR_EMPTY);
	ck_assert_str_eq(end, " BODY=7BIT");

	ck_assert_int_eq(addr_parse_path("<a@b", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("a@b>", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path(" <a@b>", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<ab>", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<tim>", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<@a:b@c>", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<a b@c>", &end, &a), ADDR_SYNTAX);
	ck_assert_int_eq(addr_parse_path("<-x@c>", &end, &a), ADDR_SYNTAX);

	/* a path holding ADDR_MAX octets, then one more */
	fill(local, 'l', LOCAL_PART_MAX);
	domain_of(dom, ADDR_MAX - LOCAL_PART_MAX - 1);
	snprintf(in, sizeof(in), "<%s@%s>", local, dom);
	ck_assert_int_eq(addr_parse_path(in, &end, &a), ADDR_OK);
	ck_assert_ptr_eq(end, in + ADDR_MAX + 2);
	domain_of(dom, ADDR_MAX - LOCAL_PART_MAX);
	snprintf(in, sizeof(in), "<%s@%s>", local, dom);
	ck_assert_int_eq(addr_parse_path(in, &end, &a), ADDR_TOOLONG);
}
END_TEST

static const struct {
	const char	*d;
	int		 ok;
} dom_cases[] = {
	{ "a", 1 }, { "a.b", 1 }, { "A.Test", 1 }, { "a-b.c", 1 },
	{ "a--b.c", 1 }, { "1.2.3.4", 1 }, { "0a.9z", 1 },
	{ "xn--bcher-kva.test", 1 },
	{ "", 0 }, { ".", 0 }, { ".a", 0 }, { "a.", 0 }, { "a..b", 0 },
	{ "-a", 0 }, { "a-", 0 }, { "a.-b", 0 }, { "a-.b", 0 },
	{ "a.b-", 0 }, { "-", 0 }, { "a_b", 0 }, { "a b", 0 },
	{ "a/b", 0 }, { "a@b", 0 }, { "[1.2.3.4]", 0 }, { "a\nb", 0 },
	{ "\xc3\xa9.test", 0 }, { "a.t\xc3\xa9st", 0 }, { "a:25", 0 },
};

START_TEST(test_valid_domain)
{
	ck_assert_msg(addr_valid_domain(dom_cases[_i].d) == dom_cases[_i].ok,
	    "addr_valid_domain(\"%s\") != %d", dom_cases[_i].d,
	    dom_cases[_i].ok);
}
END_TEST

START_TEST(test_valid_domain_limits)
{
	char d[400];

	fill(d, 'x', 63);
	ck_assert_int_eq(addr_valid_domain(d), 1);
	fill(d, 'x', 64);
	ck_assert_int_eq(addr_valid_domain(d), 0);
	/* the label limit counts per label, not across the dot */
	fill(d, 'x', 63);
	strcat(d, ".");
	memset(d + 64, 'y', 63);
	d[127] = '\0';
	ck_assert_int_eq(addr_valid_domain(d), 1);
	d[127] = 'y';
	d[128] = '\0';
	ck_assert_int_eq(addr_valid_domain(d), 0);

	domain_of(d, DOMAIN_MAX);
	ck_assert_uint_eq(strlen(d), 255);
	ck_assert_int_eq(addr_valid_domain(d), 1);
	domain_of(d, DOMAIN_MAX + 1);
	ck_assert_int_eq(addr_valid_domain(d), 0);
}
END_TEST

START_TEST(test_valid_local)
{
	char l[100];

	ck_assert_int_eq(addr_valid_local("tim"), 1);
	ck_assert_int_eq(addr_valid_local("T.i-m_+="), 1);
	ck_assert_int_eq(addr_valid_local(""), 0);
	ck_assert_int_eq(addr_valid_local("."), 0);
	ck_assert_int_eq(addr_valid_local("a..b"), 0);
	ck_assert_int_eq(addr_valid_local("a."), 0);
	ck_assert_int_eq(addr_valid_local("-a"), 0);
	ck_assert_int_eq(addr_valid_local("a/b"), 0);
	ck_assert_int_eq(addr_valid_local("a\xe9"), 0);
	fill(l, 'a', LOCAL_PART_MAX);
	ck_assert_int_eq(addr_valid_local(l), 1);
	fill(l, 'a', LOCAL_PART_MAX + 1);
	ck_assert_int_eq(addr_valid_local(l), 0);
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_ne(addr_strerror(ADDR_EMPTY), addr_strerror(ADDR_SYNTAX));
	ck_assert_str_ne(addr_strerror(ADDR_SYNTAX),
	    addr_strerror(ADDR_TOOLONG));
	ck_assert_ptr_nonnull(strstr(addr_strerror(ADDR_TOOLONG), "long"));
}
END_TEST

Suite *
suite_addr(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_parse_table, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_parse_path);
	tcase_add_loop_test(tc, test_valid_domain, 0,
	    (int)(sizeof(dom_cases) / sizeof(dom_cases[0])));
	tcase_add_test(tc, test_valid_domain_limits);
	tcase_add_test(tc, test_valid_local);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	return s;
}
