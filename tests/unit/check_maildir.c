/* check_maildir.c: mailboxes and tracking folders (lib/maildir.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "maildir.h"
#include "suites.h"
#include "testutil.h"
#include "track.h"

static char mail[1024];
static struct addr tim;

static void
maildir_setup(void)
{
	umask(022);
	test_tmpdir(mail, sizeof(mail));
	ck_assert_int_eq(addr_parse("tim@a.test", NULL, &tim), ADDR_OK);
}

static void
maildir_teardown(void)
{
	test_rm_rf(mail);
}

static const char *const subdirs[] = {
	"a.test", "a.test/tim", "a.test/tim/tmp", "a.test/tim/new",
	"a.test/tim/cur", "a.test/tim/.Tracking", "a.test/tim/.Tracking/tmp",
	"a.test/tim/.Tracking/new", "a.test/tim/.Tracking/cur",
};

START_TEST(test_create)
{
	char path[1300];
	struct stat st;
	size_t i;

	ck_assert_int_eq(maildir_exists(mail, &tim), 0);
	ck_assert_int_eq(maildir_create(mail, &tim, (uid_t)-1, (gid_t)-1), 0);
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", mail, subdirs[i]);
		ck_assert_msg(lstat(path, &st) == 0, "%s missing", subdirs[i]);
		ck_assert_msg(S_ISDIR(st.st_mode), "%s: not a directory",
		    subdirs[i]);
		ck_assert_msg((st.st_mode & 07777) == 0700, "%s: mode %o",
		    subdirs[i], (unsigned)(st.st_mode & 07777));
	}
	/* the user directory holds exactly the maildir and .Tracking */
	snprintf(path, sizeof(path), "%s/a.test/tim", mail);
	ck_assert_int_eq(test_count_entries(path), 4);
	ck_assert_int_eq(maildir_exists(mail, &tim), 1);
	/* existing directories are fine */
	ck_assert_int_eq(maildir_create(mail, &tim, (uid_t)-1, (gid_t)-1), 0);
	/* a mail_dir that does not exist is an error */
	snprintf(path, sizeof(path), "%s/nonexistent", mail);
	ck_assert_int_eq(maildir_create(path, &tim, (uid_t)-1, (gid_t)-1), -1);
}
END_TEST

/* maildir_exists: every directory there, none a symbolic link. */
START_TEST(test_exists)
{
	char path[1300], target[1300];

	errno = 0;
	ck_assert_int_eq(maildir_exists(mail, &tim), 0);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(maildir_create(mail, &tim, (uid_t)-1, (gid_t)-1), 0);
	ck_assert_int_eq(maildir_exists(mail, &tim), 1);

	/* a missing tracking folder: not a whole mailbox */
	snprintf(path, sizeof(path), "%s/a.test/tim/.Tracking/cur", mail);
	ck_assert_int_eq(rmdir(path), 0);
	errno = 0;
	ck_assert_int_eq(maildir_exists(mail, &tim), 0);
	ck_assert_int_eq(errno, ENOENT);

	/* a symbolic link to a real directory is refused: ELOOP */
	snprintf(target, sizeof(target), "%s/elsewhere", mail);
	ck_assert_int_eq(mkdir(target, 0700), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	errno = 0;
	ck_assert_int_eq(maildir_exists(mail, &tim), 0);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(unlink(path), 0);

	/* a file in place of a directory: ENOTDIR */
	test_spew(path, "x", 1);
	errno = 0;
	ck_assert_int_eq(maildir_exists(mail, &tim), 0);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(maildir_exists(mail, &tim), 1);

	/* a symbolic link at the top: the user or the domain directory */
	snprintf(path, sizeof(path), "%s/a.test", mail);
	snprintf(target, sizeof(target), "%s/a.real", mail);
	ck_assert_int_eq(rename(path, target), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	errno = 0;
	ck_assert_int_eq(maildir_exists(mail, &tim), 0);
	ck_assert_int_eq(errno, ELOOP);
}
END_TEST

START_TEST(test_create_owner)
{
	struct addr b;
	char path[1300];
	struct stat st;

	if (geteuid() != 0)
		return;		/* chown needs root */
	ck_assert_int_eq(addr_parse("bob@b.test", NULL, &b), ADDR_OK);
	ck_assert_int_eq(maildir_create(mail, &b, 1, 2), 0);
	snprintf(path, sizeof(path), "%s/b.test/bob/.Tracking/new", mail);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 1);
	ck_assert_uint_eq(st.st_gid, 2);
	snprintf(path, sizeof(path), "%s/b.test", mail);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 1);
}
END_TEST

