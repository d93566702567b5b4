/* noop-handler.c: the baseline of `make bench`: the least a per-connection
 * xinetd service can do (greeting, EHLO, QUIT), so that the cost of
 * alltalk-session can be read as a ratio against fork+exec alone. */
#include <errno.h>
#include <stddef.h>
#include <strings.h>
#include <unistd.h>

#define LINE_MAX_LEN	512
#define IDLE_LIMIT	60	/* seconds: a stuck client cannot hold a slot */

static int
write_all(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

#define REPLY(s)	write_all((s), sizeof(s) - 1)

static int
is_verb(const char *line, size_t len, const char *verb, size_t vlen)
{
	if (len < vlen || strncasecmp(line, verb, vlen) != 0)
		return 0;
	return len == vlen || line[vlen] == ' ' || line[vlen] == '\r' ||
	    line[vlen] == '\n';
}

int
main(void)
{
	char	 buf[4096], line[LINE_MAX_LEN];
	size_t	 blen = 0, llen = 0, i;
	int	 overlong = 0;

	alarm(IDLE_LIMIT);
	if (REPLY("220 bench ready\r\n") == -1)
		return 1;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		blen = (size_t)n;
		for (i = 0; i < blen; i++) {
			if (buf[i] != '\n') {
				if (llen < sizeof(line))
					line[llen++] = buf[i];
				else
					overlong = 1;
				continue;
			}
			if (overlong) {
				if (REPLY("500 x\r\n") == -1)
					return 1;
			} else if (is_verb(line, llen, "EHLO", 4)) {
				if (REPLY("250 bench\r\n") == -1)
					return 1;
			} else if (is_verb(line, llen, "QUIT", 4)) {
				REPLY("221 bye\r\n");
				return 0;
			} else if (REPLY("500 x\r\n") == -1)
				return 1;
			llen = 0;
			overlong = 0;
		}
	}
}
