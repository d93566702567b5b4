"""harness.py: real AllTalk servers for the integration tests.

A Server is one xinetd instance on a loopback address (127.0.0.2 unless
told otherwise; $ALLTALK_TEST_ADDRESS changes the default), port 21025,
serving $ALLTALK_BUILD/alltalk-session with its own alltalk.conf, data,
mail and spool directories and log file, all in one temporary directory.
When the tests run as root the service runs as nobody/nogroup and the
stores belong to nobody, as in production they belong to the alltalk user.

Python 3 standard library only.
"""

import atexit
import base64
import hmac
import os
import pwd
import grp
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(os.environ.get("ALLTALK_BUILD",
                                       os.path.join(REPO, "build")))
SESSION_BIN = os.path.join(BUILD, "alltalk-session")
ADMIN_BIN = os.path.join(BUILD, "alltalk-admin")
XINETD = "/usr/sbin/xinetd"
PORT = 21025
DEFAULT_ADDRESS = os.environ.get("ALLTALK_TEST_ADDRESS", "127.0.0.2")
HOSTNAME = "a.test"
DOMAINS = "a.test b.test"
CLIENT_NAME = "client.test"
IS_ROOT = os.geteuid() == 0
SERVICE_USER = "nobody"
SERVICE_GROUP = "nogroup"


class HarnessError(Exception):
    pass


# --------------------------------------------------------------------------
# /proc helpers


def _proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return None


def _proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def _pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rindex(")") + 2:].split()[0]
    return state not in ("Z", "X")


