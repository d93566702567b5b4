/* maildir.c: mailboxes and tracking folders as maildirs (see maildir(5)):
 * paths, creation, listing, lookup, seen-marking and deletion. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "maildir.h"
#include "track.h"
#include "util.h"

#define SEEN_SUFFIX	":2,S"

int
maildir_path(char *buf, size_t size, const char *mail_dir,
    const struct addr *a, enum maildir_folder f, const char *sub)
{
	return str_fmt(buf, size, "%s/%s/%s%s%s%s", mail_dir, a->domain,
	    a->local, f == FOLDER_TRACKING ? "/" MAILDIR_TRACKING : "",
	    sub != NULL ? "/" : "", sub != NULL ? sub : "");
}

static int
mkdir_owned(const char *path, uid_t uid, gid_t gid)
{
	if (mkdir(path, 0700) == -1) {
		if (errno != EEXIST)
			return -1;
		return 0;
	}
	if (uid != (uid_t)-1 && chown(path, uid, gid) == -1)
		return -1;
	return 0;
}

int
maildir_create(const char *mail_dir, const struct addr *a, uid_t uid,
    gid_t gid)
{
	static const char *const subs[] = { NULL, "tmp", "new", "cur" };
	char path[1200];
	size_t i;
	int f;

	if (str_fmt(path, sizeof(path), "%s/%s", mail_dir, a->domain) == -1 ||
	    mkdir_owned(path, uid, gid) == -1)
		return -1;
	for (f = FOLDER_INBOX; f <= FOLDER_TRACKING; f++)
		for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			if (maildir_path(path, sizeof(path), mail_dir, a, f,
			    subs[i]) == -1 || mkdir_owned(path, uid, gid) == -1)
				return -1;
	return 0;
}

/* The whole mailbox is there and made of real directories: a symbolic
 * link anywhere in it (ELOOP) would let a delivery write elsewhere. */
int
maildir_exists(const char *mail_dir, const struct addr *a)
{
	static const char *const subs[] = { NULL, "tmp", "new", "cur" };
	char path[1200];
	struct stat st;
	size_t i;
	int f;

	if (str_fmt(path, sizeof(path), "%s/%s", mail_dir, a->domain) == -1)
		return 0;
	if (lstat(path, &st) == -1)
		return 0;
	if (!S_ISDIR(st.st_mode))
		goto notdir;
	for (f = FOLDER_INBOX; f <= FOLDER_TRACKING; f++)
		for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
			if (maildir_path(path, sizeof(path), mail_dir, a, f,
			    subs[i]) == -1 || lstat(path, &st) == -1)
				return 0;
			if (!S_ISDIR(st.st_mode))
				goto notdir;
		}
	return 1;
notdir:
	errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
	return 0;
}

int
maildir_valid_id(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > MSGID_MAX || id[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int
maildir_message_sender(const char *path, char *sender, size_t size)
{
	char line[HEADER_LINE_MAX + 1];
	struct addr a;
	const char *end;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	if (strncmp(line, "Return-Path: ", 13) != 0)
		return -1;
	switch (addr_parse_path(line + 13, &end, &a)) {
	case ADDR_OK:
		return str_fmt(sender, size, "%s", a.full);
	case ADDR_EMPTY:
		return str_fmt(sender, size, "%s", "");
	default:
		return -1;
	}
}

/* The recipient column of a stored tracking record. */
static int
record_recipient(const char *path, char *who, size_t size)
{
	char buf[TRACK_CSV_MAX + 1];
	struct track_record r;
	const char *why;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || track_parse(buf, (size_t)n, &r, &why) == -1)
		return -1;
	return str_fmt(who, size, "%s", r.recipient);
}

struct listed {
	struct maildir_entry	 e;
	long long		 mtime_ns;
};

static int
cmp_listed(const void *pa, const void *pb)
{
	const struct listed *a = pa, *b = pb;

	if (a->mtime_ns != b->mtime_ns)
		return a->mtime_ns < b->mtime_ns ? -1 : 1;
	return strcmp(a->e.id, b->e.id);
}

long
maildir_list(const char *mail_dir, const struct addr *a,
    enum maildir_folder f, struct maildir_entry **entries)
{
	static const char *const subs[] = { "new", "cur" };
	struct listed *list = NULL;
	size_t n = 0, cap = 0, i;
	char dir[1200], path[1500];
	int s;

	*entries = NULL;
	for (s = 0; s < 2; s++) {
		struct dirent *de;
		DIR *dp;

		if (maildir_path(dir, sizeof(dir), mail_dir, a, f, subs[s])
		    == -1 || (dp = opendir(dir)) == NULL)
			goto fail;
		while ((de = readdir(dp)) != NULL) {
			struct listed *l;
			struct stat st;
			char *p;

			if (de->d_name[0] == '.' ||
			    str_fmt(path, sizeof(path), "%s/%s", dir,
			    de->d_name) == -1 ||
			    lstat(path, &st) == -1 || !S_ISREG(st.st_mode))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 32;
				if ((l = realloc(list, cap * sizeof(*l))) ==
				    NULL) {
					closedir(dp);
					goto fail;
				}
				list = l;
			}
			l = &list[n];
			memset(l, 0, sizeof(*l));
			strlcpy_at(l->e.id, de->d_name, sizeof(l->e.id));
			if ((p = strchr(l->e.id, ':')) != NULL)
				*p = '\0';
			if (f == FOLDER_TRACKING) {
				size_t len = strlen(l->e.id);

				if (len < 5 || strcmp(l->e.id + len - 4,
				    ".csv") != 0)
					continue;
				l->e.id[len - 4] = '\0';
				if (record_recipient(path, l->e.who,
				    sizeof(l->e.who)) == -1)
					strlcpy_at(l->e.who, "-",
					    sizeof(l->e.who));
			} else if (maildir_message_sender(path, l->e.who,
			    sizeof(l->e.who)) == -1 || l->e.who[0] == '\0')
				strlcpy_at(l->e.who, "-", sizeof(l->e.who));
			if (!maildir_valid_id(l->e.id))
				continue;
			l->e.size = (unsigned long long)st.st_size;
			l->e.seen = s == 1;
			l->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000 +
			    st.st_mtim.tv_nsec;
			n++;
		}
		closedir(dp);
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), cmp_listed);
	if (n > 0 && (*entries = calloc(n, sizeof(**entries))) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		(*entries)[i] = list[i].e;
	free(list);
	return (long)n;
fail:
	free(list);
	return -1;
}

