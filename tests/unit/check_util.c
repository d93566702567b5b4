/* check_util.c: string, number, hex, random and time helpers (lib/util.c). */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "suites.h"
#include "util.h"

START_TEST(test_strlcpy_at)
{
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	ck_assert_uint_eq(strlcpy_at(buf, "abc", sizeof(buf)), 3);
	ck_assert_str_eq(buf, "abc");

	/* exactly size-1 octets fit */
	ck_assert_uint_eq(strlcpy_at(buf, "1234567", sizeof(buf)), 7);
	ck_assert_str_eq(buf, "1234567");

	/* one more is cut, still terminated, and the full length returned */
	memset(buf, 'X', sizeof(buf));
	ck_assert_uint_eq(strlcpy_at(buf, "12345678", sizeof(buf)), 8);
	ck_assert_str_eq(buf, "1234567");
	ck_assert_uint_eq(strlcpy_at(buf, "a much longer string", 4), 20);
	ck_assert_str_eq(buf, "a m");

	/* size 1: only the terminator; size 0: nothing written */
	ck_assert_uint_eq(strlcpy_at(buf, "xyz", 1), 3);
	ck_assert_str_eq(buf, "");
	buf[0] = 'Q';
	ck_assert_uint_eq(strlcpy_at(buf, "xyz", 0), 3);
	ck_assert_int_eq(buf[0], 'Q');
}
END_TEST

START_TEST(test_str_fmt)
{
	char buf[8];

	ck_assert_int_eq(str_fmt(buf, sizeof(buf), "%s-%d", "ab", 12), 0);
	ck_assert_str_eq(buf, "ab-12");
	/* 7 characters + NUL: fits exactly */
	ck_assert_int_eq(str_fmt(buf, sizeof(buf), "%s", "1234567"), 0);
	ck_assert_str_eq(buf, "1234567");
	/* 8 characters: cut, and said so */
	ck_assert_int_eq(str_fmt(buf, sizeof(buf), "%s", "12345678"), -1);
	ck_assert_str_eq(buf, "1234567");
	ck_assert_int_eq(str_fmt(buf, 1, "%d", 5), -1);
	ck_assert_int_eq(str_fmt(buf, 1, "%s", ""), 0);
}
END_TEST

START_TEST(test_str_lower_prefix)
{
	char s[] = "MiXeD@Example.COM 123";

	str_lower(s);
	ck_assert_str_eq(s, "mixed@example.com 123");
	ck_assert_int_eq(str_casecmp_prefix("MAIL FROM:<a@b>", "mail from:"), 1);
	ck_assert_int_eq(str_casecmp_prefix("mail fro", "MAIL FROM:"), 0);
	ck_assert_int_eq(str_casecmp_prefix("RCPT TO:", "MAIL"), 0);
	ck_assert_int_eq(str_casecmp_prefix("anything", ""), 1);
}
END_TEST

static const struct {
	const char	*in;
	uint64_t	 max;
	int		 rc;
	uint64_t	 want;
} uint_cases[] = {
	{ "0",				UINT64_MAX,	0,	0 },
	{ "42",				UINT64_MAX,	0,	42 },
	{ "007",			UINT64_MAX,	0,	7 },
	{ "18446744073709551615",	UINT64_MAX,	0,	UINT64_MAX },
	{ "18446744073709551616",	UINT64_MAX,	-1,	0 },
	{ "18446744073709551620",	UINT64_MAX,	-1,	0 },
	{ "99999999999999999999",	UINT64_MAX,	-1,	0 },
	{ "184467440737095516150",	UINT64_MAX,	-1,	0 },
	{ "",				UINT64_MAX,	-1,	0 },
	{ "+1",				UINT64_MAX,	-1,	0 },
	{ "-1",				UINT64_MAX,	-1,	0 },
	{ " 1",				UINT64_MAX,	-1,	0 },
	{ "1 ",				UINT64_MAX,	-1,	0 },
	{ "12a",			UINT64_MAX,	-1,	0 },
	{ "0x10",			UINT64_MAX,	-1,	0 },
	{ "1.5",			UINT64_MAX,	-1,	0 },
	/* the max bound: at it and one past it */
	{ "1000",			1000,		0,	1000 },
	{ "1001",			1000,		-1,	0 },
	{ "10000",			1000,		-1,	0 },
	{ "3600",			3600,		0,	3600 },
	{ "3601",			3600,		-1,	0 },
	{ "1073741824",			1073741824,	0,	1073741824 },
	{ "1073741825",			1073741824,	-1,	0 },
	{ "30",				30,		0,	30 },
	{ "31",				30,		-1,	0 },
	/* a bound below 9: a single digit over it is over it */
	{ "5",				5,		0,	5 },
	{ "6",				5,		-1,	0 },
	{ "7",				5,		-1,	0 },
	{ "07",				5,		-1,	0 },
	{ "1",				0,		-1,	0 },
	{ "0",				0,		0,	0 },
};