def wait_pid_gone(pid, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return not pid_alive(pid)


def _socket_inodes(pid):
    """Socket inodes open in pid; None if its fds cannot be read (a
    process that made itself non-dumpable, seen by a non-root user)."""
    inodes = set()
    fddir = "/proc/%d/fd" % pid
    try:
        names = os.listdir(fddir)
    except PermissionError:
        return None
    except OSError:
        return inodes
    for fd in names:
        try:
            link = os.readlink(os.path.join(fddir, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", link)
        if m:
            inodes.add(int(m.group(1)))
    return inodes


def _hexaddr(address, port):
    packed = socket.inet_aton(address)
    return "%08X:%04X" % (int.from_bytes(packed, "little"), port)


def _tcp_entries():
    """(local, remote, state, inode) of /proc/net/tcp, hex as in the file."""
    out = []
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                out.append((parts[1], parts[2], parts[3], int(parts[9])))
    except OSError:
        pass
    return out


def listening_inode(address, port):
    want = _hexaddr(address, port)
    for local, _remote, state, inode in _tcp_entries():
        if local == want and state == "0A":
            return inode
    return None


# --------------------------------------------------------------------------
# raw client


class ConnectionClosed(Exception):
    pass


class Client:
    """A raw TCP client: send bytes, read whole (multi-line) replies."""

    def __init__(self, address=DEFAULT_ADDRESS, port=PORT, timeout=10.0,
                 greeting=True, server=None):
        before = set(server.session_pids()) if server else set()
        self.sock = socket.create_connection((address, port), timeout=timeout)
        self.buf = b""
        self.greeting = None
        self.pid_hint = None
        if greeting:
            self.greeting = self.read_reply()
            if server:
                # the session that appeared with this connection: used
                # when /proc/PID/fd cannot be read (tests not run as root)
                new = set(server.session_pids()) - before
                if len(new) == 1:
                    self.pid_hint = new.pop()

    # -- I/O
    def settimeout(self, t):
        self.sock.settimeout(t)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed("server closed the connection")
        self.buf += chunk

    def read_line(self):
        """One line including its CRLF (bytes)."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                return line
            self._fill()

    def read_reply(self):
        """(code, [text of each line]) of one reply, multi-line or not.
        The text is what follows 'NNN-' / 'NNN '."""
        lines = []
        while True:
            raw = self.read_line()
            if not raw.endswith(b"\r\n"):
                raise AssertionError("reply line without CRLF: %r" % raw)
            line = raw[:-2].decode("latin-1")
            if len(line) < 3 or not line[:3].isdigit() or \
                    (len(line) > 3 and line[3] not in "- "):
                raise AssertionError("malformed reply line: %r" % raw)
            code = int(line[:3])
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return code, lines
            if lines and len(lines) > 10000:
                raise AssertionError("endless multi-line reply")

    def cmd(self, line):
        """Sends one command line (CRLF added) and reads its reply."""
        if isinstance(line, str):
            line = line.encode("latin-1")
        self.send(line + b"\r\n")
        return self.read_reply()

    def read_data(self):
        """Reads a dot-stuffed data block up to CRLF.CRLF; returns the
        un-stuffed octets (CRLF line ends kept)."""
        out = []
        while True:
            line = self.read_line()
            if line == b".\r\n":
                return b"".join(out)
            if not line.endswith(b"\r\n"):
                raise AssertionError("data line without CRLF: %r" % line)
            if line.startswith(b"."):
                line = line[1:]
            out.append(line)

    def pending(self, wait=0.3):
        """Bytes that arrive within wait seconds (without consuming the
        buffered ones); b'' if none.  Used to prove there is no extra reply."""
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            try:
                chunk = self.sock.recv(65536)
                if chunk == b"":
                    return self.buf + b"<EOF>"
                self.buf += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                return self.buf + b"<EOF>"
        finally:
            self.sock.settimeout(old)
        return self.buf

    def closed_by_server(self, timeout=5.0):
        """True if the server closes the connection within timeout (any
        buffered or further data is discarded)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True

    def server_pid(self):
        return session_pid_for(self.sock, self.pid_hint)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- protocol helpers
    def ehlo(self, name=CLIENT_NAME):
        return self.cmd("EHLO " + name)

    def auth(self, user, password):
        """AUTH CRAM-MD5; returns the final (code, lines)."""
        code, lines = self.cmd("AUTH CRAM-MD5")
        if code != 334:
            return code, lines
        resp = cram_response(user, password, lines[0])
        return self.cmd(resp)

    def login(self, user, password):
        code, lines = self.ehlo()
        if code != 250:
            raise AssertionError("EHLO: %d %r" % (code, lines))
        code, lines = self.auth(user, password)
        if code != 235:
            raise AssertionError("AUTH %s: %d %r" % (user, code, lines))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def cram_response(user, password, challenge_b64):
    """The base64 CRAM-MD5 response line for a base64 challenge."""
    challenge = base64.b64decode(challenge_b64, validate=True)
    digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
    return base64.b64encode(("%s %s" % (user, digest)).encode()).decode()


def session_pid_for(sock, hint=None, timeout=3.0):
    """The pid of the alltalk-session process serving the client socket
    sock, found through /proc/net/tcp and /proc/PID/fd; when those fds
    cannot be read, hint (the session that appeared with the connection)."""
    laddr, lport = sock.getsockname()[:2]
    raddr, rport = sock.getpeername()[:2]
    want_local = _hexaddr(raddr, rport)
    want_remote = _hexaddr(laddr, lport)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        inode = None
        unreadable = False
        for local, remote, _state, ino in _tcp_entries():
            if local == want_local and remote == want_remote:
                inode = ino
                break
        if inode:
            for pid in _pids():
                if _proc_comm(pid) != "alltalk-session":
                    continue
                inodes = _socket_inodes(pid)
                if inodes is None:
                    unreadable = True
                elif inode in inodes:
                    return pid
        if unreadable and hint is not None and pid_alive(hint):
            return hint
        time.sleep(0.05)
    raise HarnessError("no alltalk-session process found for %s:%d"
                       % (laddr, lport))


# --------------------------------------------------------------------------
# the server


_RUNNING = []       # servers started and not yet stopped


@atexit.register
def _stop_leftovers():
    """An interrupted run (Ctrl-C, SIGTERM) leaves no xinetd behind."""
    for server in list(_RUNNING):
        try:
            server.stop()
        except Exception:
            pass


class Server:
    """One AllTalk server under a real xinetd.

    overrides: dict of extra alltalk.conf keys (they replace the defaults
    written here)."""

    def __init__(self, address=DEFAULT_ADDRESS, port=PORT, overrides=None,
                 hostname=HOSTNAME, domains=DOMAINS, wrapper=None,
                 wrapper_as_root=False):
        self.wrapper = list(wrapper or [])  # e.g. strace and its options
        # the wrapper runs as root and drops privileges itself (strace -u)
        self.wrapper_as_root = wrapper_as_root
        self.killed = set()     # session pids a test killed on purpose
        self.address = address
        self.port = port
        self.hostname = hostname
        self.domains = domains.split()
        self.overrides = dict(overrides or {})
        self.proc = None
        self.dir = None

    # -- paths
    @property
    def conf(self):
        return os.path.join(self.dir, "alltalk.conf")

    @property
    def data_dir(self):
        return os.path.join(self.dir, "data")

    @property
    def mail_dir(self):
        return os.path.join(self.dir, "mail")

    @property
    def spool_dir(self):
        return os.path.join(self.dir, "spool")

    @property
    def log_file(self):
        return os.path.join(self.dir, "alltalk.log")

    @property
    def san_dir(self):
        """Where sanitizer reports of SANITIZE=1 builds go."""
        return os.path.join(self.dir, "san")

    def san_reports(self):
        out = []
        for name in sorted(os.listdir(self.san_dir)):
            with open(os.path.join(self.san_dir, name), errors="replace") as f:
                out.append("--- %s\n%s" % (name, f.read()[:4000]))
        return out

    @property
    def xinetd_conf(self):
        return os.path.join(self.dir, "xinetd.conf")

    @property
    def xinetd_log(self):
        return os.path.join(self.dir, "xinetd.log")

    def _chown_service(self, path):
        if IS_ROOT:
            os.chown(path, pwd.getpwnam(SERVICE_USER).pw_uid,
                     grp.getgrnam(SERVICE_GROUP).gr_gid)

    def conf_text(self):
        keys = {
            "hostname": self.hostname,
            "domains": " ".join(self.domains),
            "data_dir": self.data_dir,
            "mail_dir": self.mail_dir,
            "spool_dir": self.spool_dir,
            "log_file": self.log_file,
        }
        keys.update(self.overrides)
        lines = ["# alltalk.conf written by tests/integration/harness.py"]
        for k, v in keys.items():
            lines.append("%s = %s" % (k, v))
        return "\n".join(lines) + "\n"

    def xinetd_text(self):
        if self.wrapper:
            server = self.wrapper[0]
            args = " ".join([a.replace("{dir}", self.dir)
                             for a in self.wrapper[1:]] +
                            [SESSION_BIN, "-c", self.conf])
        else:
            server = SESSION_BIN
            args = "-c " + self.conf
        user = ""
        if IS_ROOT and self.wrapper and self.wrapper_as_root:
            user = "\tuser\t\t= root\n\tgroup\t\t= root\n"
        elif IS_ROOT:
            user = "\tuser\t\t= %s\n\tgroup\t\t= %s\n" % (SERVICE_USER,
                                                        SERVICE_GROUP)
        else:
            # xinetd wants the attribute even when it cannot switch users
            user = "\tuser\t\t= %s\n\tgroup\t\t= %s\n" % (
                pwd.getpwuid(os.geteuid()).pw_name,
                grp.getgrgid(os.getegid()).gr_name)
        return (
            "service alltalk\n{\n"
            "\ttype\t\t= UNLISTED\n"
            "\tport\t\t= %d\n"
            "\tbind\t\t= %s\n"
            "\tsocket_type\t= stream\n"
            "\tprotocol\t= tcp\n"
            "\twait\t\t= no\n"
            "%s"
            "\tserver\t\t= %s\n"
            "\tserver_args\t= %s\n"
            "\tinstances\t= 200\n"
            "\tper_source\t= 200\n"
            "\tcps\t\t= 500 1\n"
            "\tflags\t\t= REUSE\n"
            "\tenv\t\t= ASAN_OPTIONS=log_path=%s/asan:exitcode=66%s "
            "UBSAN_OPTIONS=log_path=%s/ubsan:exitcode=67:print_stacktrace=1\n"
            "\tlog_type\t= FILE %s\n"
            "\tlog_on_success\t= PID HOST EXIT DURATION\n"
            "\tlog_on_failure\t= HOST\n"
            "}\n" % (self.port, self.address, user, server, args,
                     self.san_dir,
                     # LeakSanitizer cannot run under ptrace (strace)
                     ":detect_leaks=0" if self.wrapper else "",
                     self.san_dir, self.xinetd_log))

    # -- life cycle
    def setup_files(self):
        self.dir = tempfile.mkdtemp(prefix="alltalk-it-")
        os.chmod(self.dir, 0o755)
        for d in (self.data_dir, self.mail_dir, self.spool_dir,
                  self.san_dir):
            os.mkdir(d, 0o755)
            self._chown_service(d)
        for sub in ("tmp", "new", "failed"):
            p = os.path.join(self.spool_dir, sub)
            os.mkdir(p, 0o755)
            self._chown_service(p)
        with open(self.log_file, "w"):
            pass
        os.chmod(self.log_file, 0o644)
        self._chown_service(self.log_file)
        self.write_conf()
        with open(self.xinetd_conf, "w") as f:
            f.write(self.xinetd_text())

    def write_conf(self, text=None):
        with open(self.conf, "w") as f:
            f.write(self.conf_text() if text is None else text)
        os.chmod(self.conf, 0o644)

    def start(self):
        if not os.access(XINETD, os.X_OK):
            raise HarnessError("%s is missing: apt-get install xinetd"
                               % XINETD)
        if not os.access(SESSION_BIN, os.X_OK):
            raise HarnessError("%s is missing: run make" % SESSION_BIN)
        if listening_inode(self.address, self.port) is not None:
            raise HarnessError("%s:%d is already in use (a stale server?)"
                               % (self.address, self.port))
        if self.dir is None:
            self.setup_files()
        self.stdout = open(os.path.join(self.dir, "xinetd.out"), "wb")
        self.proc = subprocess.Popen(
            [XINETD, "-dontfork", "-f", self.xinetd_conf,
             "-pidfile", os.path.join(self.dir, "xinetd.pid"),
             "-filelog", os.path.join(self.dir, "xinetd-main.log")],
            stdin=subprocess.DEVNULL, stdout=self.stdout,
            stderr=subprocess.STDOUT)
        _RUNNING.append(self)
        end = time.monotonic() + 5.0
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            ino = listening_inode(self.address, self.port)
            if ino is not None and ino in (_socket_inodes(self.proc.pid)
                                           or ()):
                return self
            time.sleep(0.02)
        diag = self._diagnostics()
        self.stop(remove=False)
        raise HarnessError("xinetd did not listen on %s:%d within 5 s\n%s"
                           % (self.address, self.port, diag))

    def _diagnostics(self):
        out = []
        for name in ("xinetd.out", "xinetd-main.log", "xinetd.log"):
            p = os.path.join(self.dir, name)
            try:
                with open(p, errors="replace") as f:
                    out.append("--- %s\n%s" % (name, f.read()[-3000:]))
            except OSError:
                pass
        return "\n".join(out)

    def session_pids(self):
        """alltalk-session processes of this server (by the conf path)."""
        want = self.conf.encode()
        pids = []
        for pid in _pids():
            argv = _proc_cmdline(pid)
            if argv and any(want == a for a in argv) and \
                    _proc_comm(pid) == "alltalk-session":
                pids.append(pid)
        return pids

    def wait_sessions_gone(self, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not [p for p in self.session_pids() if pid_alive(p)]:
                return True
            time.sleep(0.02)
        return False

    def session_exits(self, timeout=10.0):
        """Waits until xinetd logged an EXIT for every session it started;
        returns ({pid: 'status=N' or 'signal=N'}, [pids without EXIT])."""
        end = time.monotonic() + timeout
        while True:
            starts, exits = set(), {}
            try:
                with open(self.xinetd_log, errors="replace") as f:
                    for line in f:
                        m = re.search(r"START: alltalk pid=(\d+)", line)
                        if m:
                            starts.add(int(m.group(1)))
                        m = re.search(r"EXIT: alltalk "
                                      r"((?:status|signal)=-?\d+) pid=(\d+)",
                                      line)
                        if m:
                            exits[int(m.group(2))] = m.group(1)
            except FileNotFoundError:
                pass
            missing = sorted(starts - set(exits))
            if not missing or time.monotonic() > end:
                return exits, missing
            time.sleep(0.1)

    def stop(self, remove=None):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            self.proc = None
            self.stdout.close()
            if self in _RUNNING:
                _RUNNING.remove(self)
        if self.dir is not None:
            for pid in self.session_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.wait_sessions_gone(5.0)
            if remove is None:
                remove = not os.environ.get("ALLTALK_KEEP_TMP")
            if remove:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- administration
    def admin(self, *args, stdin=None, conf=True):
        """Runs alltalk-admin [-c CONF] ARGS; returns CompletedProcess
        (text mode)."""
        argv = [ADMIN_BIN]
        if conf:
            argv += ["-c", self.conf]
        argv += list(args)
        return subprocess.run(argv, input=stdin, capture_output=True,
                              text=True, timeout=30)

    def add_user(self, address, password):
        r = self.admin("user", "add", address, stdin=password + "\n")
        if r.returncode != 0:
            raise HarnessError("alltalk-admin user add %s: exit %d: %s"
                               % (address, r.returncode, r.stderr))
        return r

    # -- mailboxes
    def maildir(self, address):
        local, domain = address.lower().rsplit("@", 1)
        return os.path.join(self.mail_dir, domain, local)

    def _files(self, path):
        try:
            return sorted(n for n in os.listdir(path) if not n.startswith("."))
        except FileNotFoundError:
            return []

    def new_files(self, address):
        return self._files(os.path.join(self.maildir(address), "new"))

    def cur_files(self, address):
        return self._files(os.path.join(self.maildir(address), "cur"))

    def tmp_files(self, address):
        return self._files(os.path.join(self.maildir(address), "tmp"))

    def tracking_files(self, address):
        return self._files(os.path.join(self.maildir(address), ".Tracking",
                                        "new"))

    def read_new(self, address, name):
        with open(os.path.join(self.maildir(address), "new", name),
                  "rb") as f:
            return f.read()

    def read_tracking(self, address, name):
        with open(os.path.join(self.maildir(address), ".Tracking", "new",
                               name), "rb") as f:
            return f.read()

    def log_text(self):
        try:
            with open(self.log_file, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # -- clients
    def client(self, timeout=10.0, greeting=True):
        return Client(self.address, self.port, timeout=timeout,
                      greeting=greeting, server=self)

    def smtp(self, timeout=10.0):
        s = smtplib.SMTP(timeout=timeout, local_hostname=CLIENT_NAME)
        s.connect(self.address, self.port)
        return s


def enhanced(lines):
    """The enhanced status code at the start of the first reply line."""
    m = re.match(r"(\d\.\d{1,3}\.\d{1,3})(?: |$)", lines[0] if lines else "")
    return m.group(1) if m else None


# --------------------------------------------------------------------------
# test-case base and message helpers



class ServerTestCase(unittest.TestCase):
    """One server per class: set `overrides` (alltalk.conf keys) and
    `users` ({address: password}) in the subclass."""

    overrides = {}
    users = {}
    wrapper = None      # a program xinetd runs instead, with the session
    wrapper_as_root = False  # command line as its last arguments ({dir}:
    server = None            # the server's temporary directory)

    @classmethod
    def setUpClass(cls):
        cls.server = Server(overrides=cls.overrides, wrapper=cls.wrapper,
                            wrapper_as_root=cls.wrapper_as_root)
        try:
            cls.server.start()
            for address, password in cls.users.items():
                cls.server.add_user(address, password)
        except BaseException:
            cls.server.stop(remove=False)
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()

    # -- helpers for subclasses
    def client(self, timeout=10.0):
        c = self.server.client(timeout=timeout)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting[0], 220, c.greeting)
        return c

    def login(self, user, timeout=10.0):
        """A client authenticated as user (password from cls.users)."""
        c = self.client(timeout=timeout)
        c.login(user, self.users[user])
        return c

    def assertReply(self, reply, code, esc=None, msg=None):
        """reply = (code, lines); esc = the enhanced status code expected at
        the start of the first line."""
        got_code, lines = reply
        self.assertEqual(got_code, code, msg or "reply %r" % (reply,))
        if esc is not None:
            self.assertEqual(enhanced(lines), esc,
                             msg or "enhanced code of reply %r" % (reply,))


class ExitStatusCheck:
    """Mixin for ServerTestCase classes: a last test (by name order) that
    every session of the class's server ended with exit status 0, none by
    a signal except those the tests killed on purpose (server.killed).
    This catches crashes and sanitizer reports (SANITIZE=1 builds exit 1)
    that the client never saw."""

    def test_zz_sessions_exited_cleanly(self):
        self.server.wait_sessions_gone(10)
        exits, missing = self.server.session_exits(10)
        self.assertGreater(len(exits), 0, "no session was logged by xinetd")
        self.assertEqual(missing, [], "sessions that never exited")
        self.assertEqual(self.server.san_reports(), [],
                         "sanitizer reports")
        bad = dict((pid, how) for pid, how in exits.items()
                   if how != "status=0" and pid not in self.server.killed)
        self.assertEqual(bad, {}, "sessions that did not exit cleanly "
                         "(see the xinetd log %s)" % self.server.xinetd_log)


def send_message(c, sender, rcpts, body):
    """MAIL/RCPT/DATA on an authenticated raw client; body is the exact
    message data (bytes, CRLF line ends, ending in CRLF, already
    dot-stuffed).  Returns the final reply of DATA.  Fails on any earlier
    refusal."""
    r = c.cmd("MAIL FROM:<%s>" % sender)
    if r[0] != 250:
        raise AssertionError("MAIL FROM:<%s>: %r" % (sender, r))
    for rcpt in rcpts:
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        if r[0] != 250:
            raise AssertionError("RCPT TO:<%s>: %r" % (rcpt, r))
    r = c.cmd("DATA")
    if r[0] != 354:
        raise AssertionError("DATA: %r" % (r,))
    c.send(body + b".\r\n")
    return c.read_reply()


MSGID_RE = re.compile(r"^\d+\.M\d+P\d+Q\d+\.[A-Za-z0-9.-]+$")


def ok_message_id(reply):
    """The message id of a '250 2.0.0 Ok: <id>' reply, or None."""
    code, lines = reply
    if code != 250:
        return None
    m = re.match(r"^2\.0\.0 Ok: <?([^\s<>]+)>?$", lines[-1])
    return m.group(1) if m else None
