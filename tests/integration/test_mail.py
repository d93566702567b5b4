"""MAIL, RCPT, DATA: authorisation, limits, delivery into maildirs, SMTP
smuggling, dot-stuffing, concurrency and crashes (PROTOCOL.md 1, 6;
threats rows 1, 3, 5, 8-13, 16, 17, 36, 41-43, 46, 48)."""

import errno
import os
import re
import shutil
import signal
import smtplib
import subprocess
import threading
import time
import unittest

import harness
from harness import ServerTestCase, ExitStatusCheck, HOSTNAME, \
    CLIENT_NAME, enhanced, send_message, ok_message_id, MSGID_RE, wait_pid_gone

LIMIT = 4096
ALICE = "alice@a.test"
BOB = "bob@a.test"
CAROL = "carol@a.test"
DAVE = "dave@b.test"
PW = "pw-Mail-Tests-7"

# one mailbox per test that counts files, so that tests do not disturb
# each other
BOXES = ["big", "smug", "dots", "dotlib", "lines", "conc", "killme",
         "dropme", "slow", "dup", "pipe", "case", "lf", "allor", "nothing",
         "crash", "steady"]
RCPTS = ["r%03d@a.test" % i for i in range(101)]


def box(name):
    return name + "@a.test"


def message(tag, extra=b""):
    return (b"From: alice@a.test\r\nSubject: " + tag.encode() +
            b"\r\n\r\nbody of " + tag.encode() + b"\r\n" + extra)


