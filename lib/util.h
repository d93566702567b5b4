/* util.h: small string and memory helpers shared by every program. */
#ifndef ALLTALK_UTIL_H
#define ALLTALK_UTIL_H

#include <stddef.h>
#include <stdint.h>

size_t	strlcpy_at(char *dst, const char *src, size_t size);
int	str_fmt(char *dst, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	str_lower(char *s);
int	str_casecmp_prefix(const char *s, const char *prefix);
int	parse_uint64(const char *s, uint64_t max, uint64_t *out);
void	hex_encode(const unsigned char *in, size_t len, char *out);
int	hex_decode(const char *in, size_t hexlen, unsigned char *out);
int	random_bytes(void *buf, size_t len);
void	sanitize_text(char *s);
int	time_iso8601(char *buf, size_t size, long sec);

#endif
