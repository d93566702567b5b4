/* io.c: buffered line I/O with limits and deadlines.  Output is flushed
 * before every blocking read, which is all RFC 2920 pipelining needs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

static ssize_t
fd_read(void *ctx, void *buf, size_t len)
{
	return read(*(int *)ctx, buf, len);
}

static ssize_t
fd_write(void *ctx, const void *buf, size_t len)
{
	return write(((int *)ctx)[1], buf, len);
}

void
io_init(struct io *io, int rfd, io_readfn rf, io_writefn wf, void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->rfd = rfd;
	io->wfd = -1;
	io->readfn = rf;
	io->writefn = wf;
	io->ctx = ctx;
	io->write_timeout_ms = 300000;
}

/* Both descriptors become non-blocking: every wait goes through poll()
 * with a deadline, so a peer that stops reading cannot hang us. */
void
io_init_fd(struct io *io, int rfd, int wfd)
{
	io_init(io, rfd, fd_read, fd_write, NULL);
	io->wfd = wfd;
	io->fds[0] = rfd;
	io->fds[1] = wfd;
	io->ctx = io->fds;
	(void)fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
	if (wfd != rfd)
		(void)fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes: 1, 0, -1. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	int n;

	if (fd < 0)
		return 1;
	for (;;) {
		long long left = deadline - now_ms();

		if (left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Refills the read buffer (which the caller has consumed). */
static enum io_status
io_fill(struct io *io, long long deadline)
{
	ssize_t n;

	if (io->rpos > 0 && io->rpos == io->rlen)
		io->rpos = io->rlen = 0;
	(void)io_flush(io);	/* a write error shows at the next write */
	for (;;) {
		n = io->readfn(io->ctx, io->rbuf + io->rlen,
		    sizeof(io->rbuf) - io->rlen);
		if (n > 0) {
			io->rlen += (size_t)n;
			io->nread += (unsigned long long)n;
			return IO_OK;
		}
		if (n == 0)
			return IO_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return IO_ERROR;
		switch (wait_fd(io->rfd, POLLIN, deadline)) {
		case 0:
			return IO_TIMEOUT;
		case -1:
			return IO_ERROR;
		}
	}
}

enum io_status
io_getline(struct io *io, char *buf, size_t max, size_t *len,
    long timeout_ms, size_t discard_max)
{
	long long deadline = now_ms() + timeout_ms;
	size_t kept = 0, skipped = 0;
	int toolong = 0;
	unsigned char last = 0, before = 0;
	enum io_status st;

	for (;;) {
		unsigned char *start = io->rbuf + io->rpos;
		size_t avail = io->rlen - io->rpos;
		unsigned char *lf = memchr(start, '\n', avail);
		size_t take = lf != NULL ? (size_t)(lf - start) + 1 : avail;

		if (!toolong && kept + take <= max) {
			memcpy(buf + kept, start, take);
			kept += take;
		} else if (!toolong) {
			memcpy(buf + kept, start, max - kept);
			skipped += take - (max - kept);
			kept = max;
			toolong = 1;
		} else
			skipped += take;
		if (take >= 2) {
			before = start[take - 2];
			last = start[take - 1];
		} else if (take == 1) {
			before = last;
			last = start[0];
		}
		io->rpos += take;
		buf[kept] = '\0';
		*len = kept;
		if (toolong && skipped > discard_max)
			return IO_NOLF;
		if (lf != NULL) {
			io->line_crlf = before == '\r';
			return toolong ? IO_TOOLONG : IO_OK;
		}
		if ((st = io_fill(io, deadline)) != IO_OK) {
			*len = 0;
			buf[0] = '\0';
			return st;
		}
	}
}

size_t
io_pending(const struct io *io)
{
	return io->rlen - io->rpos;
}

size_t
io_drop_pending(struct io *io)
{
	size_t n = io->rlen - io->rpos;

	io->rpos = io->rlen = 0;
	return n;
}

int
io_flush(struct io *io)
{
	long long deadline = now_ms() + io->write_timeout_ms;
	size_t off = 0;

	while (off < io->wlen && !io->werror) {
		ssize_t n = io->writefn(io->ctx, io->wbuf + off,
		    io->wlen - off);

		if (n > 0) {
			off += (size_t)n;
			io->nwritten += (unsigned long long)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(io->wfd, POLLOUT, deadline) == 1)
			continue;
		io->werror = 1;
	}
	io->wlen = 0;
	return io->werror ? -1 : 0;
}

int
io_write(struct io *io, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t room = sizeof(io->wbuf) - io->wlen;
		size_t n = len < room ? len : room;

		memcpy(io->wbuf + io->wlen, p, n);
		io->wlen += n;
		p += n;
		len -= n;
		if (io->wlen == sizeof(io->wbuf) && io_flush(io) == -1)
			return -1;
	}
	return io->werror ? -1 : 0;
}

int
io_printf(struct io *io, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	return io_write(io, buf, (size_t)n);
}
