/* io.h: buffered line I/O with limits and deadlines over an injectable
 * reader/writer, so that a whole session runs over a socket, a pipe or a
 * test buffer alike. */
#ifndef ALLTALK_IO_H
#define ALLTALK_IO_H

#include <stddef.h>
#include <sys/types.h>

#define IO_BUFSIZE	16384

struct io;
typedef ssize_t (*io_readfn)(void *ctx, void *buf, size_t len);
typedef ssize_t (*io_writefn)(void *ctx, const void *buf, size_t len);

struct io {
	int		 rfd;		/* polled for deadlines; -1: never blocks */
	int		 wfd;
	io_readfn	 readfn;
	io_writefn	 writefn;
	void		*ctx;
	int		 fds[2];
	unsigned char	 rbuf[IO_BUFSIZE];
	size_t		 rpos, rlen;
	unsigned char	 wbuf[IO_BUFSIZE];
	size_t		 wlen;
	int		 werror;	/* a write failed: stop writing */
	int		 line_crlf;	/* the last line read ended in CRLF */
	long		 write_timeout_ms;	/* a blocked write fails after this */
	unsigned long long nread, nwritten;
};

enum io_status {
	IO_OK = 0,
	IO_EOF,		/* peer closed (a partial line is dropped) */
	IO_TIMEOUT,	/* the deadline passed */
	IO_TOOLONG,	/* line longer than the limit: rest of it discarded */
	IO_NOLF,	/* no LF within max + discard_max octets */
	IO_ERROR	/* read error */
};

void	io_init_fd(struct io *, int rfd, int wfd);
void	io_init(struct io *, int rfd, io_readfn, io_writefn, void *ctx);
/* Reads one line ending in LF into buf, which holds max + 1 octets (NUL
 * terminated, LF kept).  A line of more than max octets (LF included)
 * gives IO_TOOLONG once the rest of it was skipped; no LF within max +
 * discard_max octets gives IO_NOLF.  Output is flushed before blocking.
 * timeout_ms bounds the whole line (a deadline, not an idle timer), so
 * trickling one octet at a time does not extend it. */
enum io_status io_getline(struct io *, char *buf, size_t max, size_t *len,
	    long timeout_ms, size_t discard_max);
/* Discards input already buffered (STARTTLS). */
size_t	io_drop_pending(struct io *);
size_t	io_pending(const struct io *);
int	io_write(struct io *, const void *, size_t);
int	io_printf(struct io *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	io_flush(struct io *);

#endif
