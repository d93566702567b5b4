/* b64.h: base64 through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock. */
#ifndef ALLTALK_B64_H
#define ALLTALK_B64_H

#include <stddef.h>

#define B64_ENCODED_LEN(n)	(4 * (((n) + 2) / 3) + 1)

/* Encodes; out must hold B64_ENCODED_LEN(len) octets.  Returns the length. */
size_t	b64_encode(const void *in, size_t len, char *out);
/* Decodes strict base64 (no whitespace, correct padding).  Returns the
 * decoded length or -1.  out must hold 3 * (inlen / 4) octets. */
long	b64_decode(const char *in, size_t inlen, unsigned char *out,
	    size_t outsize);

#endif
