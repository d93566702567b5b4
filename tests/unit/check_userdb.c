/* check_userdb.c: the account store (lib/userdb.c): lookups, the put
 * conditions, deletion, sorted listing, no password on disk, and the
 * rebuild-and-rename discipline seen by a reader. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cram.h"
#include "suites.h"
#include "testutil.h"
#include "userdb.h"
#include "util.h"

static char data[512], dbpath[600];
static char err[512];

static void
userdb_setup(void)
{
	umask(022);
	test_tmpdir(data, sizeof(data));
	snprintf(dbpath, sizeof(dbpath), "%s/%s", data, USERDB_NAME);
	err[0] = '\0';
}

static void
userdb_teardown(void)
{
	test_rm_rf(data);
}

static void
keys_for(struct cram_keys *k, const char *pw)
{
	cram_keys_from_password(k, pw, strlen(pw));
}

/* A session's handle: opened once, many lookups, and it sees the store as
 * it was when opened, whatever a writer renames into place meanwhile. */
START_TEST(test_handle)
{
	struct cram_keys k, got, k2;
	struct userdb *u = (struct userdb *)1;

	ck_assert_int_eq(userdb_open(data, &u, err, sizeof(err)),
	    USERDB_NOTFOUND);
	ck_assert_ptr_null(u);
	keys_for(&k, "first");
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_open(data, &u, err, sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_get(u, "tim@a.test", &got, err, sizeof(err)),
	    USERDB_OK);
	ck_assert_mem_eq(got.st, k.st, sizeof(k.st));
	ck_assert_int_eq(userdb_get(u, "bob@a.test", NULL, err, sizeof(err)),
	    USERDB_NOTFOUND);
	keys_for(&k2, "second");
	ck_assert_int_eq(userdb_put(data, "bob@a.test", &k2, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	/* the open handle still reads the old file */
	ck_assert_int_eq(userdb_get(u, "bob@a.test", NULL, err, sizeof(err)),
	    USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_get(u, "tim@a.test", NULL, err, sizeof(err)),
	    USERDB_OK);
	userdb_close(u);
	ck_assert_int_eq(userdb_lookup(data, "bob@a.test", NULL, err,
	    sizeof(err)), USERDB_OK);
	userdb_close(NULL);
}
END_TEST

START_TEST(test_missing_store)
{
	struct cram_keys k;
	char missing[700];

	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &k, err,
	    sizeof(err)), USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", NULL, err,
	    sizeof(err)), USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_delete(data, "tim@a.test", err, sizeof(err)),
	    USERDB_NOTFOUND);
	/* a data_dir that does not exist: no store to write into */
	snprintf(missing, sizeof(missing), "%s/nonexistent", data);
	keys_for(&k, "pw");
	err[0] = '\0';
	ck_assert_int_eq(userdb_put(missing, "tim@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_ERROR);
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(test_put_lookup)
{
	struct cram_keys k1, k2, got;
	struct stat st;

	keys_for(&k1, "first password");
	keys_for(&k2, "second password");
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k1, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &got, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_mem_eq(got.st, k1.st, sizeof(k1.st));
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", NULL, err,
	    sizeof(err)), USERDB_OK);
	/* exact keys: no prefix or case matching */
	ck_assert_int_eq(userdb_lookup(data, "tim@a.tes", NULL, err,
	    sizeof(err)), USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test.", NULL, err,
	    sizeof(err)), USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_lookup(data, "bob@a.test", NULL, err,
	    sizeof(err)), USERDB_NOTFOUND);
	/* the store is private */
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_msg((st.st_mode & 0077) == 0, "users.db mode %o",
	    (unsigned)(st.st_mode & 07777));

	/* must_not_exist on an existing user: EXISTS, keys unchanged */
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k2, 0, 1, err,
	    sizeof(err)), USERDB_EXISTS);
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &got, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_mem_eq(got.st, k1.st, sizeof(k1.st));

	/* must_exist on a missing user: NOTFOUND, nobody added */
	ck_assert_int_eq(userdb_put(data, "bob@a.test", &k2, 1, 0, err,
	    sizeof(err)), USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_lookup(data, "bob@a.test", NULL, err,
	    sizeof(err)), USERDB_NOTFOUND);

	/* must_exist on an existing user (passwd): replaced */
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k2, 1, 0, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &got, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_mem_eq(got.st, k2.st, sizeof(k2.st));

	/* neither condition: added or replaced */
	ck_assert_int_eq(userdb_put(data, "bob@a.test", &k1, 0, 0, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_lookup(data, "bob@a.test", &got, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_mem_eq(got.st, k1.st, sizeof(k1.st));
	/* and the other account is untouched by the rebuild */
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &got, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_mem_eq(got.st, k2.st, sizeof(k2.st));
}
END_TEST

START_TEST(test_must_exist_missing_store)
{
	struct cram_keys k;

	keys_for(&k, "pw");
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k, 1, 0, err,
	    sizeof(err)), USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", NULL, err,
	    sizeof(err)), USERDB_NOTFOUND);
}
END_TEST

