/* check_conf.c: alltalk.conf (lib/conf.c): the documented defaults, the
 * file syntax, every range at and past its bounds, and which file is read. */
#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "bounds.h"
#include "suites.h"
#include "testutil.h"

#define EXAMPLE_CONF	"../../etc/alltalk.conf"	/* from tests/unit */
#define CONF_MAN	"../../man/alltalk.conf.5"

static char dir[1024], file[1100];
static char err[2048];

static void
conf_setup(void)
{
	test_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/alltalk.conf", dir);
	err[0] = '\0';
}

static void
conf_teardown(void)
{
	test_rm_rf(dir);
}

/* Loads text as a configuration file over the defaults. */
static int
load(struct config *cf, const char *text)
{
	test_spew(file, text, strlen(text));
	conf_defaults(cf);
	err[0] = '\0';
	return conf_load(cf, file, 1, err, sizeof(err));
}

/* The error names the file, the line and the key: "FILE:LINE: key". */
static void
assert_err(int line, const char *key)
{
	char want[1300];

	snprintf(want, sizeof(want), "%s:%d: %s", file, line, key);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "error \"%s\" does not start with \"%s\"", err, want);
}

/* The numeric keys, their defaults and ranges (notes, alltalk.conf(5)). */
static const struct {
	const char	*key;
	size_t		 off;
	uint64_t	 def, min, max;
} uints[] = {
#define O(m)	offsetof(struct config, m)
	{ "message_size_limit",	O(message_size_limit), 10485760, 1024,
	    1073741824 },
	{ "command_timeout",	O(command_timeout),	300,	1,	3600 },
	{ "data_timeout",	O(data_timeout),	600,	1,	3600 },
	{ "auth_failure_delay",	O(auth_failure_delay),	2,	0,	30 },
	{ "soft_error_limit",	O(soft_error_limit),	10,	0,	1000 },
	{ "hard_error_limit",	O(hard_error_limit),	20,	1,	1000 },
	{ "error_delay",	O(error_delay),		1,	0,	30 },
#undef O
};
#define NUINTS	(sizeof(uints) / sizeof(uints[0]))

static uint64_t
uint_at(const struct config *cf, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)cf + uints[i].off, sizeof(v));
	return v;
}

START_TEST(test_defaults)
{
	struct config cf;
	size_t i;

	memset(&cf, 0x5a, sizeof(cf));
	conf_defaults(&cf);
	ck_assert_str_eq(cf.hostname, "");
	ck_assert_uint_eq(cf.ndomains, 0);
	ck_assert_str_eq(cf.data_dir, "/var/lib/alltalk");
	ck_assert_str_eq(cf.mail_dir, "/var/mail/alltalk");
	ck_assert_str_eq(cf.spool_dir, "/var/spool/alltalk");
	ck_assert_uint_eq(cf.message_size_limit, 10485760);
	ck_assert_uint_eq(cf.command_timeout, 300);
	ck_assert_uint_eq(cf.data_timeout, 600);
	ck_assert_uint_eq(cf.auth_failure_delay, 2);
	ck_assert_uint_eq(cf.soft_error_limit, 10);
	ck_assert_uint_eq(cf.hard_error_limit, 20);
	ck_assert_uint_eq(cf.error_delay, 1);
	ck_assert_int_eq(cf.log_facility, LOG_MAIL);
	ck_assert_int_eq(cf.log_stderr, 0);
	ck_assert_str_eq(cf.log_file, "");
	for (i = 0; i < NUINTS; i++)
		ck_assert_msg(uint_at(&cf, i) == uints[i].def, "%s default %llu",
		    uints[i].key, (unsigned long long)uint_at(&cf, i));
}
END_TEST

/* Whether gethostname() gives a name conf_load can take as hostname. */
static int
system_hostname_usable(void)
{
	char h[256];

	return gethostname(h, sizeof(h)) == 0 && addr_valid_domain(h) &&
	    strlen(h) <= HOSTNAME_MAX;
}

/* An empty file (or none) means the defaults plus the derived ones:
 * hostname from the system, domains from hostname. */