START_TEST(test_path)
{
	char buf[1300], want[1300];

	ck_assert_int_eq(maildir_path(buf, sizeof(buf), "/m", &tim,
	    FOLDER_INBOX, NULL), 0);
	ck_assert_str_eq(buf, "/m/a.test/tim");
	ck_assert_int_eq(maildir_path(buf, sizeof(buf), "/m", &tim,
	    FOLDER_INBOX, "new"), 0);
	ck_assert_str_eq(buf, "/m/a.test/tim/new");
	ck_assert_int_eq(maildir_path(buf, sizeof(buf), "/m", &tim,
	    FOLDER_TRACKING, "tmp"), 0);
	ck_assert_str_eq(buf, "/m/a.test/tim/.Tracking/tmp");
	snprintf(want, sizeof(want), "/m/a.test/tim/.Tracking");
	ck_assert_int_eq(maildir_path(buf, sizeof(buf), "/m", &tim,
	    FOLDER_TRACKING, NULL), 0);
	ck_assert_str_eq(buf, want);
	/* a buffer too small is refused */
	ck_assert_int_eq(maildir_path(buf, 10, "/m", &tim, FOLDER_INBOX,
	    "new"), -1);
}
END_TEST

static const struct {
	const char	*id;
	int		 ok;
} ids[] = {
	{ "1733340000.M1P2Q3.mx.a.test", 1 },
	{ "a", 1 }, { "A-b_c.9", 1 }, { "a..b", 1 }, { "x.csv", 1 },
	{ "mx.a.test-D.1733340000.M1P2Q3.mx.a.test", 1 },
	{ "", 0 }, { ".", 0 }, { "..", 0 }, { ".hidden", 0 }, { "../x", 0 },
	{ "a/b", 0 }, { "/etc", 0 }, { "a:2,S", 0 }, { "a b", 0 },
	{ "a\n", 0 }, { "a\r", 0 }, { "caf\xc3\xa9", 0 }, { "a*", 0 },
	{ "a\\b", 0 }, { "~x", 0 }, { "a+b", 0 }, { "a@b", 0 },
};

START_TEST(test_valid_id)
{
	ck_assert_msg(maildir_valid_id(ids[_i].id) == ids[_i].ok,
	    "maildir_valid_id(\"%s\") != %d", ids[_i].id, ids[_i].ok);
}
END_TEST

START_TEST(test_valid_id_limit)
{
	char id[MSGID_MAX + 2];

	memset(id, 'i', MSGID_MAX);
	id[MSGID_MAX] = '\0';
	ck_assert_int_eq(maildir_valid_id(id), 1);
	id[MSGID_MAX] = 'i';
	id[MSGID_MAX + 1] = '\0';
	ck_assert_int_eq(maildir_valid_id(id), 0);
}
END_TEST

