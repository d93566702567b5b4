"""AUTH CRAM-MD5 (PROTOCOL.md 3; threats rows 18-22)."""

import base64
import hmac
import os
import re
import shutil
import subprocess
import threading
import time
import unittest

from harness import ServerTestCase, ExitStatusCheck, HOSTNAME, \
    enhanced, cram_response, CLIENT_NAME

ALICE = "alice@a.test"
ALICE_PW = "Alice-S3cret-Zebra!"
BOB = "bob@b.test"
BOB_PW = "Bob-pass-Q9-Walrus"
SWAKS = shutil.which("swaks")


def decode_challenge(b64):
    return base64.b64decode(b64, validate=True)


class TestAuth(ExitStatusCheck, ServerTestCase):
    overrides = {
        "command_timeout": 10,
        "auth_failure_delay": 1,
        "error_delay": 0,
        "hard_error_limit": 50,
    }
    users = {ALICE: ALICE_PW, BOB: BOB_PW}

    def start_auth(self, c):
        code, lines = c.cmd("AUTH CRAM-MD5")
        self.assertEqual(code, 334, lines)
        self.assertEqual(len(lines), 1)
        return lines[0]

    # -- success
    def test_smtplib_login(self):
        s = self.server.smtp()
        self.addCleanup(s.close)
        code, _ = s.ehlo(CLIENT_NAME)
        self.assertEqual(code, 250)
        self.assertIn("CRAM-MD5", s.esmtp_features.get("auth", "").split())
        code, resp = s.login(ALICE, ALICE_PW)
        self.assertEqual(code, 235)
        self.assertTrue(resp.startswith(b"2.7.0"), resp)
        code, _ = s.mail(ALICE)
        self.assertEqual(code, 250)
        s.quit()

    def test_manual_cram_md5(self):
        c = self.client()
        c.ehlo()
        challenge_b64 = self.start_auth(c)
        challenge = decode_challenge(challenge_b64)
        self.assertRegex(challenge.decode("ascii"),
                         r"^<[^<>@\s]+@%s>$" % re.escape(HOSTNAME))
        digest = hmac.new(ALICE_PW.encode(), challenge, "md5").hexdigest()
        resp = base64.b64encode(("%s %s" % (ALICE, digest)).encode())
        c.send(resp + b"\r\n")
        self.assertReply(c.read_reply(), 235, "2.7.0")
        # the session is now alice's
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 250, "2.1.0")

    def test_challenges_differ(self):
        seen = set()
        for _ in range(5):
            c = self.client()
            c.ehlo()
            ch = decode_challenge(self.start_auth(c))
            self.assertNotIn(ch, seen)
            seen.add(ch)
            self.assertReply(c.cmd("*"), 501, "5.7.0")
            c.close()
        # sessions started at the same moment (xinetd forks them in the
        # same second) still get different challenges
        got = [None] * 40

        def grab(i):
            try:
                with self.server.client() as c:
                    c.ehlo()
                    code, lines = c.cmd("AUTH CRAM-MD5")
                    got[i] = decode_challenge(lines[0]) if code == 334 \
                        else (code, lines)
                    c.cmd("*")
            except Exception as e:
                got[i] = e

        threads = [threading.Thread(target=grab, args=(i,))
                   for i in range(len(got))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for g in got:
            self.assertIsInstance(g, bytes, g)
        self.assertEqual(len(set(got) | seen), len(got) + len(seen))
        # two challenges in one session differ too
        c = self.client()
        c.ehlo()
        a = self.start_auth(c)
        c.cmd("*")
        b = self.start_auth(c)
        self.assertNotEqual(a, b)

    def test_bare_local_part_means_first_domain(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.auth("alice", ALICE_PW), 235, "2.7.0")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 250, "2.1.0")
        # bob's domain is b.test, not the first domain: bare "bob" is
        # bob@a.test, which does not exist
        d = self.client()
        d.ehlo()
        self.assertReply(d.auth("bob", BOB_PW), 535, "5.7.8")
        self.assertReply(d.auth(BOB, BOB_PW), 235, "2.7.0")

    def test_user_case_folded(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.auth("Alice@A.Test", ALICE_PW), 235, "2.7.0")

    # -- failures
    def test_wrong_password(self):
        c = self.client()
        c.ehlo()
        ch = self.start_auth(c)
        t = time.monotonic()
        code, lines = c.cmd(cram_response(ALICE, "not-the-password", ch))
        elapsed = time.monotonic() - t
        self.assertEqual(code, 535, lines)
        self.assertEqual(enhanced(lines), "5.7.8")
        self.assertIn("Authentication credentials invalid", lines[0])
        self.assertGreaterEqual(elapsed, 0.95, "no auth_failure_delay")
        # not authenticated
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 530, "5.7.0")

    def test_unknown_user(self):
        c = self.client()
        c.ehlo()
        ch = self.start_auth(c)
        t = time.monotonic()
        code, lines = c.cmd(cram_response("nosuch@a.test", ALICE_PW, ch))
        elapsed = time.monotonic() - t
        self.assertEqual((code, enhanced(lines)), (535, "5.7.8"), lines)
        self.assertGreaterEqual(elapsed, 0.95, "no auth_failure_delay")

    def test_malformed_response(self):
        c = self.client()
        c.ehlo()
        self.start_auth(c)
        # no space, no digest
        code, lines = c.cmd(base64.b64encode(ALICE.encode()).decode())
        self.assertEqual((code, enhanced(lines)), (535, "5.7.8"), lines)
        self.start_auth(c)
        # digest not hex
        resp = base64.b64encode(("%s %s" % (ALICE, "z" * 32)).encode())
        code, lines = c.cmd(resp.decode())
        self.assertEqual((code, enhanced(lines)), (535, "5.7.8"), lines)

    def test_replayed_response_refused(self):
        c = self.client()
        c.ehlo()
        ch = self.start_auth(c)
        resp = cram_response(ALICE, ALICE_PW, ch)
        self.assertReply(c.cmd(resp), 235, "2.7.0")
        d = self.client()
        d.ehlo()
        self.start_auth(d)
        self.assertReply(d.cmd(resp), 535, "5.7.8")

    def test_cancel(self):
        c = self.client()
        c.ehlo()
        # cancelling is not a failure: three cancels do not close
        for _ in range(3):
            self.start_auth(c)
            code, lines = c.cmd("*")
            self.assertEqual((code, enhanced(lines)), (501, "5.7.0"), lines)
        self.assertReply(c.auth(ALICE, ALICE_PW), 235, "2.7.0")

    def test_bad_base64(self):
        c = self.client()
        c.ehlo()
        self.start_auth(c)
        self.assertReply(c.cmd("!!!not*base64!!!"), 501, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.auth(ALICE, ALICE_PW), 235, "2.7.0")

    def test_overlong_response(self):
        c = self.client()
        c.ehlo()
        self.start_auth(c)
        c.send(b"A" * 600 + b"\r\n")
        code, lines = c.read_reply()
        self.assertIn(code, (500, 501), lines)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    # -- state machine
    def test_auth_before_ehlo(self):
        c = self.client()
        self.assertReply(c.cmd("AUTH CRAM-MD5"), 503, "5.5.1")
        c.ehlo()
        self.assertReply(c.auth(ALICE, ALICE_PW), 235, "2.7.0")

    def test_auth_twice(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.auth(ALICE, ALICE_PW), 235, "2.7.0")
        self.assertReply(c.cmd("AUTH CRAM-MD5"), 503, "5.5.1")

    def test_unknown_mechanism(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.cmd("AUTH PLAIN"), 504, "5.5.4")
        self.assertReply(c.cmd("AUTH LOGIN"), 504, "5.5.4")
        self.assertReply(c.cmd("AUTH"), 501, "5.5.4")
        self.assertReply(c.auth(ALICE, ALICE_PW), 235, "2.7.0")

    def test_mechanism_case_insensitive(self):
        c = self.client()
        c.ehlo()
        code, lines = c.cmd("auth cram-md5")
        self.assertEqual(code, 334, lines)
        self.assertReply(c.cmd(cram_response(ALICE, ALICE_PW, lines[0])),
                         235, "2.7.0")

    def test_initial_response_refused(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.cmd("AUTH CRAM-MD5 dGVzdA=="), 501, "5.5.4")
        self.assertReply(c.auth(ALICE, ALICE_PW), 235, "2.7.0")

    def test_third_failure_closes(self):
        c = self.client(timeout=15)
        c.ehlo()
        for _ in range(2):
            ch = self.start_auth(c)
            self.assertReply(c.cmd(cram_response(ALICE, "wrong", ch)),
                             535, "5.7.8")
        ch = self.start_auth(c)
        t = time.monotonic()
        code, lines = c.cmd(cram_response(ALICE, "wrong", ch))
        self.assertEqual((code, enhanced(lines)), (421, "4.7.0"), lines)
        self.assertGreaterEqual(time.monotonic() - t, 0.95)
        self.assertTrue(c.closed_by_server(3), "not closed after 421")

    # -- secrets stay secret
    def test_log_has_no_secrets(self):
        c = self.client()
        c.ehlo()
        ch = self.start_auth(c)
        good = cram_response(ALICE, ALICE_PW, ch)
        good_digest = base64.b64decode(good).decode().split()[1]
        self.assertReply(c.cmd(good), 235, "2.7.0")
        d = self.client()
        d.ehlo()
        ch = self.start_auth(d)
        bad = cram_response(BOB, ALICE_PW, ch)
        bad_digest = base64.b64decode(bad).decode().split()[1]
        self.assertReply(d.cmd(bad), 535, "5.7.8")
        c.cmd("QUIT")
        d.cmd("QUIT")
        c.closed_by_server(3)
        d.closed_by_server(3)
        self.server.wait_sessions_gone(3)
        log = self.server.log_text()
        # the log is written and names the users
        self.assertIn(ALICE, log)
        self.assertIn(BOB, log)
        for secret in (ALICE_PW, BOB_PW, good, bad, good_digest, bad_digest,
                       good[:40], bad[:40]):
            self.assertNotIn(secret, log)

    def test_users_db_has_no_password(self):
        path = os.path.join(self.server.data_dir, "users.db")
        with open(path, "rb") as f:
            data = f.read()
        self.assertIn(ALICE.encode(), data)
        for pw in (ALICE_PW, BOB_PW):
            self.assertNotIn(pw.encode(), data)
            self.assertNotIn(base64.b64encode(pw.encode()), data)
            self.assertNotIn(pw.encode().hex().encode(), data)
        mode = os.stat(path).st_mode & 0o777
        self.assertEqual(mode & 0o077, 0, "users.db mode %o" % mode)

    def test_user_store_unreadable(self):
        path = os.path.join(self.server.data_dir, "users.db")
        mode = os.stat(path).st_mode & 0o7777
        c = self.client()
        c.ehlo()
        os.chmod(path, 0)
        try:
            code, lines = c.cmd("AUTH CRAM-MD5")
            if code == 334:
                code, lines = c.cmd(cram_response(ALICE, ALICE_PW, lines[0]))
        finally:
            os.chmod(path, mode)
        self.assertEqual((code, enhanced(lines)), (454, "4.7.0"), lines)
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 530, "5.7.0")
        self.assertReply(c.auth(ALICE, ALICE_PW), 235, "2.7.0")

    # -- a real client
    def test_swaks_delivers(self):
        self.assertIsNotNone(SWAKS, "swaks is required: apt-get install swaks")
        before = self.server.new_files(BOB)
        r = subprocess.run(
            [SWAKS, "--server", self.server.address,
             "--port", str(self.server.port),
             "--ehlo", CLIENT_NAME,
             "--auth", "CRAM-MD5", "--auth-user", ALICE,
             "--auth-password", ALICE_PW, "--from", ALICE, "--to", BOB,
             "--header", "Subject: from swaks", "--body", "hello from swaks",
             "--timeout", "15"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        after = self.server.new_files(BOB)
        added = sorted(set(after) - set(before))
        self.assertEqual(len(added), 1, (before, after))
        data = self.server.read_new(BOB, added[0])
        self.assertTrue(data.startswith(b"Return-Path: <%s>\r\n"
                                        % ALICE.encode()), data[:200])
        self.assertIn(b"hello from swaks", data)
        self.assertRegex(r.stdout, r"<-\s+250 2\.0\.0 Ok: <?%s>?"
                         % re.escape(added[0]))


if __name__ == "__main__":
    unittest.main()