START_TEST(test_empty_file_derived)
{
	struct config cf;
	char h[256];

	ck_assert_int_eq(gethostname(h, sizeof(h)), 0);
	if (!system_hostname_usable()) {
		/* the program must stop and ask for hostname */
		ck_assert_int_eq(load(&cf, ""), -1);
		ck_assert_ptr_nonnull(strstr(err, "hostname"));
	} else {
		ck_assert_msg(load(&cf, "") == 0, "%s", err);
		for (char *p = h; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		ck_assert_str_eq(cf.hostname, h);
		ck_assert_uint_eq(cf.ndomains, 1);
		ck_assert_str_eq(cf.domains[0], h);
		ck_assert_uint_eq(cf.command_timeout, 300);
	}

	/* domains defaults to a configured hostname too */
	ck_assert_int_eq(load(&cf, "hostname = MX.A.Test\n"), 0);
	ck_assert_str_eq(cf.hostname, "mx.a.test");
	ck_assert_uint_eq(cf.ndomains, 1);
	ck_assert_str_eq(cf.domains[0], "mx.a.test");
}
END_TEST

START_TEST(test_syntax)
{
	struct config cf;
	const char *text =
	    "# AllTalk test configuration\n"
	    "\n"
	    "   \t  \n"
	    "   # an indented comment\n"
	    "hostname=mx.a.test\n"
	    "  domains   =   A.Test  b.TEST,c.test\t\n"
	    "\tmessage_size_limit =2048\r\n"
	    "command_timeout= 60\n"
	    "data_dir = /srv/alltalk/data\n"
	    "log_stderr = yes\n"
	    "log_facility = local3\n"
	    "log_file = /var/log/alltalk # not a comment\n"
	    "error_delay = 5\n"
	    "error_delay = 7\n"
	    "# the end, without a newline\n"
	    "auth_failure_delay = 0";

	ck_assert_msg(load(&cf, text) == 0, "%s", err);
	ck_assert_str_eq(cf.hostname, "mx.a.test");
	ck_assert_uint_eq(cf.ndomains, 3);
	ck_assert_str_eq(cf.domains[0], "a.test");
	ck_assert_str_eq(cf.domains[1], "b.test");
	ck_assert_str_eq(cf.domains[2], "c.test");
	ck_assert_uint_eq(cf.message_size_limit, 2048);
	ck_assert_uint_eq(cf.command_timeout, 60);
	ck_assert_str_eq(cf.data_dir, "/srv/alltalk/data");
	ck_assert_str_eq(cf.mail_dir, "/var/mail/alltalk");
	ck_assert_int_eq(cf.log_stderr, 1);
	ck_assert_int_eq(cf.log_facility, LOG_LOCAL3);
	/* a '#' after a value is part of the value */
	ck_assert_str_eq(cf.log_file, "/var/log/alltalk # not a comment");
	/* the last line wins */
	ck_assert_uint_eq(cf.error_delay, 7);
	ck_assert_uint_eq(cf.auth_failure_delay, 0);
	/* keys not set keep their defaults */
	ck_assert_uint_eq(cf.data_timeout, 600);
	ck_assert_uint_eq(cf.hard_error_limit, 20);
}
END_TEST

static const struct {
	const char	*text;
	int		 line;
	const char	*key;
	const char	*why;		/* part of the message */
} errors[] = {
	{ "hostname = a.test\n\nnosuchkey = 1\n", 3, "nosuchkey", "unknown" },
	{ "Hostname = a.test\n", 1, "Hostname", "unknown" },
	{ "peers_file = /etc/alltalk/peers\n", 1, "peers_file", "unknown" },
	{ "command_timeout = 10s\n", 1, "command_timeout", "number" },
	{ "command_timeout = \n", 1, "command_timeout", "number" },
	{ "command_timeout = -1\n", 1, "command_timeout", "number" },
	{ "command_timeout = +5\n", 1, "command_timeout", "number" },
	{ "command_timeout = 0x10\n", 1, "command_timeout", "number" },
	{ "command_timeout = 1 2\n", 1, "command_timeout", "number" },
	{ "command_timeout = 99999999999999999999\n", 1, "command_timeout",
	    "" },
	{ "command_timeout = 3601\n", 1, "command_timeout", "1..3600" },
	{ "log_stderr = true\n", 1, "log_stderr", "yes or no" },
	{ "log_stderr = Yes\n", 1, "log_stderr", "yes or no" },
	{ "log_stderr = 1\n", 1, "log_stderr", "yes or no" },
	{ "log_stderr =\n", 1, "log_stderr", "yes or no" },
	{ "log_facility = local8\n", 1, "log_facility", "facility" },
	{ "log_facility = MAIL\n", 1, "log_facility", "facility" },
	{ "log_facility = kern\n", 1, "log_facility", "facility" },
	{ "hostname = mx_1.a.test\n", 1, "hostname", "" },
	{ "hostname = -mx.a.test\n", 1, "hostname", "" },
	{ "hostname = mx.a.test.\n", 1, "hostname", "" },
	{ "domains = a.test b_c.test\n", 1, "domains", "" },
	{ "domains = a..test\n", 1, "domains", "" },
	{ "data_dir = var/lib/alltalk\n", 1, "data_dir", "absolute" },
	{ "mail_dir = ./mail\n", 1, "mail_dir", "absolute" },
	{ "spool_dir = spool\n", 1, "spool_dir", "absolute" },
	{ "log_file = alltalk.log\n", 1, "log_file", "absolute" },
	{ "# ok\nhostname a.test\n", 2, "", "key = value" },
	{ "# ok\n= a.test\n", 2, "", "" },
};

START_TEST(test_errors)
{
	struct config cf;

	ck_assert_msg(load(&cf, errors[_i].text) == -1, "accepted: %s",
	    errors[_i].text);
	assert_err(errors[_i].line, errors[_i].key);
	ck_assert_msg(strstr(err, errors[_i].why) != NULL,
	    "error \"%s\" does not say \"%s\"", err, errors[_i].why);
}
END_TEST

/* Every numeric key at its bounds and one past them. */
START_TEST(test_ranges)
{
	struct config cf;
	char text[200];
	size_t i = (size_t)_i;

	snprintf(text, sizeof(text), "%s = %llu\n", uints[i].key,
	    (unsigned long long)uints[i].min);
	ck_assert_msg(load(&cf, text) == 0, "%s", err);
	ck_assert_uint_eq(uint_at(&cf, i), uints[i].min);

	snprintf(text, sizeof(text), "%s = %llu\n", uints[i].key,
	    (unsigned long long)uints[i].max);
	ck_assert_msg(load(&cf, text) == 0, "%s", err);
	ck_assert_uint_eq(uint_at(&cf, i), uints[i].max);

	snprintf(text, sizeof(text), "# past the maximum\n%s = %llu\n",
	    uints[i].key, (unsigned long long)uints[i].max + 1);
	ck_assert_int_eq(load(&cf, text), -1);
	assert_err(2, uints[i].key);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));

	if (uints[i].min > 0) {
		snprintf(text, sizeof(text), "%s = %llu\n", uints[i].key,
		    (unsigned long long)uints[i].min - 1);
		ck_assert_int_eq(load(&cf, text), -1);
		assert_err(1, uints[i].key);
		ck_assert_ptr_nonnull(strstr(err, "out of range"));
	}
}
END_TEST

