"""alltalk-admin user management and configuration checking (DESIGN.md
3-4; notes: exit 0 ok, 1 refused, 2 usage)."""

import os
import pwd
import subprocess
import threading
import unittest

from harness import ServerTestCase, ExitStatusCheck, SESSION_BIN, \
    IS_ROOT, SERVICE_USER


def lines_of(text):
    return [l.strip() for l in text.splitlines() if l.strip()]


class TestAdmin(ExitStatusCheck, ServerTestCase):
    overrides = {
        "command_timeout": 10,
        "auth_failure_delay": 0,
        "error_delay": 0,
    }

    def admin(self, *args, stdin=None):
        return self.server.admin(*args, stdin=stdin)

    def listed(self):
        r = self.admin("user", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        return lines_of(r.stdout)

    def auth_code(self, user, password):
        c = self.client()
        c.ehlo()
        code, _ = c.auth(user, password)
        c.cmd("QUIT")
        return code

    # -- users
    def test_user_add_list_del(self):
        r = self.admin("user", "add", "ann@a.test", stdin="Ann-pw-1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ann@a.test", self.listed())
        r = self.admin("user", "add", "ann@a.test", stdin="other\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stderr.strip(), "no message on stderr")
        self.assertEqual(self.auth_code("ann@a.test", "Ann-pw-1"), 235,
                         "the refused add changed the password")
        r = self.admin("user", "del", "ann@a.test")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("ann@a.test", self.listed())
        self.assertEqual(self.auth_code("ann@a.test", "Ann-pw-1"), 535)
        r = self.admin("user", "del", "ann@a.test")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stderr.strip(), "no message on stderr")
        r = self.admin("user", "passwd", "ann@a.test", stdin="x\n")
        self.assertEqual(r.returncode, 1, r.stderr)

    def test_user_list_sorted(self):
        for a in ("zed@a.test", "amy@b.test", "kim@a.test"):
            self.server.add_user(a, "pw-" + a)
        got = [a for a in self.listed()
               if a in ("zed@a.test", "amy@b.test", "kim@a.test")]
        self.assertEqual(got, sorted(got))
        self.assertEqual(len(got), 3)

    def test_add_creates_maildir(self):
        self.server.add_user("maya@b.test", "Maya-pw")
        md = self.server.maildir("maya@b.test")
        for sub in ("tmp", "new", "cur", ".Tracking/tmp", ".Tracking/new",
                    ".Tracking/cur"):
            p = os.path.join(md, sub)
            self.assertTrue(os.path.isdir(p), p)
        if IS_ROOT:
            uid = pwd.getpwnam(SERVICE_USER).pw_uid
            for p in (md, os.path.join(md, "new"),
                      os.path.join(md, ".Tracking", "new"),
                      os.path.dirname(md),
                      os.path.join(self.server.data_dir, "users.db")):
                self.assertEqual(os.stat(p).st_uid, uid,
                                 "%s not owned by %s" % (p, SERVICE_USER))

    def test_add_folds_case(self):
        r = self.admin("user", "add", "Upper@A.TEST", stdin="Up-pw\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("upper@a.test", self.listed())
        self.assertNotIn("Upper@A.TEST", self.listed())
        self.assertTrue(os.path.isdir(self.server.maildir("upper@a.test")))
        r = self.admin("user", "add", "upper@a.test", stdin="Up-pw\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.auth_code("upper@a.test", "Up-pw"), 235)

    def test_bad_addresses_refused(self):
        before = self.listed()
        for a in ("a@@a.test", "a/b@a.test", "../x@a.test",
                  "@a.test", "x@", "a" * 65 + "@a.test", "x@c.test",
                  "x@a.test.evil"):
            with self.subTest(a):
                r = self.admin("user", "add", a, stdin="pw-bad\n")
                self.assertEqual(r.returncode, 1, (r.stdout, r.stderr))
                self.assertTrue(r.stderr.strip(), "no message on stderr")
        self.assertEqual(self.listed(), before)
        self.assertLessEqual(set(os.listdir(self.server.mail_dir)),
                             {"a.test", "b.test"})
        self.assertFalse(os.path.exists(os.path.join(self.server.dir, "x")))

    def test_usage_errors(self):
        for args in ([], ["user"], ["user", "add"], ["frob"],
                     ["user", "frob", "x@a.test"], ["user", "del"],
                     ["user", "add", "a@a.test", "extra"]):
            with self.subTest(args):
                r = self.admin(*args, stdin="pw\n")
                self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
                self.assertTrue(r.stderr.strip(), "no usage message")
        self.assertNotIn("a@a.test", self.listed())

    def test_empty_password_refused(self):
        for stdin in ("\n", ""):
            with self.subTest(repr(stdin)):
                r = self.admin("user", "add", "empty@a.test", stdin=stdin)
                self.assertNotEqual(r.returncode, 0)
                self.assertNotIn("empty@a.test", self.listed())

    def test_password_is_first_line(self):
        r = self.admin("user", "add", "lines@a.test",
                       stdin="First-line-pw\nsecond line\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.auth_code("lines@a.test", "First-line-pw"), 235)

    def test_passwd_takes_effect(self):
        self.server.add_user("pat@a.test", "Old-pw-1")
        self.assertEqual(self.auth_code("pat@a.test", "Old-pw-1"), 235)
        r = self.admin("user", "passwd", "pat@a.test", stdin="New-pw-2\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.auth_code("pat@a.test", "Old-pw-1"), 535)
        self.assertEqual(self.auth_code("pat@a.test", "New-pw-2"), 235)
        r = self.admin("user", "passwd", "nosuch@a.test", stdin="x\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        r = self.admin("user", "passwd", "pat@a.test", stdin="\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.auth_code("pat@a.test", "New-pw-2"), 235)

    def test_concurrent_adds_lose_nothing(self):
        """users.db is rewritten whole under a lock: parallel adds must not
        lose each other's users."""
        argv = [os.path.join(os.path.dirname(SESSION_BIN), "alltalk-admin"),
                "-c", self.server.conf, "user", "add"]
        names = ["par%02d@a.test" % i for i in range(12)]
        procs = [subprocess.Popen(argv + [a], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for a in names]
        outs = [p.communicate("pw-" + a + "\n", timeout=60)
                for p, a in zip(procs, names)]
        for p, a, (out, err) in zip(procs, names, outs):
            self.assertEqual(p.returncode, 0, (a, err))
        listed = self.listed()
        for a in names:
            self.assertIn(a, listed)
        self.assertEqual(self.auth_code(names[0], "pw-" + names[0]), 235)
        self.assertEqual(self.auth_code(names[-1], "pw-" + names[-1]), 235)

    def test_auth_while_store_rewritten(self):
        """Readers never see a half-written store: AUTH keeps working while
        alltalk-admin rewrites users.db again and again."""
        self.server.add_user("steady@a.test", "Steady-pw")
        stop = threading.Event()
        errors = []

        def writer():
            i = 0
            while not stop.is_set() and i < 200:
                r = self.admin("user", "add", "churn%03d@b.test" % i,
                               stdin="pw\n")
                if r.returncode != 0:
                    errors.append(r.stderr)
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            codes = [self.auth_code("steady@a.test", "Steady-pw")
                     for _ in range(25)]
        finally:
            stop.set()
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(codes, [235] * 25)

    # -- configuration check
    def bad_conf(self, name, extra_line):
        """A copy of the good configuration with extra_line appended;
        returns (path, line number of extra_line)."""
        text = self.server.conf_text()
        path = os.path.join(self.server.dir, name)
        with open(path, "w") as f:
            f.write(text + extra_line + "\n")
        return path, len(text.splitlines()) + 1

    def session(self, *args, env=None):
        return subprocess.run([SESSION_BIN] + list(args), capture_output=True,
                              text=True, timeout=30, env=env,
                              stdin=subprocess.DEVNULL)

    def test_session_config_check_ok(self):
        r = self.session("-n", "-c", self.server.conf)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_session_config_bad_key(self):
        path, n = self.bad_conf("badkey.conf", "bogus_key = 1")
        r = self.session("-n", "-c", path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("%s:%d: bogus_key" % (path, n), r.stdout + r.stderr)

    def test_session_config_bad_values(self):
        for i, line in enumerate(("command_timeout = 0",
                                  "command_timeout = 3601",
                                  "message_size_limit = 1023",
                                  "hard_error_limit = abc",
                                  "auth_failure_delay = 31",
                                  "log_facility = nosuch",
                                  "error_delay = -1")):
            key = line.split()[0]
            with self.subTest(line):
                path, n = self.bad_conf("badval%d.conf" % i, line)
                r = self.session("-n", "-c", path)
                self.assertEqual(r.returncode, 1, (r.stdout, r.stderr))
                self.assertIn("%s:%d: %s" % (path, n, key),
                              r.stdout + r.stderr)

    def test_session_config_missing_file(self):
        path = os.path.join(self.server.dir, "does-not-exist.conf")
        r = self.session("-n", "-c", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn(path, r.stdout + r.stderr)

    def test_alltalk_conf_environment(self):
        path, n = self.bad_conf("envbad.conf", "nonsense_key = yes")
        env = dict(os.environ, ALLTALK_CONF=path)
        r = self.session("-n", env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("%s:%d: nonsense_key" % (path, n), r.stdout + r.stderr)
        env = dict(os.environ, ALLTALK_CONF=self.server.conf)
        r = self.session("-n", env=env)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_admin_bad_config(self):
        path, n = self.bad_conf("adminbad.conf", "bogus_key = 1")
        r = subprocess.run([os.path.join(os.path.dirname(SESSION_BIN),
                                         "alltalk-admin"), "-c", path,
                            "user", "list"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("%s:%d: bogus_key" % (path, n), r.stdout + r.stderr)

    def test_admin_config_check(self):
        admin = os.path.join(os.path.dirname(SESSION_BIN), "alltalk-admin")
        r = subprocess.run([admin, "-c", self.server.conf, "-n"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        path, n = self.bad_conf("admincheck.conf", "data_dir = relative")
        r = subprocess.run([admin, "-c", path, "-n"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("%s:%d: data_dir" % (path, n), r.stderr)
        r = subprocess.run([admin, "-n", "user", "list"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    unittest.main()