class TestMail(ExitStatusCheck, ServerTestCase):
    overrides = {
        "message_size_limit": LIMIT,
        "command_timeout": 30,
        "data_timeout": 3,
        "auth_failure_delay": 1,
        "error_delay": 0,
        "soft_error_limit": 100,
        "hard_error_limit": 200,
    }
    users = dict([(a, PW) for a in [ALICE, BOB, CAROL, DAVE]] +
                 [(box(b), PW) for b in BOXES] +
                 [(r, PW) for r in RCPTS])

    def split_stored(self, data):
        """(Return-Path line, the Received header unfolded, the rest) of a
        stored message.  The Received header may be folded (RFC 5322 2.2.3)
        over several lines."""
        first, sep, rest = data.partition(b"\r\n")
        self.assertEqual(sep, b"\r\n", data[:300])
        received, sep, rest = rest.partition(b"\r\n")
        self.assertEqual(sep, b"\r\n", data[:300])
        while rest[:1] in (b" ", b"\t"):
            more, sep, rest = rest.partition(b"\r\n")
            self.assertEqual(sep, b"\r\n", data[:300])
            received += b" " + more.strip()
        return first, received, rest

    def assertStored(self, address, mid, sender, body):
        data = self.server.read_new(address, mid)
        rp, received, rest = self.split_stored(data)
        self.assertEqual(rp, b"Return-Path: <" + sender.encode() + b">")
        self.assertTrue(received.startswith(b"Received: "), received)
        self.assertIn(sender.encode(), received)
        self.assertEqual(rest, body)
        self.assertNotRegex(data, rb"(?<!\r)\n")      # CRLF line ends only
        self.assertNotRegex(data, rb"\r(?!\n)")
        return data

    # -- authorisation of the envelope
    def test_anonymous_gets_530(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 530, "5.7.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 530, "5.7.0")
        self.assertReply(c.cmd("DATA"), 530, "5.7.0")

    def test_sender_must_match_auth(self):
        c = self.login(ALICE)
        code, lines = c.cmd("MAIL FROM:<%s>" % BOB)
        self.assertEqual((code, enhanced(lines)), (553, "5.7.1"), lines)
        self.assertReply(c.cmd("MAIL FROM:<>"), 553, "5.7.1")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % DAVE), 553, "5.7.1")
        # after the refusals no transaction is open
        self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 503, "5.5.1")

    def test_sender_case_folded(self):
        c = self.login(ALICE)
        self.assertReply(c.cmd("MAIL FROM:<ALICE@A.Test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<CASE@A.TEST>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        body = message("case")
        c.send(body + b".\r\n")
        mid = ok_message_id(c.read_reply())
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(box("case")), [mid])
        self.assertStored(box("case"), mid, ALICE, body)

    def test_mail_syntax(self):
        c = self.login(ALICE)
        self.assertReply(c.cmd("MAIL TO:<%s>" % ALICE), 501, "5.5.4")
        code, lines = c.cmd("MAIL FROM:<%s" % ALICE)
        self.assertEqual(code, 501, lines)
        t = time.monotonic()
        code, lines = c.cmd("MAIL FROM:<;sleep 5;>")
        self.assertIn(code, (501, 553), lines)
        self.assertLess(time.monotonic() - t, 1.0)
        self.assertReply(c.cmd("MAIL FROM:<alice@@a.test>"), 501, "5.1.7")
        self.assertReply(c.cmd("MAIL FROM:<alice..x@a.test>"), 501, "5.1.7")
        self.assertReply(c.cmd("MAIL FROM:<%s@a.test>" % ("a" * 65)), 501,
                         "5.1.7")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 250, "2.1.0")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 503, "5.5.1")
        self.assertReply(c.cmd("RCPT FROM:<%s>" % BOB), 501, "5.5.4")
        self.assertReply(c.cmd("RCPT TO:<bob@@a.test>"), 501, "5.1.3")
        self.assertReply(c.cmd("RCPT TO:<bob@a..test>"), 501, "5.1.3")

    def test_mail_parameters(self):
        c = self.login(ALICE)
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=%d" % (ALICE, LIMIT + 1)),
                         552, "5.3.4")
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=99999999999999999999999"
                               % ALICE), None)
        c.cmd("RSET")
        self.assertReply(c.cmd("MAIL FROM:<%s> FOO=bar" % ALICE), 555, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=abc" % ALICE), 501,
                         "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=%d BODY=8BITMIME"
                               % (ALICE, LIMIT)), 250, "2.1.0")
        c.cmd("RSET")
        self.assertReply(c.cmd("MAIL FROM:<%s> BODY=7BIT" % ALICE), 250,
                         "2.1.0")

    def assertReply(self, reply, code, esc=None, msg=None):
        if code is None:        # any refusal
            self.assertGreaterEqual(reply[0], 400, reply)
            return
        super().assertReply(reply, code, esc, msg)

    def test_mail_parameter_edge_cases(self):
        c = self.login(ALICE)
        for params in ("=", '"""', "SIZE=", "SIZE==1", "SIZE=-1", "=x",
                       "BODY=", "BODY=BINARYMIME", "X" * 400,
                       " ".join("P%d=1" % i for i in range(60)),
                       "SIZE=+0D+0A"):
            with self.subTest(params[:40]):
                code, lines = c.cmd("MAIL FROM:<%s> %s" % (ALICE, params))
                self.assertIn(code, (501, 555), (params, code, lines))
                self.assertEqual(enhanced(lines), "5.5.4", lines)
                # nothing was opened by the refusal
                self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 503, "5.5.1")
                c.cmd("RSET")

    # -- recipients
    def test_rcpt_refusals(self):
        c = self.login(ALICE)
        self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % ALICE), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<nosuch@a.test>"), 550, "5.1.1")
        code, lines = c.cmd("RCPT TO:<x@c.test>")
        self.assertEqual((code, enhanced(lines)), (550, "5.7.1"), lines)
        self.assertIn("Relaying denied", lines[0])
        self.assertReply(c.cmd("RCPT TO:<>"), 501)
        self.assertReply(c.cmd("RCPT TO:<%s@a.test>" % ("a" * 65)), 501,
                         "5.1.3")
        for evil in ("../../etc@a.test", "a/b@a.test", "..@a.test",
                     ".@a.test", "x%c.test@a.test", "c.test!x@a.test",
                     '"x@c.test"@a.test', "@c.test:bob@a.test",
                     "bob\x00@evil.test", "|/bin/sh@a.test",
                     "${run{/bin/sh -c id}}@a.test", "`id`@a.test",
                     "bob@a.test>extra<x@c.test", "bob@%s" % ("d" * 256),
                     "bob @a.test", "bob@a.test.", "bob@-a.test"):
            code, lines = c.cmd("RCPT TO:<%s>" % evil)
            # (a NUL in a command line is a 500 5.5.2)
            self.assertIn(code, (500, 501, 550) if "\x00" in evil
                          else (501, 550), (evil, code, lines))
        self.assertEqual(sorted(os.listdir(self.server.mail_dir)),
                         ["a.test", "b.test"])
        # the transaction is still open and usable
        self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 250, "2.1.5")

    def test_transaction_reset(self):
        c = self.login(ALICE)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        c.cmd("MAIL FROM:<%s>" % ALICE)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 503, "5.5.1")
        c.cmd("MAIL FROM:<%s>" % ALICE)
        self.assertReply(c.cmd("EHLO client.test"), 250)
        self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 503, "5.5.1")
        c.cmd("MAIL FROM:<%s>" % ALICE)
        self.assertReply(c.cmd("HELO client.test"), 250)
        self.assertReply(c.cmd("RCPT TO:<%s>" % BOB), 503, "5.5.1")

    def test_recipient_limit(self):
        c = self.login(ALICE)
        c.send(("MAIL FROM:<%s>\r\n" % ALICE +
                "".join("RCPT TO:<%s>\r\n" % r for r in RCPTS)).encode())
        self.assertReply(c.read_reply(), 250, "2.1.0")
        for r in RCPTS[:100]:
            self.assertReply(c.read_reply(), 250, "2.1.5", r)
        self.assertReply(c.read_reply(), 452, "4.5.3")
        self.assertReply(c.cmd("DATA"), 354)
        body = message("hundred")
        c.send(body + b".\r\n")
        mid = ok_message_id(c.read_reply())
        self.assertIsNotNone(mid)
        for r in RCPTS[:100]:
            self.assertEqual(self.server.new_files(r), [mid], r)
        self.assertEqual(self.server.new_files(RCPTS[100]), [])
        self.assertStored(RCPTS[99], mid, ALICE, body)

    def test_duplicate_recipient_one_copy(self):
        c = self.login(ALICE)
        c.cmd("MAIL FROM:<%s>" % ALICE)
        self.assertReply(c.cmd("RCPT TO:<%s>" % box("dup")), 250, "2.1.5")
        c.cmd("RCPT TO:<DUP@a.test>")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(message("dup") + b".\r\n")
        mid = ok_message_id(c.read_reply())
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(box("dup")), [mid])

    # -- delivery
    def test_delivery_to_two_recipients(self):
        c = self.login(ALICE)
        before_b = set(self.server.new_files(BOB))
        before_d = set(self.server.new_files(DAVE))
        body = message("two", b"line 2\r\n\r\nlast line\r\n")
        reply = send_message(c, ALICE, [BOB, DAVE], body)
        mid = ok_message_id(reply)
        self.assertIsNotNone(mid, reply)
        self.assertRegex(mid, MSGID_RE)
        self.assertTrue(mid.endswith("." + HOSTNAME), mid)
        self.assertEqual(set(self.server.new_files(BOB)) - before_b, {mid})
        self.assertEqual(set(self.server.new_files(DAVE)) - before_d, {mid})
        self.assertStored(BOB, mid, ALICE, body)
        self.assertStored(DAVE, mid, ALICE, body)
        self.assertEqual(self.server.tmp_files(BOB), [])
        self.assertEqual(self.server.tmp_files(DAVE), [])
        # logged with its id and recipient count, never its body
        log = self.server.log_text()
        line = [l for l in log.splitlines() if "id=" + mid in l]
        self.assertTrue(line, "message %s not logged" % mid)
        self.assertRegex(line[0], r"\brcpts=2\b")
        self.assertRegex(line[0], r"\bsize=\d+")
        self.assertNotIn("body of two", log)
        self.assertNotIn("last line", log)
        # a second message in the same session gets another id
        reply = send_message(c, ALICE, [BOB], message("two-b"))
        mid2 = ok_message_id(reply)
        self.assertIsNotNone(mid2, reply)
        self.assertNotEqual(mid, mid2)
        self.assertEqual(set(self.server.new_files(BOB)) - before_b,
                         {mid, mid2})

    def test_pipelined_transaction(self):
        c = self.login(ALICE)
        c.send(("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                % (ALICE, box("pipe"))).encode())
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 250, "2.1.5")
        self.assertReply(c.read_reply(), 354)
        body = message("pipe")
        c.send(body + b".\r\nQUIT\r\n")
        mid = ok_message_id(c.read_reply())
        self.assertIsNotNone(mid)
        self.assertReply(c.read_reply(), 221, "2.0.0")
        self.assertEqual(self.server.new_files(box("pipe")), [mid])
        self.assertStored(box("pipe"), mid, ALICE, body)

    # -- size
    def test_message_size_limit(self):
        big = box("big")
        c = self.login(ALICE)
        line = b"x" * 76 + b"\r\n"
        body = message("big", line * 70)            # > 5000 octets
        self.assertGreater(len(body), LIMIT + 500)
        self.assertReply(send_message(c, ALICE, [big], body), 552, "5.3.4")
        self.assertEqual(self.server.new_files(big), [])
        self.assertEqual(self.server.tmp_files(big), [])
        # the limit counts the stored file, Return-Path and Received included
        body = message("big2", line * 51)
        body += b"y" * (LIMIT - 10 - len(body) - 2) + b"\r\n"
        self.assertEqual(len(body), LIMIT - 10)
        self.assertLess(max(len(l) for l in body.split(b"\r\n")), 998)
        self.assertReply(send_message(c, ALICE, [big], body), 552, "5.3.4")
        self.assertEqual(self.server.new_files(big), [])
        self.assertEqual(self.server.tmp_files(big), [])
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        body = message("small", line * 10)
        mid = ok_message_id(send_message(c, ALICE, [big], body))
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(big), [mid])
        self.assertStored(big, mid, ALICE, body)

    # -- line ends and smuggling
    def test_bare_lf_and_cr_in_data(self):
        lf = box("lf")
        for name, body in (
                ("bare LF", b"Subject: x\r\n\r\nline one\nline two\r\n"),
                ("bare CR", b"Subject: x\r\n\r\nline one\rline two\r\n"),
                ("LF at end", b"Subject: x\r\n\r\nline one\n\r\n")):
            with self.subTest(name):
                c = self.login(ALICE)
                code, lines = send_message(c, ALICE, [lf], body)
                self.assertEqual((code, enhanced(lines)), (550, "5.6.0"),
                                 lines)
                self.assertIn("Bare CR or LF not allowed", lines[0])
                self.assertEqual(self.server.new_files(lf), [])
                self.assertEqual(self.server.tmp_files(lf), [])
                # the session goes on, in step
                c.send(b"NOOP\r\nHELP\r\n")
                self.assertReply(c.read_reply(), 250, "2.0.0")
                self.assertReply(c.read_reply(), 214, "2.0.0")
                self.assertEqual(c.pending(0.2), b"")
        c = self.login(ALICE)
        body = message("lf-ok")
        mid = ok_message_id(send_message(c, ALICE, [lf], body))
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(lf), [mid])

    def test_smtp_smuggling(self):
        smug = box("smug")
        tail = (b"MAIL FROM:<" + ALICE.encode() + b">\r\n"
                b"RCPT TO:<" + smug.encode() + b">\r\n"
                b"DATA\r\n"
                b"From: ceo@a.test\r\n\r\nforged\r\n.\r\n")
        head = b"From: alice@a.test\r\nSubject: smuggle\r\n\r\nbody"
        variants = {
            "LF.LF": head + b"\n.\n" + tail,
            "CRLF.LF": head + b"\r\n.\n" + tail,
            "CRLF.CR.CRLF": head + b"\r\n.\r.\r\n" + tail,
            "LF.CRLF": head + b"\n.\r\n" + tail,
            "CR.CRLF": head + b"\r.\r\n" + tail,
            "CRLF.CR": head + b"\r\n.\r" + tail,
        }
        for name, payload in variants.items():
            with self.subTest(name):
                before = self.server.new_files(smug)
                c = self.login(ALICE)
                c.cmd("MAIL FROM:<%s>" % ALICE)
                c.cmd("RCPT TO:<%s>" % smug)
                self.assertReply(c.cmd("DATA"), 354)
                c.send(payload)             # one write
                code, lines = c.read_reply()
                # the only CRLF.CRLF is at the very end: one reply, 550
                self.assertEqual((code, enhanced(lines)), (550, "5.6.0"),
                                 lines)
                c.send(b"HELP\r\n")
                self.assertReply(c.read_reply(), 214, "2.0.0",
                                 "an extra reply: smuggled commands ran")
                self.assertEqual(c.pending(0.2), b"")
                after = self.server.new_files(smug)
                self.assertEqual(after, before)
                self.assertEqual(self.server.tmp_files(smug), [])

    # -- dot-stuffing
    def test_dot_stuffing_round_trip(self):
        dots = box("dots")
        c = self.login(ALICE)
        wire = (b"Subject: dots\r\n\r\n..\r\n..hidden\r\n. \r\n.x\r\n"
                b"...\r\nend\r\n")
        stored_body = (b"Subject: dots\r\n\r\n.\r\n.hidden\r\n \r\nx\r\n"
                       b"..\r\nend\r\n")
        mid = ok_message_id(send_message(c, ALICE, [dots], wire))
        self.assertIsNotNone(mid)
        data = self.assertStored(dots, mid, ALICE, stored_body)
        # read it back with MBOX RETR: the same octets
        d = self.login(dots)
        code, lines = d.cmd("MBOX RETR " + mid)
        self.assertEqual(code, 250, lines)
        m = re.match(r"^(\d+) octets follow$", lines[0])
        self.assertIsNotNone(m, lines)
        self.assertEqual(int(m.group(1)), len(data))
        got = d.read_data()
        self.assertEqual(got, data)
        self.assertReply(d.cmd("NOOP"), 250, "2.0.0")   # RETR is finished
        cur = self.server.cur_files(dots)
        self.assertEqual(len(cur), 1, cur)
        with open(os.path.join(self.server.maildir(dots), "cur", cur[0]),
                  "rb") as f:
            self.assertEqual(f.read(), got)
        self.assertReply(d.cmd("NOOP"), 250, "2.0.0")

    def test_dot_stuffing_smtplib(self):
        dotlib = box("dotlib")
        content = (b"Subject: dots by smtplib\r\n\r\n.\r\n..\r\n.hidden\r\n"
                   b". \r\n.x\r\nlast\r\n")
        s = self.server.smtp()
        self.addCleanup(s.close)
        s.ehlo(CLIENT_NAME)
        s.login(ALICE, PW)
        self.assertEqual(s.mail(ALICE)[0], 250)
        self.assertEqual(s.rcpt(dotlib)[0], 250)
        code, resp = s.data(content)
        self.assertEqual(code, 250, resp)
        mid = ok_message_id((code, [resp.decode()]))
        self.assertIsNotNone(mid, resp)
        self.assertStored(dotlib, mid, ALICE, content)
        s.quit()

    # -- line length
    def test_data_line_length(self):
        lines_box = box("lines")
        c = self.login(ALICE)
        ok = b"Subject: l\r\n\r\n" + b"a" * 998 + b"\r\n"
        mid = ok_message_id(send_message(c, ALICE, [lines_box], ok))
        self.assertIsNotNone(mid)
        self.assertStored(lines_box, mid, ALICE, ok)
        for n in (999, 2000):
            with self.subTest(n):
                body = b"Subject: l\r\n\r\n" + b"b" * n + b"\r\nafter\r\n"
                code, lines = send_message(c, ALICE, [lines_box], body)
                self.assertEqual((code, enhanced(lines)), (554, "5.6.0"),
                                 lines)
                self.assertEqual(self.server.new_files(lines_box), [mid])
                self.assertEqual(self.server.tmp_files(lines_box), [])
                c.send(b"NOOP\r\nHELP\r\n")
                self.assertReply(c.read_reply(), 250, "2.0.0")
                self.assertReply(c.read_reply(), 214, "2.0.0")

    # -- concurrency
    def test_100_concurrent_sessions(self):
        conc = box("conc")
        n = 100
        barrier = threading.Barrier(n)
        results = [None] * n
        bodies = [message("concurrent-%03d" % i, b"z" * 200 + b"\r\n")
                  for i in range(n)]

        def run(i):
            try:
                s = smtplib.SMTP(timeout=60, local_hostname=CLIENT_NAME)
                try:
                    barrier.wait(30)
                    s.connect(self.server.address, self.server.port)
                    s.ehlo()
                    s.login(ALICE, PW)
                    s.mail(ALICE)
                    s.rcpt(conc)
                    results[i] = s.data(bodies[i])
                    s.quit()
                finally:
                    s.close()
            except Exception as e:          # reported below
                results[i] = e

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        ids = []
        for i, r in enumerate(results):
            self.assertIsInstance(r, tuple, "session %d: %r" % (i, r))
            self.assertEqual(r[0], 250, "session %d: %r" % (i, r))
            mid = ok_message_id((r[0], [r[1].decode()]))
            self.assertIsNotNone(mid, r)
            ids.append(mid)
        self.assertEqual(len(set(ids)), n, "message ids not distinct")
        files = self.server.new_files(conc)
        self.assertEqual(sorted(files), sorted(ids))
        for i, mid in enumerate(ids):
            self.assertStored(conc, mid, ALICE, bodies[i])
        self.assertEqual(self.server.tmp_files(conc), [])

    # -- all or nothing
    def test_failed_recipient_rolls_back(self):
        """A link into the second recipient's new/ fails: 451 4.3.0 and
        the first recipient's copy is removed too (notes: all or nothing)."""
        first, second = box("allor"), box("nothing")
        newdir = os.path.join(self.server.maildir(second), "new")
        c = self.login(ALICE)
        os.chmod(newdir, 0o500)
        try:
            code, lines = send_message(c, ALICE, [first, second],
                                       message("all-or-nothing"))
        finally:
            os.chmod(newdir, 0o700)
        self.assertEqual((code, enhanced(lines)), (451, "4.3.0"), lines)
        self.assertEqual(self.server.new_files(first), [])
        self.assertEqual(self.server.new_files(second), [])
        self.assertEqual(self.server.tmp_files(first), [])
        self.assertEqual(self.server.tmp_files(second), [])
        # the client retries: one copy each
        body = message("all-or-nothing-retry")
        mid = ok_message_id(send_message(c, ALICE, [first, second], body))
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(first), [mid])
        self.assertEqual(self.server.new_files(second), [mid])

    # -- crashes and disconnects
    def test_kill_at_many_offsets(self):
        """kill -9 at several points of a DATA: new/ only ever holds
        complete messages, and a message whose 250 was read is there."""
        crash = box("crash")
        complete = {}
        for i, cut in enumerate((0, 1, 17, 500, 2000, -3, -1, None)):
            body = message("crash-%d" % i,
                           (b"0123456789" * 9 + b"\r\n") * 25)
            c = self.login(ALICE)
            c.cmd("MAIL FROM:<%s>" % ALICE)
            c.cmd("RCPT TO:<%s>" % crash)
            self.assertReply(c.cmd("DATA"), 354)
            pid = c.server_pid()
            wire = body + b".\r\n"
            got_250 = None
            if cut is None:
                # all sent; kill as soon as the reply is read
                c.send(wire)
                got_250 = ok_message_id(c.read_reply())
                self.assertIsNotNone(got_250)
            else:
                c.send(wire[:cut] if cut >= 0 else wire[:len(wire) + cut])
                time.sleep(0.15)
            self.server.killed.add(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.assertTrue(wait_pid_gone(pid, 5))
            c.close()
            if got_250:
                complete[got_250] = body
            files = self.server.new_files(crash)
            self.assertEqual(sorted(files), sorted(complete),
                             "cut at %r" % cut)
        for mid, body in complete.items():
            self.assertStored(crash, mid, ALICE, body)

    def test_kill_session_mid_data(self):
        killme = box("killme")
        c = self.login(ALICE)
        c.cmd("MAIL FROM:<%s>" % ALICE)
        c.cmd("RCPT TO:<%s>" % killme)
        self.assertReply(c.cmd("DATA"), 354)
        pid = c.server_pid()
        c.send(message("killed", b"half a body\r\n" * 100))
        time.sleep(0.3)
        self.server.killed.add(pid)
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_pid_gone(pid, 5))
        self.assertTrue(c.closed_by_server(3))
        self.assertEqual(self.server.new_files(killme), [])
        # the mailbox still works
        d = self.login(ALICE)
        body = message("after-kill")
        mid = ok_message_id(send_message(d, ALICE, [killme], body))
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(killme), [mid])
        self.assertStored(killme, mid, ALICE, body)

    def test_client_disconnect_mid_data(self):
        dropme = box("dropme")
        c = self.login(ALICE)
        c.cmd("MAIL FROM:<%s>" % ALICE)
        c.cmd("RCPT TO:<%s>" % dropme)
        self.assertReply(c.cmd("DATA"), 354)
        pid = c.server_pid()
        c.send(message("dropped", b"half a body\r\n" * 100))
        time.sleep(0.3)
        c.close()
        self.assertTrue(wait_pid_gone(pid, 5), "session did not exit")
        self.assertEqual(self.server.new_files(dropme), [])
        self.assertEqual(self.server.tmp_files(dropme), [])
        self.assertEqual(self.server.tmp_files(ALICE), [])

    def test_data_timeout_is_silence_not_deadline(self):
        """data_timeout (3 s) bounds silence, not the whole block: a client
        sending a line a second for 5 s is not cut off."""
        slow = box("steady")
        c = self.login(ALICE, timeout=10)
        c.cmd("MAIL FROM:<%s>" % ALICE)
        c.cmd("RCPT TO:<%s>" % slow)
        self.assertReply(c.cmd("DATA"), 354)
        body = b"Subject: slow but steady\r\n\r\n"
        c.send(body)
        for i in range(5):
            time.sleep(1)
            line = b"line %d\r\n" % i
            c.send(line)
            body += line
        c.send(b".\r\n")
        mid = ok_message_id(c.read_reply())
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(slow), [mid])
        self.assertStored(slow, mid, ALICE, body)

    def test_data_timeout(self):
        slow = box("slow")
        c = self.login(ALICE, timeout=10)
        c.cmd("MAIL FROM:<%s>" % ALICE)
        c.cmd("RCPT TO:<%s>" % slow)
        self.assertReply(c.cmd("DATA"), 354)
        pid = c.server_pid()
        c.send(message("slow", b"half a body\r\n" * 10))
        t = time.monotonic()
        code, lines = c.read_reply()
        elapsed = time.monotonic() - t
        self.assertEqual((code, enhanced(lines)), (421, "4.4.2"), lines)
        self.assertGreaterEqual(elapsed, 2.5)
        self.assertLess(elapsed, 6.5)
        self.assertTrue(c.closed_by_server(3))
        self.assertTrue(wait_pid_gone(pid, 5))
        self.assertEqual(self.server.new_files(slow), [])
        self.assertEqual(self.server.tmp_files(slow), [])