START_TEST(test_delete)
{
	struct cram_keys k, got;

	keys_for(&k, "pw");
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_put(data, "bob@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_delete(data, "tim@a.test", err, sizeof(err)),
	    USERDB_OK);
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &got, err,
	    sizeof(err)), USERDB_NOTFOUND);
	ck_assert_int_eq(userdb_lookup(data, "bob@a.test", &got, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_mem_eq(got.st, k.st, sizeof(k.st));
	ck_assert_int_eq(userdb_delete(data, "tim@a.test", err, sizeof(err)),
	    USERDB_NOTFOUND);
	/* deleted users can be added again */
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_OK);
}
END_TEST

struct names {
	char	*v[16];
	int	 n;
};

static void
collect(const char *address, void *arg)
{
	struct names *ns = arg;

	ck_assert_int_lt(ns->n, 16);
	ns->v[ns->n++] = strdup(address);
}

START_TEST(test_list)
{
	static const char *const add[] = {
		"carol@a.test", "alice@b.test", "bob@a.test", "alice@a.test",
		"a.b@a.test", "a@a.test",
	};
	static const char *const want[] = {
		"a.b@a.test", "a@a.test", "alice@a.test", "alice@b.test",
		"bob@a.test", "carol@a.test",
	};
	struct names ns = { { NULL }, 0 };
	struct cram_keys k;
	size_t i;

	ck_assert_int_eq(userdb_list(data, collect, &ns, err, sizeof(err)),
	    USERDB_OK);
	ck_assert_int_eq(ns.n, 0);
	keys_for(&k, "pw");
	for (i = 0; i < sizeof(add) / sizeof(add[0]); i++)
		ck_assert_int_eq(userdb_put(data, add[i], &k, 0, 1, err,
		    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_list(data, collect, &ns, err, sizeof(err)),
	    USERDB_OK);
	ck_assert_int_eq(ns.n, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_str_eq(ns.v[i], want[i]);
		free(ns.v[i]);
	}
}
END_TEST

START_TEST(test_no_password_on_disk)
{
	const char *pw = "Tanstaaf-Geheim-9271";
	char hex[64];
	struct cram_keys k;
	char *db;
	size_t len;

	keys_for(&k, pw);
	ck_assert_int_eq(userdb_put(data, "tim@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	db = test_slurp(dbpath, &len);
	ck_assert_ptr_nonnull(memmem(db, len, "tim@a.test", 10));
	ck_assert_ptr_null(memmem(db, len, pw, strlen(pw)));
	ck_assert_ptr_null(memmem(db, len, "Geheim", 6));
	hex_encode((const unsigned char *)pw, 8, hex);
	ck_assert_ptr_null(memmem(db, len, hex, strlen(hex)));
	free(db);
}
END_TEST

/* Each put rebuilds the file under a temporary name and renames it: after
 * many, only users.db (and its lock file) are left. */
START_TEST(test_many_puts)
{
	struct cram_keys k, got;
	char addr[64];
	struct dirent *de;
	DIR *dp;
	int i, n = 0;

	for (i = 0; i < 50; i++) {
		snprintf(addr, sizeof(addr), "user%02d@a.test", i);
		keys_for(&k, addr);
		ck_assert_int_eq(userdb_put(data, addr, &k, 0, 1, err,
		    sizeof(err)), USERDB_OK);
	}
	for (i = 0; i < 50; i++) {
		snprintf(addr, sizeof(addr), "user%02d@a.test", i);
		keys_for(&k, addr);
		ck_assert_int_eq(userdb_lookup(data, addr, &got, err,
		    sizeof(err)), USERDB_OK);
		ck_assert_mem_eq(got.st, k.st, sizeof(k.st));
	}
	dp = opendir(data);
	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		ck_assert_msg(strncmp(de->d_name, USERDB_NAME ".new", 12) != 0,
		    "left behind: %s", de->d_name);
		ck_assert_msg(strcmp(de->d_name, USERDB_NAME) == 0 ||
		    strcmp(de->d_name, USERDB_NAME ".lock") == 0,
		    "unexpected file %s", de->d_name);
		n++;
	}
	closedir(dp);
	ck_assert_int_ge(n, 1);
}
END_TEST

/* A reader that opened the store before a put keeps reading the old file,
 * whole; new lookups see the new one. */
START_TEST(test_reader_keeps_old_file)
{
	struct cram_keys k;
	struct stat before, after;
	GDBM_FILE db;
	datum key, v;

	keys_for(&k, "pw");
	ck_assert_int_eq(userdb_put(data, "old@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(stat(dbpath, &before), 0);
	db = gdbm_open(dbpath, 0, GDBM_READER, 0, NULL);
	ck_assert_msg(db != NULL, "gdbm_open: %s", gdbm_strerror(gdbm_errno));

	ck_assert_int_eq(userdb_put(data, "new@a.test", &k, 0, 1, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_delete(data, "old@a.test", err, sizeof(err)),
	    USERDB_OK);
	ck_assert_int_eq(stat(dbpath, &after), 0);
	ck_assert_msg(before.st_ino != after.st_ino, "users.db rewritten in "
	    "place");

	key.dptr = (char *)"old@a.test";
	key.dsize = 10;
	v = gdbm_fetch(db, key);
	ck_assert_ptr_nonnull(v.dptr);
	free(v.dptr);
	key.dptr = (char *)"new@a.test";
	v = gdbm_fetch(db, key);
	ck_assert_ptr_null(v.dptr);
	gdbm_close(db);

	ck_assert_int_eq(userdb_lookup(data, "new@a.test", NULL, err,
	    sizeof(err)), USERDB_OK);
	ck_assert_int_eq(userdb_lookup(data, "old@a.test", NULL, err,
	    sizeof(err)), USERDB_NOTFOUND);
}
END_TEST

/* A store that cannot be read is an error, not "no such user": the
 * session must answer 454, not 535. */
START_TEST(test_broken_store)
{
	const char *junk = "this is not a gdbm file, not at all.........";
	struct cram_keys k;
	GDBM_FILE db;
	datum key, v;

	test_spew(dbpath, junk, strlen(junk));
	err[0] = '\0';
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &k, err,
	    sizeof(err)), USERDB_ERROR);
	ck_assert_str_ne(err, "");

	/* a record that is not a key state */
	unlink(dbpath);
	db = gdbm_open(dbpath, 0, GDBM_NEWDB, 0600, NULL);
	ck_assert_ptr_nonnull(db);
	key.dptr = (char *)"tim@a.test";
	key.dsize = 10;
	v.dptr = (char *)"cram-md5=0123";
	v.dsize = 13;
	ck_assert_int_eq(gdbm_store(db, key, v, GDBM_REPLACE), 0);
	gdbm_close(db);
	err[0] = '\0';
	ck_assert_int_eq(userdb_lookup(data, "tim@a.test", &k, err,
	    sizeof(err)), USERDB_ERROR);
	ck_assert_str_ne(err, "");
}
END_TEST

Suite *
suite_userdb(void)
{
	Suite *s = suite_create("userdb");
	TCase *tc = tcase_create("userdb");

	tcase_add_checked_fixture(tc, userdb_setup, userdb_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_missing_store);
	tcase_add_test(tc, test_handle);
	tcase_add_test(tc, test_put_lookup);
	tcase_add_test(tc, test_must_exist_missing_store);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_no_password_on_disk);
	tcase_add_test(tc, test_many_puts);
	tcase_add_test(tc, test_reader_keeps_old_file);
	tcase_add_test(tc, test_broken_store);
	suite_add_tcase(s, tc);
	return s;
}