START_TEST(test_parse_uint64)
{
	uint64_t v = 12345;
	int rc = parse_uint64(uint_cases[_i].in, uint_cases[_i].max, &v);

	ck_assert_msg(rc == uint_cases[_i].rc,
	    "parse_uint64(\"%s\", max %llu) = %d, want %d (value %llu)",
	    uint_cases[_i].in, (unsigned long long)uint_cases[_i].max, rc,
	    uint_cases[_i].rc, (unsigned long long)v);
	if (rc == 0)
		ck_assert_msg(v == uint_cases[_i].want, "\"%s\" gave %llu",
		    uint_cases[_i].in, (unsigned long long)v);
}
END_TEST

START_TEST(test_hex)
{
	const unsigned char bin[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	unsigned char out[8];
	char hex[2 * sizeof(bin) + 1];

	memset(hex, 'X', sizeof(hex));
	hex_encode(bin, sizeof(bin), hex);
	ck_assert_str_eq(hex, "00017f80abff");
	hex_encode(bin, 0, hex);
	ck_assert_str_eq(hex, "");

	memset(out, 0, sizeof(out));
	ck_assert_int_eq(hex_decode("00017f80abff", 12, out), 0);
	ck_assert_mem_eq(out, bin, sizeof(bin));
	/* upper case is accepted */
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(hex_decode("00017F80ABFF", 12, out), 0);
	ck_assert_mem_eq(out, bin, sizeof(bin));
	ck_assert_int_eq(hex_decode("aBcD", 4, out), 0);
	ck_assert_int_eq(out[0], 0xab);
	ck_assert_int_eq(out[1], 0xcd);
	/* only hexlen digits are read */
	ck_assert_int_eq(hex_decode("12zz", 2, out), 0);
	ck_assert_int_eq(out[0], 0x12);
	ck_assert_int_eq(hex_decode("", 0, out), 0);

	/* odd length, bad digits anywhere */
	ck_assert_int_eq(hex_decode("abc", 3, out), -1);
	ck_assert_int_eq(hex_decode("0", 1, out), -1);
	ck_assert_int_eq(hex_decode("0g", 2, out), -1);
	ck_assert_int_eq(hex_decode("g0", 2, out), -1);
	ck_assert_int_eq(hex_decode("00 1", 4, out), -1);
	ck_assert_int_eq(hex_decode("0x12", 4, out), -1);
	ck_assert_int_eq(hex_decode("-1", 2, out), -1);
	ck_assert_int_eq(hex_decode("\xc3\xa9", 2, out), -1);
	ck_assert_int_eq(hex_decode("1\0", 2, out), -1);
}
END_TEST

START_TEST(test_random_bytes)
{
	unsigned char a[32], b[32], zero[32];
	unsigned char big[100000];
	size_t i, zeros = 0;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	ck_assert_int_eq(random_bytes(a, sizeof(a)), 0);
	ck_assert_int_eq(random_bytes(b, sizeof(b)), 0);
	ck_assert_mem_ne(a, b, sizeof(a));
	ck_assert_mem_ne(a, zero, sizeof(a));
	ck_assert_int_eq(random_bytes(a, 0), 0);

	/* a large request is filled completely, not just its start */
	memset(big, 0, sizeof(big));
	ck_assert_int_eq(random_bytes(big, sizeof(big)), 0);
	for (i = sizeof(big) - 1000; i < sizeof(big); i++)
		zeros += big[i] == 0;
	ck_assert_msg(zeros < 30, "%zu zero octets in the last 1000", zeros);
}
END_TEST

START_TEST(test_sanitize_text)
{
	char s1[] = "plain text, 100% ok ~";
	char s2[] = "a\tb\rc\nd\x1b[0m\x7f" "e";
	char s3[] = "caf\xc3\xa9";
	char s4[] = "";

	sanitize_text(s1);
	ck_assert_str_eq(s1, "plain text, 100% ok ~");
	sanitize_text(s2);
	ck_assert_str_eq(s2, "a?b?c?d?[0m?e");
	sanitize_text(s3);
	ck_assert_str_eq(s3, "caf??");
	sanitize_text(s4);
	ck_assert_str_eq(s4, "");
}
END_TEST

START_TEST(test_time_iso8601)
{
	char buf[32];

	ck_assert_int_eq(time_iso8601(buf, sizeof(buf), 0), 0);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(time_iso8601(buf, sizeof(buf), 1733340000L), 0);
	ck_assert_str_eq(buf, "2024-12-04T19:20:00Z");
	ck_assert_int_eq(time_iso8601(buf, sizeof(buf), 951782400L), 0);
	ck_assert_str_eq(buf, "2000-02-29T00:00:00Z");
	ck_assert_int_eq(time_iso8601(buf, sizeof(buf), 2147483648L), 0);
	ck_assert_str_eq(buf, "2038-01-19T03:14:08Z");
	/* 20 characters need 21 octets */
	ck_assert_int_eq(time_iso8601(buf, 21, 0), 0);
	ck_assert_int_eq(time_iso8601(buf, 20, 0), -1);
}
END_TEST

Suite *
suite_util(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_strlcpy_at);
	tcase_add_test(tc, test_str_fmt);
	tcase_add_test(tc, test_str_lower_prefix);
	tcase_add_loop_test(tc, test_parse_uint64, 0,
	    (int)(sizeof(uint_cases) / sizeof(uint_cases[0])));
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_sanitize_text);
	tcase_add_test(tc, test_time_iso8601);
	suite_add_tcase(s, tc);
	return s;
}