STRACE = shutil.which("strace")
SYNC_CALLS = ("fsync", "fdatasync")
LINK_CALLS = ("link", "linkat", "rename", "renameat", "renameat2")


@unittest.skipIf(STRACE is None, "strace is not installed (optional)")
@unittest.skipIf(not harness.IS_ROOT, "strace cannot read the memory of the "
                 "session (not dumpable) without root")
class TestDurability(ExitStatusCheck, ServerTestCase):
    """250 means on disk (threats row 41): under strace, the message file
    is fsynced before it is linked into new/, and every new/ directory is
    fsynced after the link and before the 250 is written."""

    users = {ALICE: PW, BOB: PW, CAROL: PW}
    overrides = {"command_timeout": 30, "data_timeout": 30,
                 "auth_failure_delay": 0}
    # strace runs as root (the session is not dumpable, so an unprivileged
    # strace could not read its memory) and runs the session as nobody
    wrapper_as_root = True
    wrapper = [STRACE or "strace"] + \
        (["-u", harness.SERVICE_USER] if harness.IS_ROOT else []) + \
        ["-ff", "-tt", "-y", "-s", "80",
               "-o", "{dir}/data/strace",
               "-e", "trace=openat,write,writev,sendto,sendmsg,fsync,"
               "fdatasync,rename,renameat,renameat2,link,linkat,close,"
               "unlink,unlinkat"]

    def trace_of(self, c):
        """Ends the session of raw client c; returns its syscall lines as
        (name, line) pairs."""
        pid = c.server_pid()
        c.cmd("QUIT")
        c.close()
        self.assertTrue(wait_pid_gone(pid, 10))
        path = os.path.join(self.server.data_dir, "strace.%d" % pid)
        with open(path, errors="replace") as f:
            out = []
            for line in f:
                m = re.match(r"^[\d:.]+ (\w+)\(", line)
                if m:
                    out.append((m.group(1), line))
            return out

    def first(self, trace, pred, start=0, what=""):
        for i in range(start, len(trace)):
            if pred(*trace[i]):
                return i
        self.fail("not in the trace: %s\n%s" % (
            what, "".join(l for _, l in trace[-60:])))

    @staticmethod
    def fd_path(line):
        m = re.search(r"\(\d+<([^>]*)>", line)
        return m.group(1) if m else ""

    def check_synced_link(self, trace, name, newdir, i250):
        """The link/rename of name into newdir: its source file was fsynced
        before it, newdir fsynced after it, both before line i250."""
        il = self.first(trace, lambda n, l: n in LINK_CALLS and name in l
                        and newdir in l, what="link into " + newdir)
        src = re.findall(r'"([^"]+)"', trace[il][1])[0]
        isrc = self.first(trace, lambda n, l: n in SYNC_CALLS and (
            self.fd_path(l) == src or
            self.fd_path(l).endswith("/" + os.path.basename(src))),
            what="fsync of %s" % src)
        self.assertLess(isrc, il, "linked before %s was fsynced" % src)
        isync = self.first(trace, lambda n, l: n in SYNC_CALLS and
                           self.fd_path(l) == newdir, il,
                           what="fsync of %s after the link" % newdir)
        self.assertLess(isync, i250, "250 before %s was fsynced" % newdir)

    def test_message_synced_before_250(self):
        c = self.login(ALICE, timeout=30)
        mid = ok_message_id(send_message(c, ALICE, [BOB, CAROL],
                                         message("durable")))
        self.assertIsNotNone(mid)
        trace = self.trace_of(c)
        i250 = self.first(trace, lambda n, l: '"250 2.0.0 Ok' in l,
                          what="the 250 reply")
        for rcpt in (BOB, CAROL):
            self.check_synced_link(trace, mid, os.path.join(
                self.server.maildir(rcpt), "new"), i250)

    def test_tracking_record_synced_before_250(self):
        c = self.login(ALICE, timeout=30)
        mid = ok_message_id(send_message(c, ALICE, [BOB], message("trk")))
        self.assertIsNotNone(mid)
        c.cmd("QUIT")
        d = self.login(BOB, timeout=30)
        code, lines = d.cmd("TRACK %s DECRYPTED" % mid)
        self.assertEqual(code, 250, lines)
        rid = re.match(r"^2\.0\.0 Tracking record (\S+) queued$",
                       lines[0]).group(1)
        trace = self.trace_of(d)
        i250 = self.first(trace, lambda n, l: '"250 2.0.0 Tracking' in l,
                          what="the 250 reply")
        self.check_synced_link(trace, rid + ".csv", os.path.join(
            self.server.maildir(ALICE), ".Tracking", "new"), i250)

