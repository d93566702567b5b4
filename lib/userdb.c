/* userdb.c: the account store.  A GDBM file is not crash-safe when updated
 * in place, so every change rebuilds the whole (small) file under a lock,
 * fsyncs it and renames it over the old one: readers see the old store or
 * the new one, never half of either. */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "userdb.h"
#include "util.h"

#define USERDB_VALUE_PREFIX	"cram-md5="
#define USERDB_RETRIES		20	/* x 50 ms: readers wait 1 s at most */
#define USERDB_LOCK_WAIT	100	/* x 100 ms: writers wait 10 s */

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static GDBM_FILE
userdb_open_reader(const char *path, char *err, size_t errsize)
{
	GDBM_FILE db;
	int i;

	for (i = 0; i < USERDB_RETRIES; i++) {
		db = gdbm_open(path, 0, GDBM_READER | GDBM_CLOEXEC, 0, NULL);
		if (db != NULL)
			return db;
		if (gdbm_errno != GDBM_CANT_BE_READER)
			break;
		pause_ms(50);
	}
	if (gdbm_errno == GDBM_FILE_OPEN_ERROR && errno == ENOENT)
		snprintf(err, errsize, "%s: no such file", path);
	else
		snprintf(err, errsize, "%s: %s", path, gdbm_strerror(gdbm_errno));
	return NULL;
}

static int
userdb_path(char *buf, size_t size, const char *data_dir, const char *name)
{
	return str_fmt(buf, size, "%s/%s", data_dir, name);
}

struct userdb {
	GDBM_FILE	 db;
	char		 path[1100];
};

enum userdb_status
userdb_open(const char *data_dir, struct userdb **out, char *err,
    size_t errsize)
{
	struct userdb *u;

	*out = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return USERDB_ERROR;
	}
	if (userdb_path(u->path, sizeof(u->path), data_dir, USERDB_NAME)
	    == -1) {
		snprintf(err, errsize, "data_dir too long");
		free(u);
		return USERDB_ERROR;
	}
	if ((u->db = userdb_open_reader(u->path, err, errsize)) == NULL) {
		/* No store yet means no accounts, not a failure. */
		int missing = access(u->path, F_OK) == -1 && errno == ENOENT;

		free(u);
		return missing ? USERDB_NOTFOUND : USERDB_ERROR;
	}
	*out = u;
	return USERDB_OK;
}

void
userdb_close(struct userdb *u)
{
	if (u == NULL)
		return;
	gdbm_close(u->db);
	free(u);
}

enum userdb_status
userdb_get(struct userdb *u, const char *address, struct cram_keys *keys,
    char *err, size_t errsize)
{
	enum userdb_status st = USERDB_OK;
	datum k, v;

	k.dptr = (char *)(uintptr_t)address;
	k.dsize = (int)strlen(address);
	v = gdbm_fetch(u->db, k);
	if (v.dptr == NULL) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return USERDB_NOTFOUND;
		snprintf(err, errsize, "%s: %s", u->path,
		    gdbm_strerror(gdbm_errno));
		return USERDB_ERROR;
	}
	if (keys != NULL) {
		char hex[CRAM_KEYSTATE_HEX + 1];
		size_t plen = strlen(USERDB_VALUE_PREFIX);

		if ((size_t)v.dsize != plen + CRAM_KEYSTATE_HEX ||
		    memcmp(v.dptr, USERDB_VALUE_PREFIX, plen) != 0)
			st = USERDB_ERROR;
		else {
			memcpy(hex, v.dptr + plen, CRAM_KEYSTATE_HEX);
			hex[CRAM_KEYSTATE_HEX] = '\0';
			if (cram_keys_from_hex(keys, hex) == -1)
				st = USERDB_ERROR;
		}
		if (st == USERDB_ERROR)
			snprintf(err, errsize, "%s: bad record for %s",
			    u->path, address);
	}
	free(v.dptr);
	return st;
}

enum userdb_status
userdb_lookup(const char *data_dir, const char *address,
    struct cram_keys *keys, char *err, size_t errsize)
{
	struct userdb *u;
	enum userdb_status st;

	if ((st = userdb_open(data_dir, &u, err, errsize)) != USERDB_OK)
		return st;
	st = userdb_get(u, address, keys, err, errsize);
	userdb_close(u);
	return st;
}

/* Takes the writers' lock: data_dir/users.db.lock, flock(2). */
static int
userdb_lock(const char *data_dir, char *err, size_t errsize)
{
	char path[1100];
	int fd, i;

	if (userdb_path(path, sizeof(path), data_dir, USERDB_NAME ".lock")
	    == -1 || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600))
	    == -1) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < USERDB_LOCK_WAIT; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		pause_ms(100);
	}
	snprintf(err, errsize, "%s: locked by another writer", path);
	close(fd);
	return -1;
}

/* Rebuilds the store: every record of the old one but `address`, plus
 * `address` with `value` when value is not NULL.  Reports whether the
 * address existed before in *had. */