/* Puts a message into sub/ of tim's inbox with a given mtime. */
static void
put_msg(const char *sub, const char *name, const char *text, time_t mtime)
{
	char path[1300];
	struct timespec ts[2];

	snprintf(path, sizeof(path), "%s/a.test/tim/%s/%s", mail, sub, name);
	test_spew(path, text, strlen(text));
	ts[0].tv_sec = ts[1].tv_sec = mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

#define MSG_B	"Return-Path: <Bob@B.test>\r\nReceived: x\r\n\r\nhello\r\n"
#define MSG_A	"Return-Path: <alice@c.test>\r\n\r\nhi\r\n"
#define MSG_C	"Return-Path: <>\r\n\r\nbounce\r\n"
#define MSG_S	"Return-Path: <seen@a.test>\r\n\r\nold\r\n"
#define MSG_N	"Subject: no return path\r\n\r\n"

/* Crash leftovers in tmp/ go once older than max_age; younger files, and
 * what is not a regular file, stay. */
START_TEST(test_clean_tmp)
{
	char path[1300];
	time_t now = time(NULL);
	struct stat st;

	ck_assert_int_eq(maildir_create(mail, &tim, (uid_t)-1, (gid_t)-1), 0);
	put_msg("tmp", "old", "x", now - TMP_MAX_AGE - 10);
	put_msg("tmp", "edge", "x", now - TMP_MAX_AGE + 60);
	put_msg("tmp", "young", "x", now);
	put_msg(".Tracking/tmp", "oldrec", "x", now - TMP_MAX_AGE - 10);
	put_msg("new", "oldmsg", MSG_A, now - 10 * TMP_MAX_AGE);
	snprintf(path, sizeof(path), "%s/a.test/tim/tmp/olddir", mail);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(maildir_clean_tmp(mail, &tim, TMP_MAX_AGE), 2);
	snprintf(path, sizeof(path), "%s/a.test/tim/tmp/old", mail);
	ck_assert_int_eq(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/a.test/tim/.Tracking/tmp/oldrec", mail);
	ck_assert_int_eq(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/a.test/tim/tmp/edge", mail);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/a.test/tim/tmp/young", mail);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/a.test/tim/new/oldmsg", mail);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/a.test/tim/tmp/olddir", mail);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(maildir_clean_tmp(mail, &tim, TMP_MAX_AGE), 0);
}
END_TEST

START_TEST(test_list)
{
	struct maildir_entry *e = NULL;
	char path[1300];
	long n;

	ck_assert_int_eq(maildir_create(mail, &tim, (uid_t)-1, (gid_t)-1), 0);
	ck_assert_int_eq(maildir_list(mail, &tim, FOLDER_INBOX, &e), 0);
	free(e);

	/* oldest first, whatever the names say */
	put_msg("new", "300.M1P1Q1.mx", MSG_B, 1000);
	put_msg("new", "100.M1P1Q1.mx", MSG_A, 2000);
	put_msg("new", "200.M1P1Q1.mx", MSG_C, 3000);
	put_msg("cur", "400.M1P1Q1.mx:2,S", MSG_S, 1500);
	put_msg("new", "500.M1P1Q1.mx", MSG_N, 4000);
	/* not messages: dot files, directories, bad ids */
	put_msg("new", ".hidden", MSG_A, 10);
	put_msg("new", "bad name", MSG_A, 10);
	snprintf(path, sizeof(path), "%s/a.test/tim/new/subdir", mail);
	ck_assert_int_eq(mkdir(path, 0700), 0);

	n = maildir_list(mail, &tim, FOLDER_INBOX, &e);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(e[0].id, "300.M1P1Q1.mx");
	ck_assert_str_eq(e[0].who, "bob@b.test");
	ck_assert_uint_eq(e[0].size, strlen(MSG_B));
	ck_assert_int_eq(e[0].seen, 0);
	ck_assert_str_eq(e[1].id, "400.M1P1Q1.mx");
	ck_assert_str_eq(e[1].who, "seen@a.test");
	ck_assert_uint_eq(e[1].size, strlen(MSG_S));
	ck_assert_int_eq(e[1].seen, 1);
	ck_assert_str_eq(e[2].id, "100.M1P1Q1.mx");
	ck_assert_str_eq(e[2].who, "alice@c.test");
	ck_assert_uint_eq(e[2].size, strlen(MSG_A));
	ck_assert_str_eq(e[3].id, "200.M1P1Q1.mx");
	ck_assert_str_eq(e[3].who, "-");	/* <> */
	ck_assert_uint_eq(e[3].size, strlen(MSG_C));
	ck_assert_str_eq(e[4].id, "500.M1P1Q1.mx");
	ck_assert_str_eq(e[4].who, "-");	/* no Return-Path */
	free(e);

	/* the tracking folder is listed apart */
	n = maildir_list(mail, &tim, FOLDER_TRACKING, &e);
	ck_assert_int_eq(n, 0);
	free(e);

	/* a mailbox that does not exist */
	{
		struct addr nobody;

		ck_assert_int_eq(addr_parse("nobody@a.test", NULL, &nobody),
		    ADDR_OK);
		ck_assert_int_eq(maildir_list(mail, &nobody, FOLDER_INBOX, &e),
		    -1);
	}
}
END_TEST

START_TEST(test_list_tracking)
{
	struct track_record r;
	struct maildir_entry *e = NULL;
	char csv[TRACK_CSV_MAX], path[1300];
	long n;

	ck_assert_int_eq(maildir_create(mail, &tim, (uid_t)-1, (gid_t)-1), 0);
	memset(&r, 0, sizeof(r));
	strcpy(r.record_id, "mx.b.test-D.1.M1P1Q1.mx.a.test");
	strcpy(r.message_id, "1.M1P1Q1.mx.a.test");
	strcpy(r.sender, "tim@a.test");
	strcpy(r.recipient, "bob@b.test");
	strcpy(r.event, "DOWNLOADED");
	strcpy(r.time, "2026-12-04T19:40:00Z");
	strcpy(r.server, "mx.b.test");
	n = track_format(&r, csv, sizeof(csv));
	ck_assert_int_gt(n, 0);
	snprintf(path, sizeof(path), "%s/a.test/tim/.Tracking/new/%s.csv",
	    mail, r.record_id);
	test_spew(path, csv, (size_t)n);
	/* a file without .csv is not a record; a broken record shows "-" */
	snprintf(path, sizeof(path), "%s/a.test/tim/.Tracking/new/junk", mail);
	test_spew(path, "x", 1);
	snprintf(path, sizeof(path), "%s/a.test/tim/.Tracking/cur/broken.csv",
	    mail);
	test_spew(path, "x", 1);

	n = maildir_list(mail, &tim, FOLDER_TRACKING, &e);
	ck_assert_int_eq(n, 2);
	ck_assert(strcmp(e[0].id, r.record_id) == 0 ||
	    strcmp(e[1].id, r.record_id) == 0);
	if (strcmp(e[0].id, r.record_id) != 0) {
		struct maildir_entry t = e[0];

		e[0] = e[1];
		e[1] = t;
	}
	ck_assert_str_eq(e[0].who, "bob@b.test");
	ck_assert_uint_eq(e[0].size, strlen(csv));
	ck_assert_str_eq(e[1].id, "broken");
	ck_assert_str_eq(e[1].who, "-");
	free(e);

	/* the inbox does not see tracking records */
	n = maildir_list(mail, &tim, FOLDER_INBOX, &e);
	ck_assert_int_eq(n, 0);
	free(e);
}
END_TEST

START_TEST(test_find_seen_delete)
{
	char path[1300], want[1300];
	int seen = -1;

	ck_assert_int_eq(maildir_create(mail, &tim, (uid_t)-1, (gid_t)-1), 0);
	put_msg("new", "1.M1P1Q1.mx", MSG_A, 1000);
	put_msg("cur", "2.M1P1Q1.mx:2,S", MSG_B, 1000);

	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_INBOX, "1.M1P1Q1.mx",
	    path, sizeof(path), &seen), 0);
	snprintf(want, sizeof(want), "%s/a.test/tim/new/1.M1P1Q1.mx", mail);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(seen, 0);
	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_INBOX, "2.M1P1Q1.mx",
	    path, sizeof(path), &seen), 0);
	snprintf(want, sizeof(want), "%s/a.test/tim/cur/2.M1P1Q1.mx:2,S", mail);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(seen, 1);

	/* unknown and invalid ids: ENOENT */
	errno = 0;
	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_INBOX, "3.M1P1Q1.mx",
	    path, sizeof(path), &seen), -1);
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_INBOX, "../new/x",
	    path, sizeof(path), &seen), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_INBOX, "2.M1P1Q1.mx"
	    ":2,S", path, sizeof(path), &seen), -1);
	/* a message is not a tracking record */
	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_TRACKING,
	    "1.M1P1Q1.mx", path, sizeof(path), &seen), -1);

	/* new/ -> cur/id:2,S */
	ck_assert_int_eq(maildir_mark_seen(mail, &tim, "1.M1P1Q1.mx"), 0);
	snprintf(want, sizeof(want), "%s/a.test/tim/new/1.M1P1Q1.mx", mail);
	ck_assert_int_eq(access(want, F_OK), -1);
	snprintf(want, sizeof(want), "%s/a.test/tim/cur/1.M1P1Q1.mx:2,S", mail);
	ck_assert_int_eq(access(want, F_OK), 0);
	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_INBOX, "1.M1P1Q1.mx",
	    path, sizeof(path), &seen), 0);
	ck_assert_int_eq(seen, 1);
	ck_assert_str_eq(path, want);
	/* marking it again fails: it is no longer in new/ */
	ck_assert_int_eq(maildir_mark_seen(mail, &tim, "1.M1P1Q1.mx"), -1);

	/* delete from cur/ */
	ck_assert_int_eq(maildir_delete(mail, &tim, FOLDER_INBOX,
	    "1.M1P1Q1.mx"), 0);
	ck_assert_int_eq(access(want, F_OK), -1);
	ck_assert_int_eq(maildir_find(mail, &tim, FOLDER_INBOX, "1.M1P1Q1.mx",
	    path, sizeof(path), &seen), -1);
	ck_assert_int_eq(maildir_delete(mail, &tim, FOLDER_INBOX,
	    "1.M1P1Q1.mx"), -1);
	/* delete from new/ */
	put_msg("new", "4.M1P1Q1.mx", MSG_A, 1000);
	ck_assert_int_eq(maildir_delete(mail, &tim, FOLDER_INBOX,
	    "4.M1P1Q1.mx"), 0);
	snprintf(want, sizeof(want), "%s/a.test/tim/new", mail);
	ck_assert_int_eq(test_count_entries(want), 0);
	snprintf(want, sizeof(want), "%s/a.test/tim/cur", mail);
	ck_assert_int_eq(test_count_entries(want), 1);
}
END_TEST