START_TEST(test_booleans_facilities)
{
	static const struct { const char *name; int value; } fac[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON },
		{ "user", LOG_USER }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
		{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },
	};
	struct config cf;
	char text[100];
	size_t i;

	ck_assert_int_eq(load(&cf, "log_stderr = yes\n"), 0);
	ck_assert_int_eq(cf.log_stderr, 1);
	ck_assert_int_eq(load(&cf, "log_stderr = yes\nlog_stderr = no\n"), 0);
	ck_assert_int_eq(cf.log_stderr, 0);
	for (i = 0; i < sizeof(fac) / sizeof(fac[0]); i++) {
		snprintf(text, sizeof(text), "log_facility = %s\n", fac[i].name);
		ck_assert_msg(load(&cf, text) == 0, "%s", err);
		ck_assert_int_eq(cf.log_facility, fac[i].value);
	}
	/* an empty log_file means none */
	ck_assert_int_eq(load(&cf, "log_file = /tmp/x\nlog_file =\n"), 0);
	ck_assert_str_eq(cf.log_file, "");
}
END_TEST

START_TEST(test_hostname_limit)
{
	struct config cf;
	char text[300], host[100];

	/* 64 octets (labels of at most 63), then 65 */
	memset(host, 'h', 62);
	strcpy(host + 62, ".T");
	ck_assert_uint_eq(strlen(host), HOSTNAME_MAX);
	snprintf(text, sizeof(text), "hostname = %s\n", host);
	ck_assert_msg(load(&cf, text) == 0, "%s", err);
	ck_assert_uint_eq(strlen(cf.hostname), HOSTNAME_MAX);
	ck_assert_int_eq(cf.hostname[63], 't');

	memset(host, 'h', 62);
	strcpy(host + 62, ".tt");
	ck_assert_uint_eq(strlen(host), HOSTNAME_MAX + 1);
	snprintf(text, sizeof(text), "\nhostname = %s\n", host);
	ck_assert_int_eq(load(&cf, text), -1);
	assert_err(2, "hostname");
}
END_TEST