class TestDiskFull(ExitStatusCheck, ServerTestCase):
    """Disk full during DATA (threats row 44; notes: 452 4.3.1): the mail
    directory is a 1 MiB tmpfs that the test fills up."""

    users = {ALICE: PW, BOB: PW}
    overrides = {"command_timeout": 30, "data_timeout": 30,
                 "auth_failure_delay": 0}

    @classmethod
    def setUpClass(cls):
        if not harness.IS_ROOT:
            raise unittest.SkipTest("mounting a tmpfs needs root")
        cls.server = harness.Server(overrides=cls.overrides)
        cls.server.setup_files()
        cls.mounted = False
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755",
                            "alltalk-test", cls.server.mail_dir], check=True,
                           capture_output=True, timeout=30)
            cls.mounted = True
            cls.server._chown_service(cls.server.mail_dir)
            cls.server.start()
            for address, password in cls.users.items():
                cls.server.add_user(address, password)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        d = cls.server.dir
        cls.server.stop(remove=False)
        if cls.mounted:
            subprocess.run(["umount", cls.server.mail_dir], timeout=30)
        if not os.environ.get("ALLTALK_KEEP_TMP"):
            shutil.rmtree(d, ignore_errors=True)

    def fill(self, path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for chunk in (65536, 4096, 512, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * chunk)
                except OSError as e:
                    self.assertEqual(e.errno, errno.ENOSPC)
        finally:
            os.close(fd)

    def test_disk_full_452(self):
        filler = os.path.join(self.server.mail_dir, "filler")
        c = self.login(ALICE)
        self.fill(filler)
        try:
            body = message("full", (b"f" * 70 + b"\r\n") * 40)
            code, lines = send_message(c, ALICE, [BOB], body)
            self.assertEqual((code, enhanced(lines)), (452, "4.3.1"), lines)
            self.assertEqual(self.server.new_files(BOB), [])
            self.assertEqual(self.server.tmp_files(BOB), [])
        finally:
            os.unlink(filler)
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        mid = ok_message_id(send_message(c, ALICE, [BOB], body))
        self.assertIsNotNone(mid)
        self.assertEqual(self.server.new_files(BOB), [mid])


if __name__ == "__main__":
    unittest.main()
