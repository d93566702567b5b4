/* suites.h: the Check suites of the unit tests, one per library module,
 * run together by run.c. */
#ifndef ALLTALK_TEST_SUITES_H
#define ALLTALK_TEST_SUITES_H

#include <check.h>

Suite	*suite_util(void);
Suite	*suite_b64(void);
Suite	*suite_cram(void);
Suite	*suite_addr(void);
Suite	*suite_conf(void);
Suite	*suite_io(void);
Suite	*suite_reply(void);
Suite	*suite_durable(void);
Suite	*suite_maildir(void);
Suite	*suite_track(void);
Suite	*suite_userdb(void);
Suite	*suite_session(void);

#endif
