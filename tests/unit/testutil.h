/* testutil.h: helpers shared by the unit tests: temporary directories that
 * are always removed, and whole-file reads and writes. */
#ifndef ALLTALK_TESTUTIL_H
#define ALLTALK_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#define TEST_ROOT_ENV	"ALLTALK_UNIT_TMP"

/* The run's root directory (made by run.c, removed at the end). */
const char *test_root(void);
/* A fresh directory below the root; path holds at least 1024 octets. */
void	test_tmpdir(char *path, size_t size);
/* mkdir path/sub for each sub (NULL-terminated list). */
void	test_mkdirs(const char *path, ...);
int	test_rm_rf(const char *path);
/* Reads a whole file into a malloc'd, NUL-terminated buffer. */
char	*test_slurp(const char *path, size_t *len);
void	test_spew(const char *path, const void *buf, size_t len);
/* Regular entries of a directory (not "." or ".."), or -1. */
int	test_count_entries(const char *dir);
long long test_now_ms(void);
/* Reads until EOF from fd into a malloc'd, NUL-terminated buffer. */
char	*test_read_all(int fd, size_t *len);

#endif
