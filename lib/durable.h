/* durable.h: the one durable-write helper.  Unique name in tmp/ opened
 * O_CREAT|O_EXCL mode 0600, short-write checked writes, fsync, close,
 * link or rename into place, fsync of the target directory; one cleanup
 * path unlinks the temporary file.  Nothing is acknowledged before
 * durable_commit() returned 0. */
#ifndef ALLTALK_DURABLE_H
#define ALLTALK_DURABLE_H

#include <stddef.h>

struct durable {
	int	 fd;
	char	 tmppath[1200];
	unsigned long long size;
	int	 failed_errno;	/* first write error, reported at commit */
};

/* Unique name for a file: "<sec>.M<usec>P<pid>Q<count>" (+ ".host" if host). */
void	unique_name(char *buf, size_t size, const char *host);
int	durable_open(struct durable *, const char *tmpdir, const char *name);
int	durable_write(struct durable *, const void *, size_t);
/* Makes the file durable and links it as dir/name for each dir in dirs.
 * EEXIST on a target is an error unless exist_ok, in which case *existed
 * is set.  On failure, links already made are removed again. */
int	durable_commit(struct durable *, const char *const *dirs, size_t ndirs,
	    const char *name, int exist_ok, int *existed);
void	durable_abort(struct durable *);
int	fsync_dir(const char *dir);
/* Writes a whole buffer durably as dir/name via dir/../tmp. */
int	durable_file(const char *tmpdir, const char *dir, const char *name,
	    const void *buf, size_t len, int exist_ok, int *existed);

#endif
