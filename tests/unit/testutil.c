/* testutil.c: helpers shared by the unit tests.  Temporary directories live
 * below one root made by run.c, so even a test that fails half-way (its
 * forked process exits at the failed assertion) leaves nothing behind. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

const char *
test_root(void)
{
	const char *r = getenv(TEST_ROOT_ENV);

	return r != NULL && *r != '\0' ? r : "/tmp";
}

void
test_tmpdir(char *path, size_t size)
{
	int n = snprintf(path, size, "%s/t.XXXXXX", test_root());

	ck_assert_msg(n > 0 && (size_t)n < size, "tmpdir path too long");
	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp %s: %s", path,
	    strerror(errno));
}

void
test_mkdirs(const char *path, ...)
{
	char buf[2048];
	const char *sub;
	va_list ap;

	va_start(ap, path);
	while ((sub = va_arg(ap, const char *)) != NULL) {
		snprintf(buf, sizeof(buf), "%s/%s", path, sub);
		ck_assert_msg(mkdir(buf, 0700) == 0, "mkdir %s: %s", buf,
		    strerror(errno));
	}
	va_end(ap);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

int
test_rm_rf(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
test_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	buf = test_read_all(fd, len);
	close(fd);
	return buf;
}

void
test_spew(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, buf, len) == (ssize_t)len, "write %s", path);
	close(fd);
}

int
test_count_entries(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

long long
test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
test_read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		ssize_t r;

		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* a non-blocking descriptor: wait a little */
				struct timespec ts = { 0, 1000000 };
				nanosleep(&ts, NULL);
				continue;
			}
			ck_abort_msg("read: %s", strerror(errno));
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}