static enum userdb_status
userdb_rewrite(const char *data_dir, const char *address, const char *value,
    int *had, char *err, size_t errsize)
{
	char path[1100], newpath[1100];
	GDBM_FILE old = NULL, db;
	struct stat dst;
	datum k, next, v;
	int fd;

	*had = 0;
	if (userdb_path(path, sizeof(path), data_dir, USERDB_NAME) == -1 ||
	    str_fmt(newpath, sizeof(newpath), "%s/%s.new.%ld", data_dir,
	    USERDB_NAME, (long)getpid()) == -1) {
		snprintf(err, errsize, "data_dir too long");
		return USERDB_ERROR;
	}
	if (stat(data_dir, &dst) == -1) {
		snprintf(err, errsize, "%s: %s", data_dir, strerror(errno));
		return USERDB_ERROR;
	}
	if (access(path, F_OK) == 0 &&
	    (old = userdb_open_reader(path, err, errsize)) == NULL)
		return USERDB_ERROR;
	unlink(newpath);
	db = gdbm_open(newpath, 0, GDBM_NEWDB | GDBM_CLOEXEC | GDBM_SYNC,
	    0600, NULL);
	if (db == NULL) {
		snprintf(err, errsize, "%s: %s", newpath,
		    gdbm_strerror(gdbm_errno));
		if (old != NULL)
			gdbm_close(old);
		return USERDB_ERROR;
	}
	for (k = old != NULL ? gdbm_firstkey(old) : (datum){ NULL, 0 };
	    k.dptr != NULL; k = next) {
		if ((size_t)k.dsize == strlen(address) &&
		    memcmp(k.dptr, address, (size_t)k.dsize) == 0)
			*had = 1;
		else {
			v = gdbm_fetch(old, k);
			if (v.dptr == NULL ||
			    gdbm_store(db, k, v, GDBM_REPLACE) != 0) {
				snprintf(err, errsize, "%s: copy failed: %s",
				    newpath, gdbm_strerror(gdbm_errno));
				free(v.dptr);
				free(k.dptr);
				goto fail;
			}
			free(v.dptr);
		}
		next = gdbm_nextkey(old, k);
		free(k.dptr);
	}
	if (value != NULL) {
		k.dptr = (char *)(uintptr_t)address;
		k.dsize = (int)strlen(address);
		v.dptr = (char *)(uintptr_t)value;
		v.dsize = (int)strlen(value);
		if (gdbm_store(db, k, v, GDBM_REPLACE) != 0) {
			snprintf(err, errsize, "%s: %s", newpath,
			    gdbm_strerror(gdbm_errno));
			goto fail;
		}
	}
	if (gdbm_sync(db) != 0) {
		snprintf(err, errsize, "%s: sync: %s", newpath,
		    gdbm_strerror(gdbm_errno));
		goto fail;
	}
	fd = gdbm_fdesc(db);
	if (fsync(fd) == -1 || (geteuid() == 0 &&
	    fchown(fd, dst.st_uid, dst.st_gid) == -1)) {
		snprintf(err, errsize, "%s: %s", newpath, strerror(errno));
		goto fail;
	}
	gdbm_close(db);
	if (old != NULL)
		gdbm_close(old);
	if (rename(newpath, path) == -1 || fsync_dir(data_dir) == -1) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		unlink(newpath);
		return USERDB_ERROR;
	}
	return USERDB_OK;
fail:
	gdbm_close(db);
	if (old != NULL)
		gdbm_close(old);
	unlink(newpath);
	return USERDB_ERROR;
}

enum userdb_status
userdb_put(const char *data_dir, const char *address,
    const struct cram_keys *keys, int must_exist, int must_not_exist,
    char *err, size_t errsize)
{
	char value[sizeof(USERDB_VALUE_PREFIX) + CRAM_KEYSTATE_HEX];
	char hex[CRAM_KEYSTATE_HEX + 1];
	enum userdb_status st;
	int lock, had;

	if ((lock = userdb_lock(data_dir, err, errsize)) == -1)
		return USERDB_ERROR;
	st = userdb_lookup(data_dir, address, NULL, err, errsize);
	if (st == USERDB_ERROR)
		goto out;
	if (must_exist && st == USERDB_NOTFOUND)
		goto out;
	if (must_not_exist && st == USERDB_OK) {
		st = USERDB_EXISTS;
		goto out;
	}
	cram_keys_to_hex(keys, hex);
	(void)str_fmt(value, sizeof(value), "%s%s", USERDB_VALUE_PREFIX, hex);
	st = userdb_rewrite(data_dir, address, value, &had, err, errsize);
	memset(hex, 0, sizeof(hex));
	memset(value, 0, sizeof(value));
out:
	close(lock);
	return st;
}

enum userdb_status
userdb_delete(const char *data_dir, const char *address, char *err,
    size_t errsize)
{
	enum userdb_status st;
	int lock, had;

	if ((lock = userdb_lock(data_dir, err, errsize)) == -1)
		return USERDB_ERROR;
	st = userdb_lookup(data_dir, address, NULL, err, errsize);
	if (st == USERDB_OK)
		st = userdb_rewrite(data_dir, address, NULL, &had, err,
		    errsize);
	close(lock);
	return st;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum userdb_status
userdb_list(const char *data_dir, void (*fn)(const char *, void *),
    void *arg, char *err, size_t errsize)
{
	char path[1100];
	GDBM_FILE db;
	datum k, next;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (userdb_path(path, sizeof(path), data_dir, USERDB_NAME) == -1)
		return USERDB_ERROR;
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return USERDB_OK;
	if ((db = userdb_open_reader(path, err, errsize)) == NULL)
		return USERDB_ERROR;
	for (k = gdbm_firstkey(db); k.dptr != NULL; k = next) {
		if (n == cap) {
			char **nn;

			cap = cap ? 2 * cap : 64;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL)
				break;
			names = nn;
		}
		if ((names[n] = strndup(k.dptr, (size_t)k.dsize)) != NULL)
			n++;
		next = gdbm_nextkey(db, k);
		free(k.dptr);
	}
	gdbm_close(db);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		fn(names[i], arg);
		free(names[i]);
	}
	free(names);
	return USERDB_OK;
}
