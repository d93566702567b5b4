/* durable.c: the one durable-write helper (maildir(5) delivery discipline),
 * used for messages, tracking records and spool files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "durable.h"
#include "util.h"

void
unique_name(char *buf, size_t size, const char *host)
{
	static unsigned counter;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if (host != NULL)
		(void)str_fmt(buf, size, "%lld.M%06ldP%ldQ%u.%s",
		    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
		    ++counter, host);
	else
		(void)str_fmt(buf, size, "%lld.M%06ldP%ldQ%u",
		    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
		    ++counter);
}

int
fsync_dir(const char *dir)
{
	int fd, rc, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
durable_open(struct durable *d, const char *tmpdir, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (str_fmt(d->tmppath, sizeof(d->tmppath), "%s/%s", tmpdir, name)
	    == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	d->fd = open(d->tmppath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (d->fd == -1) {
		d->tmppath[0] = '\0';
		return -1;
	}
	return 0;
}

/* Checks every write: a short write is retried, an error is kept and
 * reported by durable_commit(). */
int
durable_write(struct durable *d, const void *buf, size_t len)
{
	const char *p = buf;

	if (d->failed_errno != 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(d->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			d->failed_errno = errno;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		d->size += (unsigned long long)n;
	}
	return 0;
}

void
durable_abort(struct durable *d)
{
	int saved = errno;

	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
	if (d->tmppath[0] != '\0')
		unlink(d->tmppath);
	d->tmppath[0] = '\0';
	errno = saved;
}

int
durable_commit(struct durable *d, const char *const *dirs, size_t ndirs,
    const char *name, int exist_ok, int *existed)
{
	char path[1200];
	struct stat st, lst;
	size_t i, made;
	int saved;

	if (existed != NULL)
		*existed = 0;
	if (d->failed_errno != 0) {
		errno = d->failed_errno;
		goto fail;
	}
	if (fsync(d->fd) == -1 || fstat(d->fd, &st) == -1)
		goto fail;
	if (close(d->fd) == -1) {
		d->fd = -1;
		goto fail;
	}
	d->fd = -1;
	for (made = 0; made < ndirs; made++) {
		if (str_fmt(path, sizeof(path), "%s/%s", dirs[made], name)
		    == -1) {
			errno = ENAMETOOLONG;
			goto rollback;
		}
		if (link(d->tmppath, path) == -1) {
			if (errno == EEXIST && exist_ok && existed != NULL) {
				*existed = 1;
				continue;
			}
			goto rollback;
		}
	}
	for (i = 0; i < ndirs; i++)
		if (fsync_dir(dirs[i]) == -1)
			goto rollback;
	unlink(d->tmppath);
	d->tmppath[0] = '\0';
	return 0;

rollback:
	saved = errno;
	/* Only the links this commit made: the same inode as our file. */
	while (made-- > 0)
		if (str_fmt(path, sizeof(path), "%s/%s", dirs[made], name) == 0
		    && lstat(path, &lst) == 0 && lst.st_ino == st.st_ino &&
		    lst.st_dev == st.st_dev)
			unlink(path);
	errno = saved;
fail:
	durable_abort(d);
	return -1;
}

int
durable_file(const char *tmpdir, const char *dir, const char *name,
    const void *buf, size_t len, int exist_ok, int *existed)
{
	struct durable d;
	char tmpname[128];

	unique_name(tmpname, sizeof(tmpname), NULL);
	if (durable_open(&d, tmpdir, tmpname) == -1)
		return -1;
	if (durable_write(&d, buf, len) == -1) {
		durable_abort(&d);
		return -1;
	}
	return durable_commit(&d, &dir, 1, name, exist_ok, existed);
}