START_TEST(test_domains_limit)
{
	struct config cf;
	char text[1000];
	size_t i, off;

	off = (size_t)snprintf(text, sizeof(text), "domains =");
	for (i = 0; i < CONF_DOMAINS_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "%sD%zu.Test", i % 2 ? " " : ", ", i);
	snprintf(text + off, sizeof(text) - off, "\n");
	ck_assert_msg(load(&cf, text) == 0, "%s", err);
	ck_assert_uint_eq(cf.ndomains, CONF_DOMAINS_MAX);
	ck_assert_str_eq(cf.domains[0], "d0.test");
	ck_assert_str_eq(cf.domains[15], "d15.test");
	ck_assert_int_eq(conf_is_local_domain(&cf, "d7.test"), 1);

	/* one more is refused */
	snprintf(text + off, sizeof(text) - off, " d16.test\n");
	ck_assert_int_eq(load(&cf, text), -1);
	assert_err(1, "domains");
}
END_TEST

/* CONF_LINE_MAX octets of text (the newline aside) are a line; one more
 * is refused. */
START_TEST(test_line_limit)
{
	struct config cf;
	char *text = malloc(3 * CONF_LINE_MAX);
	const char *head = "log_file = /";
	size_t hl = strlen(head);

	ck_assert_ptr_nonnull(text);
	strcpy(text, "# first line\n");
	strcat(text, head);
	memset(text + strlen(text), 'x', CONF_LINE_MAX - hl);
	strcpy(text + 13 + CONF_LINE_MAX, "\nerror_delay = 3\n");
	ck_assert_msg(load(&cf, text) == 0, "%s", err);
	ck_assert_uint_eq(strlen(cf.log_file), CONF_LINE_MAX - hl + 1);
	ck_assert_uint_eq(cf.error_delay, 3);

	strcpy(text, "# first line\n");
	strcat(text, head);
	memset(text + strlen(text), 'x', CONF_LINE_MAX + 1 - hl);
	strcpy(text + 13 + CONF_LINE_MAX + 1, "\nerror_delay = 3\n");
	ck_assert_int_eq(load(&cf, text), -1);
	ck_assert_msg(strstr(err, ":2:") != NULL && strstr(err, "1024"),
	    "error: %s", err);

	/* a comment line is a line too */
	memset(text, '#', CONF_LINE_MAX + 1);
	strcpy(text + CONF_LINE_MAX + 1, "\n");
	ck_assert_int_eq(load(&cf, text), -1);
	memset(text, '#', CONF_LINE_MAX);
	strcpy(text + CONF_LINE_MAX, "\n");
	ck_assert_int_eq(load(&cf, text), 0);
	free(text);
}
END_TEST

