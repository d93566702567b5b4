/* reply.h: SMTP replies with enhanced status codes (RFC 5321 4.2, RFC 3463). */
#ifndef ALLTALK_REPLY_H
#define ALLTALK_REPLY_H

#include "io.h"

/* "CODE ESC text", ESC may be NULL (greeting, EHLO, data lines). */
int	reply(struct io *, int code, const char *esc, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* A continuation line "CODE-text" (no enhanced code: data-carrying lines). */
int	reply_cont(struct io *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A data block in chunks: dot-stuffed lines, then the final ".". */
int	reply_dotstuff(struct io *, const char *buf, size_t len, int *bol);
int	reply_dotend(struct io *, int bol);

#endif
