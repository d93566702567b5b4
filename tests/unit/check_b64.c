/* check_b64.c: base64 (lib/b64.c): RFC 4648 section 10 vectors both ways,
 * binary round trips, and strict decoding. */
#include <check.h>
#include <string.h>

#include "b64.h"
#include "suites.h"

static const struct {
	const char	*plain;
	const char	*enc;
} rfc4648[] = {
	{ "",		"" },
	{ "f",		"Zg==" },
	{ "fo",		"Zm8=" },
	{ "foo",	"Zm9v" },
	{ "foob",	"Zm9vYg==" },
	{ "fooba",	"Zm9vYmE=" },
	{ "foobar",	"Zm9vYmFy" },
};

START_TEST(test_encode_vectors)
{
	const char *plain = rfc4648[_i].plain, *enc = rfc4648[_i].enc;
	char out[B64_ENCODED_LEN(6) + 8];
	size_t n;

	ck_assert_uint_eq(B64_ENCODED_LEN(strlen(plain)), strlen(enc) + 1);
	memset(out, 'X', sizeof(out));
	n = b64_encode(plain, strlen(plain), out);
	ck_assert_uint_eq(n, strlen(enc));
	ck_assert_str_eq(out, enc);
}
END_TEST

START_TEST(test_decode_vectors)
{
	const char *plain = rfc4648[_i].plain, *enc = rfc4648[_i].enc;
	size_t need = 3 * (strlen(enc) / 4);
	unsigned char out[16];

	memset(out, 0, sizeof(out));
	/* an output of exactly 3 * (inlen / 4) octets is enough */
	ck_assert_int_eq(b64_decode(enc, strlen(enc), out, need),
	    (long)strlen(plain));
	ck_assert_mem_eq(out, plain, strlen(plain));
	/* one octet less is refused, and nothing is written */
	if (need > 0) {
		memset(out, 0x55, sizeof(out));
		ck_assert_int_eq(b64_decode(enc, strlen(enc), out, need - 1), -1);
		ck_assert_int_eq(out[need - 1], 0x55);
	}
}
END_TEST

START_TEST(test_binary_round_trip)
{
	unsigned char in[300], back[300];
	char enc[B64_ENCODED_LEN(300)];
	size_t len, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + 3);
	for (len = 0; len <= sizeof(in); len += len < 10 ? 1 : 37) {
		size_t n = b64_encode(in, len, enc);
		long m;

		ck_assert_uint_eq(n, 4 * ((len + 2) / 3));
		ck_assert_uint_eq(strlen(enc), n);
		m = b64_decode(enc, n, back, sizeof(back));
		ck_assert_int_eq(m, (long)len);
		ck_assert_mem_eq(back, in, len);
	}
}
END_TEST

/* Each of these must be refused by the strict decoder. */
static const struct {
	const char	*in;
	size_t		 len;
	const char	*why;
} bad[] = {
#define S(x)	x, sizeof(x) - 1
	{ S("Zm9"),		"length 3" },
	{ S("Z"),		"length 1" },
	{ S("Zm9vY"),		"length 5" },
	{ S("Zm9vYmF"),		"length 7" },
	{ S("Zg="),		"padding without its length" },
	{ S("Zm9 "),		"space" },
	{ S(" Zm9"),		"leading space" },
	{ S("Zm\t9"),		"tab" },
	{ S("Zm9\n"),		"LF" },
	{ S("Zm9vYmF\n"),	"LF at the end" },
	{ S("Zm9v\r\n  "),	"CRLF and spaces" },
	{ S("Zm9v    "),	"trailing spaces" },
	{ S("    Zm9v"),	"leading spaces" },
	{ S("Zm9vYm\r\n"),	"CRLF in place of padding" },
	{ S("Z==="),		"three pads" },
	{ S("===="),		"only pads" },
	{ S("=Zg="),		"pad first" },
	{ S("Zm=v"),		"pad in the middle" },
	{ S("Zg=a"),		"data after a pad" },
	{ S("Zg==Zm9v"),	"pad before the last quantum" },
	{ S("Zm9=Zm9v"),	"pad in the first quantum" },
	{ S("Zm9-"),		"base64url '-'" },
	{ S("Zm9_"),		"base64url '_'" },
	{ S("Zm9*"),		"'*'" },
	{ S("Zm9."),		"'.'" },
	{ S("Zm9\x80"),		"octet 0x80" },
	{ S("Zm9\xff"),		"octet 0xff" },
	{ S("Zm9\0"),		"NUL" },
	{ S("Zm\09v"),		"NUL inside" },
#undef S
};

START_TEST(test_decode_strict)
{
	unsigned char out[64];

	ck_assert_msg(b64_decode(bad[_i].in, bad[_i].len, out, sizeof(out))
	    == -1, "accepted %s", bad[_i].why);
}
END_TEST

START_TEST(test_decode_output_too_small)
{
	unsigned char out[16];

	/* "Zg==" decodes to one octet, but the decoder needs room for 3 */
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(b64_decode("Zg==", 4, out, 2), -1);
	ck_assert_int_eq(out[2], 0x55);
	ck_assert_int_eq(b64_decode("Zm9vYmFy", 8, out, 5), -1);
	ck_assert_int_eq(out[5], 0x55);
	ck_assert_int_eq(b64_decode("Zm9vYmFy", 8, out, 0), -1);
	ck_assert_int_eq(b64_decode("", 0, out, 0), 0);
}
END_TEST

Suite *
suite_b64(void)
{
	Suite *s = suite_create("b64");
	TCase *tc = tcase_create("b64");
	int nv = (int)(sizeof(rfc4648) / sizeof(rfc4648[0]));

	tcase_add_loop_test(tc, test_encode_vectors, 0, nv);
	tcase_add_loop_test(tc, test_decode_vectors, 0, nv);
	tcase_add_test(tc, test_binary_round_trip);
	tcase_add_loop_test(tc, test_decode_strict, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_decode_output_too_small);
	suite_add_tcase(s, tc);
	return s;
}
