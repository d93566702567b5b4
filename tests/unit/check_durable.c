/* check_durable.c: the durable-write helper (lib/durable.c): exact files,
 * mode 0600, nothing left in tmp/, all-or-nothing links, unique names. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "suites.h"
#include "testutil.h"

static char top[1024], tmp[1100], new1[1100], new2[1100], missing[1100];

static void
durable_setup(void)
{
	test_tmpdir(top, sizeof(top));
	test_mkdirs(top, "tmp", "new", "new2", (char *)NULL);
	snprintf(tmp, sizeof(tmp), "%s/tmp", top);
	snprintf(new1, sizeof(new1), "%s/new", top);
	snprintf(new2, sizeof(new2), "%s/new2", top);
	snprintf(missing, sizeof(missing), "%s/missing", top);
	umask(022);
}

static void
durable_teardown(void)
{
	test_rm_rf(top);
}

/* A regular file of mode 0600. */
static void
assert_mode(const char *dir, const char *name)
{
	char path[1300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(S_ISREG(st.st_mode), "%s is not a file", path);
	ck_assert_msg((st.st_mode & 07777) == 0600, "%s has mode %o", path,
	    (unsigned)(st.st_mode & 07777));
}

static void
assert_file(const char *dir, const char *name, const char *content)
{
	char path[1300];
	size_t len;
	char *got;

	assert_mode(dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	got = test_slurp(path, &len);
	ck_assert_uint_eq(len, strlen(content));
	ck_assert_mem_eq(got, content, len);
	free(got);
}

static int
exists(const char *dir, const char *name)
{
	char path[1300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

START_TEST(test_file_created)
{
	const char body[] = "Return-Path: <a@b>\r\n\r\nbody\0with NUL\r\n";
	char path[1300], *got;
	size_t len;
	int existed = -1;

	ck_assert_int_eq(durable_file(tmp, new1, "m1", body, sizeof(body) - 1,
	    0, &existed), 0);
	ck_assert_int_eq(existed, 0);
	snprintf(path, sizeof(path), "%s/m1", new1);
	got = test_slurp(path, &len);
	ck_assert_uint_eq(len, sizeof(body) - 1);
	ck_assert_mem_eq(got, body, len);
	free(got);
	assert_mode(new1, "m1");
	ck_assert_int_eq(test_count_entries(tmp), 0);
	ck_assert_int_eq(test_count_entries(new1), 1);

	/* an empty file is a file too */
	ck_assert_int_eq(durable_file(tmp, new1, "empty", "", 0, 0, NULL), 0);
	assert_file(new1, "empty", "");
	ck_assert_int_eq(test_count_entries(tmp), 0);
}
END_TEST

START_TEST(test_file_exists)
{
	int existed = -1;

	ck_assert_int_eq(durable_file(tmp, new1, "r.csv", "old", 3, 0,
	    &existed), 0);
	/* exist_ok: success, *existed set, the old content kept */
	ck_assert_int_eq(durable_file(tmp, new1, "r.csv", "newer", 5, 1,
	    &existed), 0);
	ck_assert_int_eq(existed, 1);
	assert_file(new1, "r.csv", "old");
	ck_assert_int_eq(test_count_entries(tmp), 0);
	ck_assert_int_eq(test_count_entries(new1), 1);

	/* without exist_ok: EEXIST, the old content kept */
	errno = 0;
	ck_assert_int_eq(durable_file(tmp, new1, "r.csv", "newer", 5, 0,
	    &existed), -1);
	ck_assert_int_eq(errno, EEXIST);
	assert_file(new1, "r.csv", "old");
	ck_assert_int_eq(test_count_entries(tmp), 0);
}
END_TEST

START_TEST(test_commit_two_dirs)
{
	const char *dirs[2] = { new1, new2 };
	char p1[1300], p2[1300];
	struct durable d;
	struct stat s1, s2;
	int existed = -1;

	ck_assert_int_eq(durable_open(&d, tmp, "tmpname"), 0);
	ck_assert_int_eq(test_count_entries(tmp), 1);
	ck_assert_int_eq(durable_write(&d, "part one, ", 10), 0);
	ck_assert_int_eq(durable_write(&d, "part two", 8), 0);
	ck_assert_uint_eq(d.size, 18);
	ck_assert_int_eq(durable_commit(&d, dirs, 2, "msg", 0, &existed), 0);
	ck_assert_int_eq(existed, 0);
	assert_file(new1, "msg", "part one, part two");
	assert_file(new2, "msg", "part one, part two");
	snprintf(p1, sizeof(p1), "%s/msg", new1);
	snprintf(p2, sizeof(p2), "%s/msg", new2);
	ck_assert_int_eq(stat(p1, &s1), 0);
	ck_assert_int_eq(stat(p2, &s2), 0);
	/* one file, two links; the temporary name is gone */
	ck_assert(s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
	ck_assert_uint_eq(s1.st_nlink, 2);
	ck_assert_int_eq(test_count_entries(tmp), 0);
}
END_TEST

/* All or nothing: when the second link fails, the first is removed and
 * so is the temporary file. */
START_TEST(test_commit_rollback)
{
	const char *dirs[2] = { new1, missing };
	struct durable d;

	ck_assert_int_eq(durable_open(&d, tmp, "t1"), 0);
	ck_assert_int_eq(durable_write(&d, "data", 4), 0);
	errno = 0;
	ck_assert_int_eq(durable_commit(&d, dirs, 2, "msg", 0, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(exists(new1, "msg"), 0);
	ck_assert_int_eq(test_count_entries(new1), 0);
	ck_assert_int_eq(test_count_entries(tmp), 0);

	/* the same when the second target name is taken */
	ck_assert_int_eq(durable_file(tmp, new2, "msg", "other", 5, 0, NULL),
	    0);
	dirs[1] = new2;
	ck_assert_int_eq(durable_open(&d, tmp, "t2"), 0);
	ck_assert_int_eq(durable_write(&d, "data", 4), 0);
	errno = 0;
	ck_assert_int_eq(durable_commit(&d, dirs, 2, "msg", 0, NULL), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(exists(new1, "msg"), 0);
	assert_file(new2, "msg", "other");
	ck_assert_int_eq(test_count_entries(tmp), 0);
}
END_TEST

/* With exist_ok, a target that already existed is kept, but the links
 * this commit made are still removed when a later one fails. */
START_TEST(test_commit_rollback_exist_ok)
{
	const char *dirs[3] = { new1, new2, missing };
	struct durable d;
	int existed = -1;

	ck_assert_int_eq(durable_file(tmp, new2, "rec", "old", 3, 0, NULL), 0);
	ck_assert_int_eq(durable_open(&d, tmp, "t3"), 0);
	ck_assert_int_eq(durable_write(&d, "new", 3), 0);
	ck_assert_int_eq(durable_commit(&d, dirs, 3, "rec", 1, &existed), -1);
	assert_file(new2, "rec", "old");
	ck_assert_int_eq(test_count_entries(tmp), 0);
	ck_assert_msg(!exists(new1, "rec"), "new/rec, linked by the failed "
	    "commit, was left behind");
}
END_TEST

START_TEST(test_abort)
{
	struct durable d;

	ck_assert_int_eq(durable_open(&d, tmp, "aborted"), 0);
	ck_assert_int_ne(d.fd, -1);
	ck_assert_int_eq(durable_write(&d, "x", 1), 0);
	ck_assert_int_eq(test_count_entries(tmp), 1);
	durable_abort(&d);
	ck_assert_int_eq(d.fd, -1);
	ck_assert_int_eq(test_count_entries(tmp), 0);
	/* a second abort is harmless */
	durable_abort(&d);
	ck_assert_int_eq(test_count_entries(tmp), 0);
}
END_TEST

START_TEST(test_open_exclusive)
{
	struct durable d, e;
	char target[1300], link_path[1300];

	ck_assert_int_eq(durable_open(&d, tmp, "same"), 0);
	errno = 0;
	ck_assert_int_eq(durable_open(&e, tmp, "same"), -1);
	ck_assert_int_eq(errno, EEXIST);
	/* the failed open did not remove the first one's file */
	ck_assert_int_eq(test_count_entries(tmp), 1);
	durable_abort(&e);
	ck_assert_int_eq(test_count_entries(tmp), 1);
	durable_abort(&d);
	ck_assert_int_eq(test_count_entries(tmp), 0);

	/* a symbolic link in tmp/ is not followed */
	snprintf(target, sizeof(target), "%s/target", top);
	snprintf(link_path, sizeof(link_path), "%s/sym", tmp);
	ck_assert_int_eq(symlink(target, link_path), 0);
	ck_assert_int_eq(durable_open(&d, tmp, "sym"), -1);
	ck_assert_int_eq(access(target, F_OK), -1);
	/* a missing tmp/ */
	ck_assert_int_eq(durable_open(&d, missing, "x"), -1);
}
END_TEST

/* A write error is kept and reported by durable_commit, which then links
 * nothing and removes the temporary file. */
START_TEST(test_write_error)
{
	const char *dirs[1] = { new1 };
	struct durable d;
	int full;

	full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full == -1)
		return;		/* no /dev/full here */
	ck_assert_int_eq(durable_open(&d, tmp, "w"), 0);
	close(d.fd);
	d.fd = full;
	ck_assert_int_eq(durable_write(&d, "data", 4), -1);
	ck_assert_int_eq(durable_write(&d, "more", 4), -1);
	errno = 0;
	ck_assert_int_eq(durable_commit(&d, dirs, 1, "w", 0, NULL), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(test_count_entries(new1), 0);
	ck_assert_int_eq(test_count_entries(tmp), 0);
}
END_TEST

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_unique_name)
{
	enum { N = 1000 };
	static char names[2 * N][128];
	char *sorted[2 * N];
	size_t i;

	for (i = 0; i < N; i++) {
		unique_name(names[i], sizeof(names[i]), NULL);
		unique_name(names[N + i], sizeof(names[N + i]), "mx.a.test");
	}
	for (i = 0; i < 2 * N; i++) {
		long long sec;
		long usec, pid;
		unsigned q;
		char host[64] = "";
		int n;

		n = sscanf(names[i], "%lld.M%6ldP%ldQ%u.%63s", &sec, &usec,
		    &pid, &q, host);
		ck_assert_msg(n == (i < N ? 4 : 5), "bad name %s", names[i]);
		ck_assert_int_eq(pid, (long)getpid());
		ck_assert_msg(usec >= 0 && usec < 1000000, "%s", names[i]);
		if (i >= N)
			ck_assert_str_eq(host, "mx.a.test");
		sorted[i] = names[i];
	}
	qsort(sorted, 2 * N, sizeof(sorted[0]), cmp_str);
	for (i = 1; i < 2 * N; i++)
		ck_assert_msg(strcmp(sorted[i - 1], sorted[i]) != 0,
		    "duplicate name %s", sorted[i]);
}
END_TEST

START_TEST(test_fsync_dir)
{
	ck_assert_int_eq(fsync_dir(new1), 0);
	ck_assert_int_eq(fsync_dir(missing), -1);
}
END_TEST

Suite *
suite_durable(void)
{
	Suite *s = suite_create("durable");
	TCase *tc = tcase_create("durable");

	tcase_add_checked_fixture(tc, durable_setup, durable_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_file_created);
	tcase_add_test(tc, test_file_exists);
	tcase_add_test(tc, test_commit_two_dirs);
	tcase_add_test(tc, test_commit_rollback);
	tcase_add_test(tc, test_commit_rollback_exist_ok);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_open_exclusive);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_unique_name);
	tcase_add_test(tc, test_fsync_dir);
	suite_add_tcase(s, tc);
	return s;
}
