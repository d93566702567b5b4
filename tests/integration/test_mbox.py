"""MBOX LIST/RETR/DELE and TRACK, tracking records (PROTOCOL.md 7-8;
threats rows 35, 36)."""

import calendar
import csv
import grp
import io
import os
import pwd
import re
import shutil
import socket
import time
import unittest

from harness import ServerTestCase, ExitStatusCheck, HOSTNAME, \
    enhanced, send_message, \
    ok_message_id, IS_ROOT, SERVICE_USER, SERVICE_GROUP, wait_pid_gone

HEADER = "record_id,message_id,sender,recipient,event,time,server,detail"
FIELDS = HEADER.split(",")
ALICE = "alice@a.test"
CAROL = "carol@a.test"
PW = "pw-Mbox-Tests-3"
MAILBOXES = ["lister", "empty", "reader", "tracker", "failer", "deleter",
             "bob", "syntax", "remote", "trlist", "linker", "symsender",
             "symrcpt", "bigretr", "stale"]


def addr(local):
    return local + "@a.test"


def parse_record(testcase, data):
    """The one row of a tracking record file, as a dict; checks the
    framing (header, CRLF, exactly one row)."""
    testcase.assertTrue(data.endswith(b"\r\n"), data)
    physical = data.split(b"\r\n")
    testcase.assertEqual(len(physical), 3, "not exactly 2 lines: %r" % data)
    testcase.assertEqual(physical[0].decode(), HEADER)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""),
                           strict=True))
    testcase.assertEqual(len(rows), 2, rows)
    testcase.assertEqual(rows[0], FIELDS)
    testcase.assertEqual(len(rows[1]), len(FIELDS), rows[1])
    return dict(zip(FIELDS, rows[1]))


def parse_list(testcase, reply):
    """[(id, octets, who)] of an MBOX LIST reply; checks the count line."""
    code, lines = reply
    testcase.assertEqual(code, 250, reply)
    entries = []
    for line in lines[:-1]:
        m = re.match(r"^(\S+) (\d+) (\S+)$", line)
        testcase.assertIsNotNone(m, "bad MBOX LIST line %r" % line)
        entries.append((m.group(1), int(m.group(2)), m.group(3)))
    testcase.assertRegex(lines[-1], r"^%d messages?$" % len(entries))
    return entries