int
maildir_find(const char *mail_dir, const struct addr *a,
    enum maildir_folder f, const char *id, char *path, size_t size,
    int *seen)
{
	char dir[1200];
	struct stat st;
	int s;

	if (!maildir_valid_id(id)) {
		errno = ENOENT;
		return -1;
	}
	for (s = 0; s < 2; s++) {
		if (maildir_path(dir, sizeof(dir), mail_dir, a, f,
		    s == 0 ? "new" : "cur") == -1)
			return -1;
		if (str_fmt(path, size, "%s/%s%s", dir, id,
		    f == FOLDER_TRACKING ? ".csv" : s == 0 ? "" : SEEN_SUFFIX)
		    == -1)
			return -1;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (seen != NULL)
				*seen = s == 1;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

int
maildir_mark_seen(const char *mail_dir, const struct addr *a, const char *id)
{
	char from[1500], to[1500], dir[1200];

	if (maildir_path(dir, sizeof(dir), mail_dir, a, FOLDER_INBOX, "cur")
	    == -1 || str_fmt(to, sizeof(to), "%s/%s" SEEN_SUFFIX, dir, id)
	    == -1 || maildir_path(from, sizeof(from), mail_dir, a,
	    FOLDER_INBOX, "new") == -1)
		return -1;
	if (strlen(from) + 1 + strlen(id) >= sizeof(from))
		return -1;
	strcat(from, "/");
	strcat(from, id);
	if (rename(from, to) == -1)
		return -1;
	return fsync_dir(dir);
}

int
maildir_delete(const char *mail_dir, const struct addr *a,
    enum maildir_folder f, const char *id)
{
	char path[1500], *slash;

	if (maildir_find(mail_dir, a, f, id, path, sizeof(path), NULL) == -1)
		return -1;
	if (unlink(path) == -1)
		return -1;
	slash = strrchr(path, '/');
	*slash = '\0';
	return fsync_dir(path);
}

int
maildir_clean_tmp(const char *mail_dir, const struct addr *a, long max_age)
{
	char dir[1200], path[1500];
	time_t now = time(NULL);
	int f, removed = 0;

	for (f = FOLDER_INBOX; f <= FOLDER_TRACKING; f++) {
		struct dirent *de;
		DIR *dp;

		if (maildir_path(dir, sizeof(dir), mail_dir, a, f, "tmp") == -1
		    || (dp = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			struct stat st;

			if (de->d_name[0] == '.' ||
			    str_fmt(path, sizeof(path), "%s/%s", dir,
			    de->d_name) == -1 || lstat(path, &st) == -1 ||
			    !S_ISREG(st.st_mode) ||
			    (long long)(now - st.st_mtime) <= max_age)
				continue;
			if (unlink(path) == 0)
				removed++;
		}
		closedir(dp);
	}
	return removed;
}
