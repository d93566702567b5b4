/* cram.c: CRAM-MD5 (RFC 2195) with stored HMAC-MD5 key states.  The low-level
 * MD5 functions give the inner and outer states after the ipad/opad block,
 * which EVP cannot export or import, and cost nothing at start-up. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/md5.h>

#include "cram.h"
#include "util.h"

static void
put_state(unsigned char *out, const MD5_CTX *c)
{
	const MD5_LONG w[4] = { c->A, c->B, c->C, c->D };
	int i;

	for (i = 0; i < 4; i++) {
		out[4 * i] = (unsigned char)(w[i] & 0xff);
		out[4 * i + 1] = (unsigned char)(w[i] >> 8 & 0xff);
		out[4 * i + 2] = (unsigned char)(w[i] >> 16 & 0xff);
		out[4 * i + 3] = (unsigned char)(w[i] >> 24 & 0xff);
	}
}

/* An MD5 context that has just absorbed one 64-octet block. */
static void
get_state(MD5_CTX *c, const unsigned char *in)
{
	MD5_LONG w[4];
	int i;

	for (i = 0; i < 4; i++)
		w[i] = (MD5_LONG)in[4 * i] | (MD5_LONG)in[4 * i + 1] << 8 |
		    (MD5_LONG)in[4 * i + 2] << 16 | (MD5_LONG)in[4 * i + 3] << 24;
	MD5_Init(c);
	c->A = w[0];
	c->B = w[1];
	c->C = w[2];
	c->D = w[3];
	c->Nl = 512;
	c->Nh = 0;
	c->num = 0;
}

void
cram_keys_from_password(struct cram_keys *k, const char *pw, size_t len)
{
	unsigned char key[64], pad[64];
	MD5_CTX c;
	size_t i;

	memset(key, 0, sizeof(key));
	if (len > sizeof(key))
		MD5((const unsigned char *)pw, len, key);
	else
		memcpy(key, pw, len);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = key[i] ^ 0x36;
	MD5_Init(&c);
	MD5_Update(&c, pad, sizeof(pad));
	put_state(k->st, &c);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = key[i] ^ 0x5c;
	MD5_Init(&c);
	MD5_Update(&c, pad, sizeof(pad));
	put_state(k->st + 16, &c);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&c, sizeof(c));
}

void
cram_keys_to_hex(const struct cram_keys *k, char *hex)
{
	hex_encode(k->st, sizeof(k->st), hex);
}

int
cram_keys_from_hex(struct cram_keys *k, const char *hex)
{
	if (strlen(hex) != CRAM_KEYSTATE_HEX)
		return -1;
	return hex_decode(hex, CRAM_KEYSTATE_HEX, k->st);
}

void
cram_hmac(const struct cram_keys *k, const void *msg, size_t len,
    unsigned char digest[CRAM_DIGEST_LEN])
{
	unsigned char inner[MD5_DIGEST_LENGTH];
	MD5_CTX c;

	get_state(&c, k->st);
	MD5_Update(&c, msg, len);
	MD5_Final(inner, &c);
	get_state(&c, k->st + 16);
	MD5_Update(&c, inner, sizeof(inner));
	MD5_Final(digest, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

int
cram_challenge(char *buf, size_t size, const char *hostname)
{
	unsigned char rnd[16];
	char hex[2 * sizeof(rnd) + 1];

	if (random_bytes(rnd, sizeof(rnd)) == -1)
		return -1;
	hex_encode(rnd, sizeof(rnd), hex);
	return str_fmt(buf, size, "<%s.%lld@%s>", hex, (long long)time(NULL),
	    hostname);
}

int
cram_split_response(const char *resp, size_t len, char *user, size_t usize,
    unsigned char digest[CRAM_DIGEST_LEN])
{
	const char *sp = NULL;
	size_t i, ulen;

	for (i = 0; i < len; i++) {
		if ((unsigned char)resp[i] < 0x21 && resp[i] != ' ')
			return -1;	/* NUL, CR, LF, TAB: never */
		if (resp[i] == ' ')
			sp = resp + i;
	}
	if (sp == NULL || len - (size_t)(sp + 1 - resp) != 2 * CRAM_DIGEST_LEN)
		return -1;
	ulen = (size_t)(sp - resp);
	if (ulen == 0 || ulen >= usize)
		return -1;
	if (hex_decode(sp + 1, 2 * CRAM_DIGEST_LEN, digest) == -1)
		return -1;
	memcpy(user, resp, ulen);
	user[ulen] = '\0';
	return 0;
}

int
cram_verify(const struct cram_keys *k, const char *challenge,
    const unsigned char digest[CRAM_DIGEST_LEN])
{
	unsigned char want[CRAM_DIGEST_LEN];
	int ok;

	cram_hmac(k, challenge, strlen(challenge), want);
	ok = CRYPTO_memcmp(want, digest, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
