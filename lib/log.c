/* log.c: the one logging module.  syslog with the program name and pid;
 * optionally stderr and an append-only file.  Lines start with the
 * session or record id set by log_setprefix(). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "alltalk";
static int log_to_stderr;
static int log_fd = -1;
static char log_prefix[96];

void
log_init(const char *progname, int facility, int to_stderr, const char *file)
{
	log_prog = progname;
	log_to_stderr = to_stderr;
	openlog(progname, LOG_PID, facility);
	if (log_fd != -1) {
		close(log_fd);
		log_fd = -1;
	}
	if (file != NULL && *file != '\0')
		log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
}

void
log_setprefix(const char *prefix)
{
	if (prefix == NULL)
		log_prefix[0] = '\0';
	else
		snprintf(log_prefix, sizeof(log_prefix), "%s ", prefix);
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char msg[1024], line[1200];
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err != NULL)
		snprintf(line, sizeof(line), "%s%s: %s", log_prefix, msg, err);
	else
		snprintf(line, sizeof(line), "%s%s", log_prefix, msg);
	syslog(pri, "%s", line);
	if (log_to_stderr)
		fprintf(stderr, "%s[%ld]: %s\n", log_prog, (long)getpid(), line);
	if (log_fd != -1) {
		char stamp[32], out[1300];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(out, sizeof(out), "%s %s[%ld]: %s\n", stamp,
		    log_prog, (long)getpid(), line);
		if (n > 0) {
			if ((size_t)n >= sizeof(out))
				n = sizeof(out) - 1;
			(void)!write(log_fd, out, (size_t)n);
		}
	}
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