START_TEST(test_message_sender)
{
	char path[1300], sender[ADDR_MAX + 1];
	static const struct {
		const char	*text;
		int		 rc;
		const char	*sender;
	} cases[] = {
		{ "Return-Path: <Tim@A.Test>\r\nX: y\r\n\r\n", 0, "tim@a.test" },
		{ "Return-Path: <>\r\n\r\n", 0, "" },
		{ "Return-Path: <a@b>", 0, "a@b" },
		{ "Return-Path: a@b\r\n", -1, NULL },
		{ "Return-Path: <a@b\r\n", -1, NULL },
		{ "Return-Path: <not an address>\r\n", -1, NULL },
		{ "Received: x\r\nReturn-Path: <a@b>\r\n", -1, NULL },
		{ "return-path:<a@b>\r\n", -1, NULL },
		{ "", -1, NULL },
	};
	size_t i;

	snprintf(path, sizeof(path), "%s/msg", mail);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		test_spew(path, cases[i].text, strlen(cases[i].text));
		strcpy(sender, "unchanged");
		rc = maildir_message_sender(path, sender, sizeof(sender));
		ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d", i, rc);
		if (rc == 0)
			ck_assert_str_eq(sender, cases[i].sender);
	}
	/* the sender must fit the buffer */
	test_spew(path, cases[0].text, strlen(cases[0].text));
	ck_assert_int_eq(maildir_message_sender(path, sender, 11), 0);
	ck_assert_int_eq(maildir_message_sender(path, sender, 10), -1);
	/* no such file */
	snprintf(path, sizeof(path), "%s/nonexistent", mail);
	ck_assert_int_eq(maildir_message_sender(path, sender, sizeof(sender)),
	    -1);
}
END_TEST

Suite *
suite_maildir(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("maildir");

	tcase_add_checked_fixture(tc, maildir_setup, maildir_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_exists);
	tcase_add_test(tc, test_create_owner);
	tcase_add_test(tc, test_path);
	tcase_add_loop_test(tc, test_valid_id, 0,
	    (int)(sizeof(ids) / sizeof(ids[0])));
	tcase_add_test(tc, test_valid_id_limit);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_tracking);
	tcase_add_test(tc, test_find_seen_delete);
	tcase_add_test(tc, test_message_sender);
	tcase_add_test(tc, test_clean_tmp);
	suite_add_tcase(s, tc);
	return s;
}
