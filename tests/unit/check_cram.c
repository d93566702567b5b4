/* check_cram.c: CRAM-MD5 over stored HMAC-MD5 key states (lib/cram.c),
 * against RFC 2195 and against OpenSSL's own HMAC. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cram.h"
#include "suites.h"
#include "util.h"

#define RFC_USER	"tim"
#define RFC_PASS	"tanstaaftanstaaf"
#define RFC_CHALLENGE	"<1896.697170952@postoffice.reston.mci.net>"
#define RFC_DIGEST	"b913a602c7eda7a495b4e6e7334d3890"

START_TEST(test_rfc2195_example)
{
	struct cram_keys k;
	unsigned char d[CRAM_DIGEST_LEN];
	char hex[2 * CRAM_DIGEST_LEN + 1];
	size_t bit;

	cram_keys_from_password(&k, RFC_PASS, strlen(RFC_PASS));
	cram_hmac(&k, RFC_CHALLENGE, strlen(RFC_CHALLENGE), d);
	hex_encode(d, sizeof(d), hex);
	ck_assert_str_eq(hex, RFC_DIGEST);
	ck_assert_int_eq(cram_verify(&k, RFC_CHALLENGE, d), 1);

	/* every single flipped bit of the digest is refused */
	for (bit = 0; bit < 8 * sizeof(d); bit++) {
		d[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ck_assert_msg(cram_verify(&k, RFC_CHALLENGE, d) == 0,
		    "digest with bit %zu flipped accepted", bit);
		d[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	/* the right digest for another challenge, or another password */
	ck_assert_int_eq(cram_verify(&k, "<1896.697170953@postoffice.reston."
	    "mci.net>", d), 0);
	cram_keys_from_password(&k, "tanstaaftanstaaF", 16);
	ck_assert_int_eq(cram_verify(&k, RFC_CHALLENGE, d), 0);
}
END_TEST

/* The key states must give what HMAC-MD5 with the password as key gives,
 * for every password length around the 64-octet block (longer keys are
 * hashed first, RFC 2104). */
START_TEST(test_against_openssl_hmac)
{
	unsigned char pw[130], msg[300], mine[CRAM_DIGEST_LEN];
	unsigned char theirs[EVP_MAX_MD_SIZE];
	unsigned int tlen;
	struct cram_keys k;
	size_t len;

	for (len = 0; len <= sizeof(pw); len++) {
		size_t mlen = (len * 37) % sizeof(msg);

		ck_assert_int_eq(random_bytes(pw, sizeof(pw)), 0);
		ck_assert_int_eq(random_bytes(msg, sizeof(msg)), 0);
		cram_keys_from_password(&k, (const char *)pw, len);
		cram_hmac(&k, msg, mlen, mine);
		ck_assert_ptr_nonnull(HMAC(EVP_md5(), pw, (int)len, msg, mlen,
		    theirs, &tlen));
		ck_assert_uint_eq(tlen, CRAM_DIGEST_LEN);
		ck_assert_msg(memcmp(mine, theirs, CRAM_DIGEST_LEN) == 0,
		    "password length %zu, message length %zu: digests differ",
		    len, mlen);
	}
}
END_TEST

START_TEST(test_keys_hex)
{
	struct cram_keys k, back;
	char hex[CRAM_KEYSTATE_HEX + 1], bad[CRAM_KEYSTATE_HEX + 2];
	char pwhex[2 * sizeof(RFC_PASS)];
	unsigned char d1[CRAM_DIGEST_LEN], d2[CRAM_DIGEST_LEN];
	size_t i;

	cram_keys_from_password(&k, RFC_PASS, strlen(RFC_PASS));
	memset(hex, 'X', sizeof(hex));
	cram_keys_to_hex(&k, hex);
	ck_assert_uint_eq(strlen(hex), CRAM_KEYSTATE_HEX);
	for (i = 0; i < CRAM_KEYSTATE_HEX; i++)
		ck_assert_msg(isxdigit((unsigned char)hex[i]) &&
		    !isupper((unsigned char)hex[i]), "hex[%zu] = %c", i, hex[i]);
	/* enough to verify, never the password */
	ck_assert_ptr_null(strstr(hex, "tanstaaf"));
	hex_encode((const unsigned char *)RFC_PASS, 8, pwhex);
	ck_assert_ptr_null(strstr(hex, pwhex));

	memset(&back, 0, sizeof(back));
	ck_assert_int_eq(cram_keys_from_hex(&back, hex), 0);
	ck_assert_mem_eq(back.st, k.st, sizeof(k.st));
	cram_hmac(&back, RFC_CHALLENGE, strlen(RFC_CHALLENGE), d1);
	cram_hmac(&k, RFC_CHALLENGE, strlen(RFC_CHALLENGE), d2);
	ck_assert_mem_eq(d1, d2, sizeof(d1));

	/* 63 and 65 digits, and a non-hex digit at either end */
	memcpy(bad, hex, CRAM_KEYSTATE_HEX - 1);
	bad[CRAM_KEYSTATE_HEX - 1] = '\0';
	ck_assert_int_eq(cram_keys_from_hex(&back, bad), -1);
	memcpy(bad, hex, CRAM_KEYSTATE_HEX);
	bad[CRAM_KEYSTATE_HEX] = '0';
	bad[CRAM_KEYSTATE_HEX + 1] = '\0';
	ck_assert_int_eq(cram_keys_from_hex(&back, bad), -1);
	memcpy(bad, hex, sizeof(hex));
	bad[0] = 'g';
	ck_assert_int_eq(cram_keys_from_hex(&back, bad), -1);
	memcpy(bad, hex, sizeof(hex));
	bad[CRAM_KEYSTATE_HEX - 1] = ' ';
	ck_assert_int_eq(cram_keys_from_hex(&back, bad), -1);
	ck_assert_int_eq(cram_keys_from_hex(&back, ""), -1);
}
END_TEST

/* Different passwords give different states; the same gives the same. */
START_TEST(test_keys_deterministic)
{
	struct cram_keys a, b, c;

	cram_keys_from_password(&a, "secret", 6);
	cram_keys_from_password(&b, "secret", 6);
	cram_keys_from_password(&c, "secreT", 6);
	ck_assert_mem_eq(a.st, b.st, sizeof(a.st));
	ck_assert_mem_ne(a.st, c.st, sizeof(a.st));
	/* inner and outer states differ (ipad vs opad) */
	ck_assert_mem_ne(a.st, a.st + 16, 16);
}
END_TEST

static int
challenge_ok(const char *c, const char *host)
{
	size_t i, hl = strlen(host), n = strlen(c);
	const char *p;

	if (n < 1 + 32 + 1 + 1 + 1 + hl + 1 || c[0] != '<' || c[n - 1] != '>')
		return 0;
	for (i = 1; i <= 32; i++)
		if (!isxdigit((unsigned char)c[i]))
			return 0;
	if (c[33] != '.')
		return 0;
	for (p = c + 34; isdigit((unsigned char)*p); p++)
		;
	if (p == c + 34 || *p != '@')
		return 0;
	return strncmp(p + 1, host, hl) == 0 && p + 1 + hl == c + n - 1;
}

START_TEST(test_challenge)
{
	char a[CRAM_CHALLENGE_MAX + 1], b[CRAM_CHALLENGE_MAX + 1];
	char host[256];
	long long t;
	time_t now = time(NULL);

	ck_assert_int_eq(cram_challenge(a, sizeof(a), "mx.example.org"), 0);
	ck_assert_int_eq(cram_challenge(b, sizeof(b), "mx.example.org"), 0);
	ck_assert_msg(challenge_ok(a, "mx.example.org"), "bad format: %s", a);
	ck_assert_msg(challenge_ok(b, "mx.example.org"), "bad format: %s", b);
	ck_assert_str_ne(a, b);
	ck_assert_mem_ne(a + 1, b + 1, 32);
	/* the digits are the current time */
	t = atoll(a + 34);
	ck_assert_msg(t >= (long long)now - 5 && t <= (long long)now + 5,
	    "time %lld, now %lld", t, (long long)now);

	/* the longest host name fits CRAM_CHALLENGE_MAX */
	memset(host, 'h', 255);
	host[255] = '\0';
	ck_assert_int_eq(cram_challenge(a, sizeof(a), host), 0);
	ck_assert(challenge_ok(a, host));
	/* a buffer too small is refused */
	ck_assert_int_eq(cram_challenge(a, 20, "mx.example.org"), -1);
}
END_TEST

#define D32	"b913a602c7eda7a495b4e6e7334d3890"
static const struct {
	const char	*resp;
	size_t		 len;
	size_t		 usize;
	int		 rc;
	const char	*user;
} split[] = {
#define S(x)	x, sizeof(x) - 1
	{ S("tim " D32),		64, 0,  "tim" },
	{ S("tim@a.test " D32),		64, 0,  "tim@a.test" },
	/* the rightmost space splits: user names may hold spaces */
	{ S("tim smith " D32),		64, 0,  "tim smith" },
	{ S("a b c " D32),		64, 0,  "a b c" },
	{ S("tim  " D32),		64, 0,  "tim " },
	/* digest of 31 and 33 digits, non-hex, none */
	{ S("tim b913a602c7eda7a495b4e6e7334d389"),	64, -1, NULL },
	{ S("tim b913a602c7eda7a495b4e6e7334d38900"),	64, -1, NULL },
	{ S("tim b913a602c7eda7a495b4e6e7334d389g"),	64, -1, NULL },
	{ S("tim x913a602c7eda7a495b4e6e7334d3890"),	64, -1, NULL },
	{ S("tim "),			64, -1, NULL },
	{ S("tim " D32 " "),		64, -1, NULL },
	{ S(""),			64, -1, NULL },
	/* no space, empty user */
	{ S("tim" D32),			64, -1, NULL },
	{ S(" " D32),			64, -1, NULL },
	/* NUL, CR, LF, TAB anywhere */
	{ S("ti\0m " D32),		64, -1, NULL },
	{ S("tim\r " D32),		64, -1, NULL },
	{ S("t\nim " D32),		64, -1, NULL },
	{ S("tim\t" D32),		64, -1, NULL },
	{ S("t\tim " D32),		64, -1, NULL },
	{ S("tim " D32 "\r\n"),		64, -1, NULL },
	{ S("tim b913a602c7eda7a4\0" "5b4e6e7334d3890"), 64, -1, NULL },
	/* the user buffer: 3 octets + NUL fit in 4, 4 do not */
	{ S("tim " D32),		4,  0,  "tim" },
	{ S("timo " D32),		4,  -1, NULL },
	{ S("tim smith " D32),		9,  -1, NULL },
	{ S("tim smith " D32),		10, 0,  "tim smith" },
#undef S
};

START_TEST(test_split_response)
{
	unsigned char digest[CRAM_DIGEST_LEN], want[CRAM_DIGEST_LEN];
	char user[80];
	int rc;

	memset(user, 'Z', sizeof(user));
	rc = cram_split_response(split[_i].resp, split[_i].len, user,
	    split[_i].usize, digest);
	ck_assert_msg(rc == split[_i].rc, "case %d: rc %d, want %d", _i, rc,
	    split[_i].rc);
	if (rc == 0) {
		ck_assert_str_eq(user, split[_i].user);
		ck_assert_int_eq(hex_decode(D32, 32, want), 0);
		ck_assert_mem_eq(digest, want, sizeof(want));
	} else
		/* nothing beyond the user buffer was written */
		ck_assert_int_eq(user[split[_i].usize], 'Z');
}
END_TEST

Suite *
suite_cram(void)
{
	Suite *s = suite_create("cram");
	TCase *tc = tcase_create("cram");

	tcase_add_test(tc, test_rfc2195_example);
	tcase_add_test(tc, test_against_openssl_hmac);
	tcase_add_test(tc, test_keys_hex);
	tcase_add_test(tc, test_keys_deterministic);
	tcase_add_test(tc, test_challenge);
	tcase_add_loop_test(tc, test_split_response, 0,
	    (int)(sizeof(split) / sizeof(split[0])));
	suite_add_tcase(s, tc);
	return s;
}
