/* reply.c: SMTP replies (RFC 5321 4.2) with enhanced status codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"

static int
reply_v(struct io *io, int code, char sep, const char *esc, const char *fmt,
    va_list ap)
{
	char text[512];
	int n;

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		return -1;
	/* A reply line stays within 512 octets: 4 + esc + text + CRLF. */
	if (esc != NULL)
		return io_printf(io, "%03d%c%s %.*s\r\n", code, sep, esc,
		    (int)(512 - 4 - 10 - 2), text);
	return io_printf(io, "%03d%c%.*s\r\n", code, sep, (int)(512 - 4 - 2),
	    text);
}

int
reply(struct io *io, int code, const char *esc, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = reply_v(io, code, ' ', esc, fmt, ap);
	va_end(ap);
	return rc;
}

int
reply_cont(struct io *io, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = reply_v(io, code, '-', NULL, fmt, ap);
	va_end(ap);
	return rc;
}

/* Writes a chunk of a data block: every line starting with '.' gets one
 * more.  *bol carries "at the beginning of a line" from chunk to chunk and
 * starts as 1. */
int
reply_dotstuff(struct io *io, const char *buf, size_t len, int *bol)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (buf + i)) + 1 : len - i;

		if (*bol && buf[i] == '.' && io_write(io, ".", 1) == -1)
			return -1;
		if (io_write(io, buf + i, n) == -1)
			return -1;
		*bol = nl != NULL;
		i += n;
	}
	return 0;
}

/* Ends a data block: CRLF if the last line was not ended, then ".". */
int
reply_dotend(struct io *io, int bol)
{
	if (!bol && io_write(io, "\r\n", 2) == -1)
		return -1;
	return io_write(io, ".\r\n", 3);
}
