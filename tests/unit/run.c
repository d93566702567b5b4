/* run.c: runs every unit test suite in one SRunner.  Each test runs in its
 * own process (Check's fork mode); their temporary files live under one
 * root directory that is removed at the end whatever happened. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"

int
main(void)
{
	Suite *(*const suites[])(void) = {
		suite_util, suite_b64, suite_cram, suite_addr, suite_conf,
		suite_io, suite_reply, suite_durable, suite_maildir,
		suite_track, suite_userdb, suite_session,
	};
	char root[] = "/tmp/alltalk-unit.XXXXXX";
	SRunner *sr;
	size_t i;
	int failed;

	/* Tests write into closed pipes on purpose. */
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv(TEST_ROOT_ENV, root, 1);
	sr = srunner_create(NULL);
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (test_rm_rf(root) == -1)
		fprintf(stderr, "warning: could not remove %s\n", root);
	return failed == 0 ? 0 : 1;
}
