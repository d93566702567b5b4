/* cram.h: CRAM-MD5 (RFC 2195) over stored HMAC-MD5 inner/outer key states,
 * as Dovecot's CRAM-MD5 scheme: enough to verify, never the password. */
#ifndef ALLTALK_CRAM_H
#define ALLTALK_CRAM_H

#include <stddef.h>

#define CRAM_KEYSTATE_LEN	32	/* inner A..D and outer A..D, 4 octets each */
#define CRAM_KEYSTATE_HEX	(2 * CRAM_KEYSTATE_LEN)
#define CRAM_DIGEST_LEN		16
#define CRAM_CHALLENGE_MAX	(32 + 1 + 20 + 1 + 255 + 3)

struct cram_keys {
	unsigned char	 st[CRAM_KEYSTATE_LEN];
};

void	cram_keys_from_password(struct cram_keys *, const char *pw, size_t len);
void	cram_keys_to_hex(const struct cram_keys *, char *hex /* 65 */);
int	cram_keys_from_hex(struct cram_keys *, const char *hex);
void	cram_hmac(const struct cram_keys *, const void *msg, size_t len,
	    unsigned char digest[CRAM_DIGEST_LEN]);
/* "<32 hex random digits.unixtime@hostname>", 128 bits from getrandom(2). */
int	cram_challenge(char *buf, size_t size, const char *hostname);
/* Splits a decoded response "user SP hexdigest" at the rightmost space.
 * Returns 0 or -1 (malformed). */
int	cram_split_response(const char *resp, size_t len, char *user,
	    size_t usize, unsigned char digest[CRAM_DIGEST_LEN]);
/* Constant-time check of digest against HMAC(keys, challenge). */
int	cram_verify(const struct cram_keys *, const char *challenge,
	    const unsigned char digest[CRAM_DIGEST_LEN]);

#endif