START_TEST(test_missing_file)
{
	struct config cf;
	char missing[1200];

	snprintf(missing, sizeof(missing), "%s/nonexistent.conf", dir);
	conf_defaults(&cf);
	if (system_hostname_usable()) {
		ck_assert_int_eq(conf_load(&cf, missing, 0, err, sizeof(err)),
		    0);
		ck_assert_uint_eq(cf.command_timeout, 300);
		ck_assert_str_ne(cf.hostname, "");
		ck_assert_uint_eq(cf.ndomains, 1);
	}
	/* with a hostname set, a missing optional file is the defaults */
	conf_defaults(&cf);
	strcpy(cf.hostname, "mx.a.test");
	ck_assert_int_eq(conf_load(&cf, missing, 0, err, sizeof(err)), 0);
	ck_assert_uint_eq(cf.command_timeout, 300);
	ck_assert_str_eq(cf.domains[0], "mx.a.test");
	ck_assert_uint_eq(cf.ndomains, 1);

	conf_defaults(&cf);
	err[0] = '\0';
	ck_assert_int_eq(conf_load(&cf, missing, 1, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, missing) != NULL, "error: %s", err);

	/* a directory is not a file, whatever must_exist says */
	conf_defaults(&cf);
	ck_assert_int_eq(conf_load(&cf, dir, 0, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_conf_path)
{
	unsetenv("ALLTALK_CONF");
	ck_assert_str_eq(conf_path(NULL), CONF_DEFAULT_FILE);
	ck_assert_str_eq(conf_path(NULL), "/etc/alltalk/alltalk.conf");
	ck_assert_str_eq(conf_path("/x/opt.conf"), "/x/opt.conf");
	setenv("ALLTALK_CONF", "/x/env.conf", 1);
	ck_assert_str_eq(conf_path(NULL), "/x/env.conf");
	ck_assert_str_eq(conf_path("/x/opt.conf"), "/x/opt.conf");
	setenv("ALLTALK_CONF", "", 1);
	ck_assert_str_eq(conf_path(NULL), CONF_DEFAULT_FILE);
	unsetenv("ALLTALK_CONF");
}
END_TEST

START_TEST(test_local_domain)
{
	struct config cf;

	ck_assert_int_eq(load(&cf, "hostname = mx.a.test\n"
	    "domains = a.test B.test\n"), 0);
	ck_assert_int_eq(conf_is_local_domain(&cf, "a.test"), 1);
	ck_assert_int_eq(conf_is_local_domain(&cf, "b.test"), 1);
	ck_assert_int_eq(conf_is_local_domain(&cf, "mx.a.test"), 0);
	ck_assert_int_eq(conf_is_local_domain(&cf, "c.test"), 0);
	ck_assert_int_eq(conf_is_local_domain(&cf, "test"), 0);
	ck_assert_int_eq(conf_is_local_domain(&cf, "a.tes"), 0);
	ck_assert_int_eq(conf_is_local_domain(&cf, "a.test."), 0);
	ck_assert_int_eq(conf_is_local_domain(&cf, ""), 0);
}
END_TEST

/* The shipped example has every key commented out at its default: with
 * the comment signs removed it must give exactly the defaults. */
START_TEST(test_example_file_defaults)
{
	struct config want, got;
	char *text, *out, *line, *save;
	size_t len, n = 0, keys = 0;

	text = test_slurp(EXAMPLE_CONF, &len);
	out = calloc(1, len + 100);
	ck_assert_ptr_nonnull(out);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    strstr(line, " =") != NULL &&
		    strncmp(line, "#hostname", 9) != 0 &&
		    strncmp(line, "#domains", 8) != 0) {
			n += (size_t)sprintf(out + n, "%s\n", line + 1);
			keys++;
		}
	}
	ck_assert_uint_eq(keys, 13);
	ck_assert_msg(load(&got, out) == 0, "%s", err);
	ck_assert_int_eq(load(&want, ""), 0);
	ck_assert_mem_eq(&got, &want, sizeof(want));
	free(text);
	free(out);
}
END_TEST

/* alltalk.conf(5) documents the same defaults and ranges as the code. */
START_TEST(test_man_page_numbers)
{
	char *man = test_slurp(CONF_MAN, NULL);
	size_t i;

	for (i = 0; i < NUINTS; i++) {
		char item[100], want[100];
		const char *p, *next;

		snprintf(item, sizeof(item), ".It Cm %s No", uints[i].key);
		p = strstr(man, item);
		ck_assert_msg(p != NULL, "%s not in the man page", uints[i].key);
		next = strstr(p + 1, ".It ");
		snprintf(want, sizeof(want), "Default: %llu",
		    (unsigned long long)uints[i].def);
		ck_assert_msg((p = strstr(p, want)) != NULL &&
		    (next == NULL || p < next) &&
		    !isdigit((unsigned char)p[strlen(want)]), "%s: no \"%s\"",
		    uints[i].key, want);
		snprintf(want, sizeof(want), "Range: %llu to %llu.",
		    (unsigned long long)uints[i].min,
		    (unsigned long long)uints[i].max);
		ck_assert_msg((p = strstr(p, want)) != NULL &&
		    (next == NULL || p < next), "%s: no \"%s\"", uints[i].key,
		    want);
	}
	free(man);
}
END_TEST

Suite *
suite_conf(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_file_derived);
	tcase_add_test(tc, test_syntax);
	tcase_add_loop_test(tc, test_errors, 0,
	    (int)(sizeof(errors) / sizeof(errors[0])));
	tcase_add_loop_test(tc, test_ranges, 0, (int)NUINTS);
	tcase_add_test(tc, test_booleans_facilities);
	tcase_add_test(tc, test_hostname_limit);
	tcase_add_test(tc, test_domains_limit);
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_conf_path);
	tcase_add_test(tc, test_local_domain);
	tcase_add_test(tc, test_example_file_defaults);
	tcase_add_test(tc, test_man_page_numbers);
	suite_add_tcase(s, tc);
	return s;
}
