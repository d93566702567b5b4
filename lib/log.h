/* log.h: the one logging module: syslog, and optionally stderr and a file. */
#ifndef ALLTALK_LOG_H
#define ALLTALK_LOG_H

void	log_init(const char *progname, int facility, int to_stderr,
	    const char *file);
void	log_setprefix(const char *prefix);
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
