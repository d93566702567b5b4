"""Session basics: greeting, EHLO, simple verbs, framing limits, garbage,
pipelining, the error budget, deadlines, QUIT (PROTOCOL.md 1-2; threats
rows 2, 4, 7, 14, 15, 48)."""

import time
import unittest

from harness import ServerTestCase, ExitStatusCheck, HOSTNAME, \
    enhanced, ConnectionClosed, wait_pid_gone

SIZE_LIMIT = 2000000    # not the default: SIZE is seen to follow the limit


class TestSession(ExitStatusCheck, ServerTestCase):
    overrides = {
        "message_size_limit": SIZE_LIMIT,
        "command_timeout": 2,
        "data_timeout": 2,
        "auth_failure_delay": 1,
        "soft_error_limit": 4,
        "hard_error_limit": 5,
        "error_delay": 0,
    }

    # -- greeting, EHLO, HELO
    def test_greeting(self):
        c = self.client()
        code, lines = c.greeting
        self.assertEqual(code, 220)
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0].split()[0], HOSTNAME, lines)
        self.assertIn("AllTalk", lines[0])

    def test_ehlo_capabilities(self):
        c = self.client()
        code, lines = c.cmd("EHLO client.test")
        self.assertEqual(code, 250, lines)
        self.assertEqual(lines[0], HOSTNAME)
        caps = {}
        for line in lines[1:]:
            words = line.split()
            caps[words[0].upper()] = words[1:]
        self.assertIn("PIPELINING", caps)
        self.assertIn("8BITMIME", caps)
        self.assertIn("ENHANCEDSTATUSCODES", caps)
        self.assertEqual(caps.get("SIZE"), [str(SIZE_LIMIT)], lines)
        self.assertIn("AUTH", caps)
        self.assertIn("CRAM-MD5", caps["AUTH"])
        self.assertIn("ALLTALK", caps)
        self.assertIn("MBOX", caps["ALLTALK"])
        self.assertIn("TRACK", caps["ALLTALK"])
        # no certificate configured: no STARTTLS offered
        self.assertNotIn("STARTTLS", caps)

    def test_ehlo_without_argument(self):
        c = self.client()
        self.assertReply(c.cmd("EHLO"), 501, "5.5.4")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_ehlo_name_length(self):
        name255 = ".".join(["a" * 63] * 4)
        self.assertEqual(len(name255), 255)
        c = self.client()
        code, lines = c.cmd("EHLO " + name255)
        self.assertEqual(code, 250, lines)
        self.assertReply(c.cmd("EHLO b" + name255), 501, "5.5.4")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_helo(self):
        c = self.client()
        code, lines = c.cmd("HELO client.test")
        self.assertEqual((code, lines), (250, [HOSTNAME]))

    # -- simple verbs
    def test_noop_rset_help(self):
        c = self.client()
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("HELP"), 214, "2.0.0")

    def test_vrfy_expn(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.cmd("VRFY postmaster"), 252, "2.5.0")
        self.assertReply(c.cmd("EXPN staff"), 502, "5.5.1")

    def test_starttls_not_offered(self):
        c = self.client()
        c.ehlo()
        self.assertReply(c.cmd("STARTTLS"), 502, "5.5.1")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_unknown_verb(self):
        c = self.client()
        code, lines = c.cmd("FROB nicate")
        self.assertEqual(code, 500)
        self.assertEqual(enhanced(lines), "5.5.1")
        self.assertIn("Unknown command", lines[0])
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_verbs_case_insensitive(self):
        c = self.client()
        code, lines = c.cmd("ehlo client.test")
        self.assertEqual(code, 250)
        self.assertEqual(lines[0], HOSTNAME)
        self.assertReply(c.cmd("noop"), 250, "2.0.0")
        self.assertReply(c.cmd("NoOp"), 250, "2.0.0")
        self.assertReply(c.cmd("rSeT"), 250, "2.0.0")
        self.assertReply(c.cmd("help"), 214, "2.0.0")
        self.assertReply(c.cmd("vrfy x"), 252, "2.5.0")
        self.assertReply(c.cmd("hElO client.test"), 250)
        self.assertReply(c.cmd("quit"), 221, "2.0.0")
        self.assertTrue(c.closed_by_server(3))

    # -- framing limits
    def test_overlong_command_520(self):
        c = self.client()
        line = b"NOOP " + b"x" * 513 + b"\r\n"
        self.assertEqual(len(line), 520)
        c.send(line)
        code, lines = c.read_reply()
        self.assertEqual(code, 500, lines)
        self.assertEqual(enhanced(lines), "5.5.2")
        # the rest of the long line was skipped: the session is in step
        self.assertReply(c.cmd("HELP"), 214, "2.0.0")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_command_512_accepted_513_rejected(self):
        c = self.client()
        line512 = b"NOOP " + b"x" * 505 + b"\r\n"
        line513 = b"NOOP " + b"x" * 506 + b"\r\n"
        self.assertEqual(len(line512), 512)
        self.assertEqual(len(line513), 513)
        c.send(line512)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        c.send(line513)
        self.assertReply(c.read_reply(), 500, "5.5.2")
        self.assertReply(c.cmd("HELP"), 214, "2.0.0")

    def test_overlong_without_lf_closes(self):
        c = self.client()
        try:
            c.send(b"A" * (65536 + 4096))
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            code, lines = c.read_reply()
        except (ConnectionClosed, ConnectionResetError):
            code = None             # reset before the reply could be read
        if code is not None:
            self.assertEqual(code, 500, lines)
            self.assertEqual(enhanced(lines), "5.5.2")
        self.assertTrue(c.closed_by_server(3), "session not closed")
        d = self.client()
        self.assertReply(d.cmd("NOOP"), 250, "2.0.0")

    def test_garbage_bytes(self):
        c = self.client()
        c.send(b"\xff\xfe\x80\x81 \x01\x02garbage\r\n")
        code, lines = c.read_reply()
        self.assertTrue(500 <= code <= 599, (code, lines))
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_nul_in_command(self):
        c = self.client()
        c.send(b"NO\x00OP\r\n")
        self.assertReply(c.read_reply(), 500, "5.5.2")
        c.send(b"NOOP \x00\r\n")
        self.assertReply(c.read_reply(), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_bare_cr_in_command_one_reply(self):
        c = self.client()
        c.send(b"NOOP\rRSET\r\n")
        c.send(b"HELP\r\n")
        # exactly one reply for the first line, and it is a refusal
        self.assertReply(c.read_reply(), 500, "5.5.2")
        self.assertReply(c.read_reply(), 214, "2.0.0")
        self.assertEqual(c.pending(0.3), b"")

    def test_bare_lf_ends_command(self):
        c = self.client()
        c.send(b"NOOP\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        c.send(b"HELP\n")
        self.assertReply(c.read_reply(), 214, "2.0.0")
        self.assertEqual(c.pending(0.3), b"")

    def test_pipelined_commands_in_order(self):
        c = self.client()
        c.send(b"EHLO client.test\r\nNOOP\r\nHELP\r\nVRFY bob\r\nEXPN x\r\n"
               b"RSET\r\nFROB\r\nHELO client.test\r\nNOOP\r\n")
        codes = [c.read_reply()[0] for _ in range(9)]
        self.assertEqual(codes, [250, 250, 214, 252, 502, 250, 500, 250, 250])
        self.assertEqual(c.pending(0.3), b"")

    # -- error budget
    def test_hard_error_limit(self):
        c = self.client()
        for i in range(4):
            self.assertReply(c.cmd("FROB %d" % i), 500, "5.5.1")
        # four errors: still alive
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        c.send(b"FROB 5\r\n")
        code, lines = c.read_reply()
        if code == 500:
            # the error's own reply, then the 421 without waiting
            code, lines = c.read_reply()
        self.assertEqual(code, 421, lines)
        self.assertEqual(enhanced(lines), "4.7.0")
        self.assertIn("Too many errors", lines[0])
        self.assertTrue(c.closed_by_server(3), "not closed after 421")

    # -- deadlines
    def test_idle_timeout(self):
        c = self.client()
        pid = c.server_pid()
        start = time.monotonic()
        c.settimeout(8)
        code, lines = c.read_reply()
        elapsed = time.monotonic() - start
        self.assertEqual(code, 421, lines)
        self.assertEqual(enhanced(lines), "4.4.2")
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertLess(elapsed, 4.5)
        self.assertTrue(c.closed_by_server(3))
        self.assertTrue(wait_pid_gone(pid, 3), "session process still there")

    def test_trickle_command_deadline(self):
        c = self.client()
        pid = c.server_pid()
        data = b"NOOP trickle trickle\r\n"     # 22 bytes: 11 s at 2 bytes/s
        start = time.monotonic()
        reply = None
        c.settimeout(0.5)
        for b in data:
            try:
                c.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                reply = c.read_reply()
                break
            except OSError:         # socket.timeout: nothing yet
                continue
            except ConnectionClosed:
                break
        elapsed = time.monotonic() - start
        self.assertIsNotNone(reply, "no reply while trickling")
        code, lines = reply
        self.assertEqual(code, 421, lines)
        self.assertEqual(enhanced(lines), "4.4.2")
        self.assertLess(elapsed, 4.5, "the deadline was extended by trickling")
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertTrue(c.closed_by_server(3))
        self.assertTrue(wait_pid_gone(pid, 3))

    def test_quit(self):
        c = self.client()
        pid = c.server_pid()
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        self.assertTrue(c.closed_by_server(3))
        self.assertTrue(wait_pid_gone(pid, 3))

    def test_log_session_lines(self):
        c = self.client()
        c.cmd("QUIT")
        c.closed_by_server(3)
        self.server.wait_sessions_gone(3)
        log = self.server.log_text()
        self.assertIn("client=", log)
        self.assertRegex(log, r"s=\S+")
        self.assertIn("duration_ms=", log)


class TestErrorDelay(ExitStatusCheck, ServerTestCase):
    """Past soft_error_limit, error replies are delayed by error_delay."""

    overrides = {
        "command_timeout": 10,
        "soft_error_limit": 2,
        "hard_error_limit": 20,
        "error_delay": 1,
    }

    def test_error_delay_after_soft_limit(self):
        c = self.client()
        t = time.monotonic()
        self.assertReply(c.cmd("FROB 1"), 500, "5.5.1")
        self.assertLess(time.monotonic() - t, 0.8, "first error delayed")
        times = []
        for i in range(2, 5):
            t = time.monotonic()
            self.assertReply(c.cmd("FROB %d" % i), 500, "5.5.1")
            times.append(time.monotonic() - t)
        self.assertGreaterEqual(times[-1], 0.9, times)
        self.assertGreaterEqual(times[-2], 0.9, times)


if __name__ == "__main__":
    unittest.main()