class TestMbox(ExitStatusCheck, ServerTestCase):
    overrides = {
        "command_timeout": 10,
        "auth_failure_delay": 1,
        "error_delay": 0,
        "hard_error_limit": 100,
        "soft_error_limit": 100,
    }
    users = dict([(ALICE, PW), (CAROL, PW)] +
                 [(addr(m), PW) for m in MAILBOXES])

    def deliver(self, sender, rcpt, tag):
        c = self.login(sender)
        body = ("Subject: %s\r\n\r\nbody of %s\r\n.dotted line\r\n"
                % (tag, tag)).encode()
        body = body.replace(b"\r\n.", b"\r\n..")
        mid = ok_message_id(send_message(c, sender, [rcpt], body))
        self.assertIsNotNone(mid)
        c.cmd("QUIT")
        return mid

    def msg_path(self, address, mid, sub="new"):
        return os.path.join(self.server.maildir(address), sub, mid)

    def track(self, c, line):
        code, lines = c.cmd(line)
        self.assertEqual((code, enhanced(lines)), (250, "2.0.0"), lines)
        m = re.match(r"^2\.0\.0 Tracking record (\S+) queued$", lines[0])
        self.assertIsNotNone(m, lines)
        return m.group(1)

    def assertRecentTime(self, stamp):
        self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        t = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
        self.assertLess(abs(t - time.time()), 120, stamp)

    # -- LIST
    def test_list_inbox(self):
        lister = addr("lister")
        m1 = self.deliver(ALICE, lister, "one")
        m2 = self.deliver(ALICE, lister, "two")
        m3 = self.deliver(CAROL, lister, "three")
        c = self.login(lister)
        entries = parse_list(self, c.cmd("MBOX LIST"))
        self.assertEqual([e[0] for e in entries], [m1, m2, m3])
        self.assertEqual([e[2] for e in entries], [ALICE, ALICE, CAROL])
        for mid, octets, _ in entries:
            self.assertEqual(octets, os.path.getsize(
                self.msg_path(lister, mid)))
        self.assertEqual(parse_list(self, c.cmd("MBOX LIST INBOX")), entries)
        self.assertEqual(parse_list(self, c.cmd("mbox list inbox")), entries)

    def test_list_empty(self):
        c = self.login(addr("empty"))
        reply = c.cmd("MBOX LIST")
        self.assertEqual(parse_list(self, reply), [])
        self.assertEqual(len(reply[1]), 1)
        self.assertEqual(parse_list(self, c.cmd("MBOX LIST TRACKING")), [])

    def test_list_removes_stale_tmp_files(self):
        """maildir(5): files a crashed delivery left in tmp/ for more than
        36 hours are removed by the reader; younger ones are kept."""
        box = self.server.maildir(addr("stale"))
        old = time.time() - 36 * 3600 - 60
        paths = {}
        for name, sub, mtime in (("old", "tmp", old),
                                 ("oldrec", ".Tracking/tmp", old),
                                 ("young", "tmp", time.time() - 3600)):
            path = os.path.join(box, sub, name)
            with open(path, "wb") as f:
                f.write(b"partial")
            os.utime(path, (mtime, mtime))
            paths[name] = path
        c = self.login(addr("stale"))
        self.assertEqual(parse_list(self, c.cmd("MBOX LIST")), [])
        c.cmd("QUIT")
        self.assertFalse(os.path.exists(paths["old"]))
        self.assertFalse(os.path.exists(paths["oldrec"]))
        self.assertTrue(os.path.exists(paths["young"]))

    # -- RETR and the DOWNLOADED record
    def test_retr_makes_one_downloaded_record(self):
        reader = addr("reader")
        mid = self.deliver(ALICE, reader, "retr")
        with open(self.msg_path(reader, mid), "rb") as f:
            stored = f.read()
        before = set(self.server.tracking_files(ALICE))
        c = self.login(reader)
        code, lines = c.cmd("MBOX RETR " + mid)
        self.assertEqual(code, 250, lines)
        self.assertEqual(lines, ["%d octets follow" % len(stored)])
        self.assertEqual(c.read_data(), stored)
        # the server may finish the RETR (record, move) after sending the
        # data: a NOOP's reply proves it is done
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        # moved new/ -> cur/
        self.assertEqual(self.server.new_files(reader), [])
        self.assertEqual(self.server.cur_files(reader), [mid + ":2,S"])
        added = set(self.server.tracking_files(ALICE)) - before
        rid = "%s-D.%s" % (HOSTNAME, mid)
        self.assertEqual(added, {rid + ".csv"})
        rec = parse_record(self, self.server.read_tracking(ALICE,
                                                           rid + ".csv"))
        self.assertEqual(rec["record_id"], rid)
        self.assertEqual(rec["message_id"], mid)
        self.assertEqual(rec["sender"], ALICE)
        self.assertEqual(rec["recipient"], reader)
        self.assertEqual(rec["event"], "DOWNLOADED")
        self.assertEqual(rec["server"], HOSTNAME)
        self.assertEqual(rec["detail"], "")
        self.assertRecentTime(rec["time"])
        # a second RETR: same octets, no second record
        code, lines = c.cmd("MBOX RETR " + mid)
        self.assertEqual((code, lines), (250, ["%d octets follow"
                                               % len(stored)]))
        self.assertEqual(c.read_data(), stored)
        self.assertEqual(set(self.server.tracking_files(ALICE)) - before,
                         {rid + ".csv"})
        self.assertEqual(self.server.cur_files(reader), [mid + ":2,S"])
        # still listed
        entries = parse_list(self, c.cmd("MBOX LIST"))
        self.assertEqual([(e[0], e[1]) for e in entries],
                         [(mid, len(stored))])
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    # -- TRACK
    def test_track_decrypted(self):
        tracker = addr("tracker")
        mid = self.deliver(ALICE, tracker, "decrypt")
        before = set(self.server.tracking_files(ALICE))
        c = self.login(tracker)
        rid = self.track(c, "TRACK %s DECRYPTED" % mid)
        self.assertTrue(rid.startswith(HOSTNAME + "-"), rid)
        self.assertEqual(set(self.server.tracking_files(ALICE)) - before,
                         {rid + ".csv"})
        rec = parse_record(self, self.server.read_tracking(ALICE,
                                                           rid + ".csv"))
        self.assertEqual(rec, {
            "record_id": rid, "message_id": mid, "sender": ALICE,
            "recipient": tracker, "event": "DECRYPTED",
            "time": rec["time"], "server": HOSTNAME, "detail": ""})
        self.assertRecentTime(rec["time"])
        # TRACK does not download: the message is still new
        self.assertEqual(self.server.new_files(tracker), [mid])
        # lower-case verb and event
        rid2 = self.track(c, "track %s decrypted" % mid)
        self.assertTrue(os.path.exists(os.path.join(
            self.server.maildir(ALICE), ".Tracking", "new", rid2 + ".csv")))

    def test_track_failed_reason_quoting(self):
        failer = addr("failer")
        mid = self.deliver(ALICE, failer, "fail")
        c = self.login(failer)
        cases = [
            ('=HYPERLINK("http://evil.test/?a=1","x"), he said "no"; a,b',
             '\'=HYPERLINK("http://evil.test/?a=1","x"), he said "no"; a,b'),
            ("+1+1", "'+1+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ('key "unknown", sorry', 'key "unknown", sorry'),
            ("bad\tkey", "bad key"),
            ("x" * 300, "x" * 200),
        ]
        for reason, detail in cases:
            with self.subTest(reason=reason[:40]):
                rid = self.track(c, "TRACK %s FAILED %s" % (mid, reason))
                rec = parse_record(self, self.server.read_tracking(
                    ALICE, rid + ".csv"))
                self.assertEqual(rec["event"], "FAILED")
                self.assertEqual(rec["message_id"], mid)
                self.assertEqual(rec["recipient"], failer)
                self.assertEqual(rec["detail"], detail)

    def test_list_tracking(self):
        trlist = addr("trlist")
        mid = self.deliver(ALICE, trlist, "trlist")
        t = self.login(trlist)
        rid = self.track(t, "TRACK %s FAILED no key" % mid)
        c = self.login(ALICE)
        entries = parse_list(self, c.cmd("MBOX LIST TRACKING"))
        files = self.server.tracking_files(ALICE)
        self.assertEqual(sorted(e[0] for e in entries),
                         sorted(f[:-len(".csv")] for f in files))
        self.assertIn(rid, [e[0] for e in entries])
        for rec_id, octets, who in entries:
            data = self.server.read_tracking(ALICE, rec_id + ".csv")
            self.assertEqual(octets, len(data))
            self.assertEqual(who, parse_record(self, data)["recipient"])
        # RETR finds a tracking record too
        with open(os.path.join(self.server.maildir(ALICE), ".Tracking",
                               "new", rid + ".csv"), "rb") as f:
            stored = f.read()
        code, lines = c.cmd("MBOX RETR " + rid)
        self.assertEqual((code, lines), (250, ["%d octets follow"
                                               % len(stored)]))
        self.assertEqual(c.read_data(), stored)
        # the INBOX listing does not show tracking records
        inbox = parse_list(self, c.cmd("MBOX LIST INBOX"))
        self.assertNotIn(rid, [e[0] for e in inbox])

    def test_track_remote_sender_is_spooled(self):
        remote = addr("remote")
        mid = "1733339990.M5P6Q7.remote.test"
        path = self.msg_path(remote, mid)
        with open(path, "wb") as f:
            f.write(b"Return-Path: <glen@remote.test>\r\n"
                    b"Received: from remote.test by a.test\r\n"
                    b"Subject: from afar\r\n\r\nhello\r\n")
        if IS_ROOT:
            os.chown(path, pwd.getpwnam(SERVICE_USER).pw_uid,
                     grp.getgrnam(SERVICE_GROUP).gr_gid)
        c = self.login(remote)
        rid = self.track(c, "TRACK %s DECRYPTED" % mid)
        spooled = os.path.join(self.server.spool_dir, "new", rid)
        self.assertTrue(os.path.exists(spooled),
                        os.listdir(os.path.join(self.server.spool_dir, "new")))
        with open(spooled, "rb") as f:
            text = f.read().decode()
        head, sep, record = text.partition("\n\n")
        if not sep:
            head, sep, record = text.partition("\r\n\r\n")
        self.assertTrue(sep, text)
        self.assertIn("Record-Id: " + rid, head.splitlines())
        self.assertIn("Sender: glen@remote.test", head.splitlines())
        rows = list(csv.reader(io.StringIO(record, newline="")))
        self.assertEqual(rows[0], FIELDS)
        rec = dict(zip(FIELDS, rows[1]))
        self.assertEqual(rec["record_id"], rid)
        self.assertEqual(rec["sender"], "glen@remote.test")
        self.assertEqual(rec["recipient"], remote)
        self.assertEqual(rec["event"], "DECRYPTED")

    # -- symlinks (threats row 36)
    def plant(self, path, data=None, symlink_to=None):
        if symlink_to is not None:
            os.symlink(symlink_to, path)
            if IS_ROOT:
                os.lchown(path, pwd.getpwnam(SERVICE_USER).pw_uid,
                          grp.getgrnam(SERVICE_GROUP).gr_gid)
            return
        with open(path, "wb") as f:
            f.write(data)
        if IS_ROOT:
            os.chown(path, pwd.getpwnam(SERVICE_USER).pw_uid,
                     grp.getgrnam(SERVICE_GROUP).gr_gid)

    def test_retr_does_not_follow_symlink(self):
        linker = addr("linker")
        secret = os.path.join(self.server.dir, "secret.txt")
        self.plant(secret, b"Return-Path: <alice@a.test>\r\n\r\n"
                   b"TOP-SECRET-CONTENT\r\n")
        mid = "1733339990.M1P2Q3.a.test"
        self.plant(self.msg_path(linker, mid), symlink_to=secret)
        c = self.login(linker)
        c.send(("MBOX RETR %s\r\nNOOP\r\n" % mid).encode())
        code, lines = c.read_reply()
        self.assertNotEqual(code, 250, lines)
        self.assertIn(code, (451, 550), lines)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertNotIn(b"TOP-SECRET", c.buf)

    def test_tracking_folder_symlink_not_followed(self):
        symsender, symrcpt = addr("symsender"), addr("symrcpt")
        mid = self.deliver(symsender, symrcpt, "symlink")
        elsewhere = os.path.join(self.server.dir, "elsewhere")
        for sub in ("", "tmp", "new", "cur"):
            d = os.path.join(elsewhere, sub)
            os.mkdir(d)
            if IS_ROOT:
                os.chown(d, pwd.getpwnam(SERVICE_USER).pw_uid,
                         grp.getgrnam(SERVICE_GROUP).gr_gid)
        tracking = os.path.join(self.server.maildir(symsender), ".Tracking")
        shutil.rmtree(tracking)
        self.plant(tracking, symlink_to=elsewhere)
        c = self.login(symrcpt)
        code, lines = c.cmd("TRACK %s DECRYPTED" % mid)
        written = [os.path.join(sub, n) for sub in ("tmp", "new", "cur")
                   for n in os.listdir(os.path.join(elsewhere, sub))]
        self.assertEqual(written, [], "wrote through the symlink")
        self.assertEqual((code, enhanced(lines)), (451, "4.3.0"), lines)

    # -- a long reply to a client that goes away (threats row 43)
    def test_client_closes_during_long_retr(self):
        bigretr = addr("bigretr")
        c = self.login(ALICE, timeout=60)
        line = b"L" * 996 + b"\r\n"
        body = b"Subject: big\r\n\r\n" + line * 9000        # 9 MB
        mid = ok_message_id(send_message(c, ALICE, [bigretr], body))
        self.assertIsNotNone(mid)
        c.cmd("QUIT")
        c.close()
        d = self.login(bigretr)
        d.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        pid = d.server_pid()
        d.send(b"MBOX RETR " + mid.encode() + b"\r\n")
        d.read_line()                   # "250 N octets follow"
        time.sleep(0.2)
        d.close()
        self.assertTrue(wait_pid_gone(pid, 10), "session did not exit")
        exits, _ = self.server.session_exits(5)
        self.assertIn(pid, exits)
        self.assertEqual(exits[pid], "status=0",
                         "session ended by %s" % exits[pid])

    # -- DELE
    def test_dele(self):
        deleter = addr("deleter")
        m1 = self.deliver(ALICE, deleter, "dele1")
        m2 = self.deliver(ALICE, deleter, "dele2")
        c = self.login(deleter)
        self.assertReply(c.cmd("MBOX DELE " + m1), 250, "2.0.0")
        self.assertEqual(self.server.new_files(deleter), [m2])
        self.assertEqual([e[0] for e in parse_list(self, c.cmd("MBOX LIST"))],
                         [m2])
        self.assertReply(c.cmd("MBOX RETR " + m1), 550, "5.1.0")
        self.assertReply(c.cmd("MBOX DELE " + m1), 550, "5.1.0")
        # a message already read (in cur/) is deleted too
        code, _ = c.cmd("MBOX RETR " + m2)
        self.assertEqual(code, 250)
        c.read_data()
        self.assertReply(c.cmd("MBOX DELE " + m2), 250, "2.0.0")
        self.assertEqual(self.server.cur_files(deleter), [])
        self.assertEqual(self.server.new_files(deleter), [])
        self.assertEqual(parse_list(self, c.cmd("MBOX LIST")), [])

    # -- refusals
    def test_unknown_and_bad_ids(self):
        bob = addr("bob")
        mid = self.deliver(ALICE, bob, "ids")
        before = self.server.new_files(bob)
        c = self.login(bob)
        for bad in ("nosuch", "../x", "../../a.test/alice/new/" + mid,
                    "../bob/new/" + mid, ".hidden", "new/" + mid,
                    mid + "/", "/etc/passwd"):
            for cmd in ("MBOX RETR %s", "MBOX DELE %s",
                        "TRACK %s DECRYPTED"):
                with self.subTest(cmd % bad):
                    self.assertReply(c.cmd(cmd % bad), 550, "5.1.0")
        self.assertEqual(self.server.new_files(bob), before)
        self.assertIn(mid, before)

    def test_other_users_messages(self):
        bob = addr("bob")
        mid = self.deliver(ALICE, bob, "private")
        before = set(self.server.tracking_files(ALICE))
        for who in (CAROL, ALICE):
            c = self.login(who)
            with self.subTest(who):
                self.assertReply(c.cmd("MBOX RETR " + mid), 550, "5.1.0")
                self.assertReply(c.cmd("MBOX DELE " + mid), 550, "5.1.0")
                self.assertReply(c.cmd("TRACK %s DECRYPTED" % mid), 550,
                                 "5.1.0")
                self.assertNotIn(mid, [e[0] for e in
                                       parse_list(self, c.cmd("MBOX LIST"))])
        self.assertIn(mid, self.server.new_files(bob))
        self.assertEqual(set(self.server.tracking_files(ALICE)), before)

    def test_anonymous_refused(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.cmd("MBOX LIST"), 530, "5.7.0")
        self.assertReply(c.cmd("MBOX RETR x"), 530, "5.7.0")
        self.assertReply(c.cmd("MBOX DELE x"), 530, "5.7.0")
        self.assertReply(c.cmd("TRACK x DECRYPTED"), 530, "5.7.0")

    def test_syntax(self):
        syn = addr("syntax")
        mid = self.deliver(ALICE, syn, "syntax")
        before = set(self.server.tracking_files(ALICE))
        c = self.login(syn)
        for line in ("MBOX", "MBOX FROB", "MBOX LIST BOGUS", "MBOX RETR",
                     "MBOX DELE", "TRACK", "TRACK " + mid,
                     "TRACK %s EATEN" % mid, "TRACK %s DOWNLOADED" % mid):
            with self.subTest(line):
                self.assertReply(c.cmd(line), 501, "5.5.4")
        self.assertEqual(set(self.server.tracking_files(ALICE)), before)
        self.assertEqual(self.server.new_files(syn), [mid])


if __name__ == "__main__":
    unittest.main()
