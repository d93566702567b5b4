/* b64.c: base64 through OpenSSL's block functions (no provider fetch). */
#include <string.h>
#include <openssl/evp.h>

#include "b64.h"

size_t
b64_encode(const void *in, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static int
b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

long
b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outsize)
{
	size_t i, pad = 0;
	int n;

	/* EVP_DecodeBlock skips white space and ignores bad padding: check
	 * the alphabet and the shape ourselves first. */
	if (inlen % 4 != 0 || inlen / 4 * 3 > outsize || inlen > 0x7fffffff)
		return -1;
	for (i = 0; i < inlen; i++) {
		if (in[i] == '=') {
			if (i < inlen - 2)
				return -1;
			pad++;
		} else if (pad > 0 || !b64_char((unsigned char)in[i]))
			return -1;
	}
	if (inlen == 0)
		return 0;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0)
		return -1;
	return (long)n - (long)pad;
}
