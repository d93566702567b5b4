#!/bin/sh
# tests/demo.sh: `make demo`.  Sets up a throw-away AllTalk server for
# demo.test (users alice and bob) behind a private xinetd on 127.0.0.2:21025,
# shows a scripted conversation (alice sends to bob; bob lists, retrieves and
# tracks the message; alice reads the tracking records), then keeps serving
# so that you can connect yourself, until Ctrl-C.
#
# Environment: ALLTALK_BUILD (required: the build dir, as make sets it);
# DEMO_SECONDS: serve that many seconds after the conversation, then stop
# (default: until Ctrl-C when stdin is a terminal, 0 otherwise);
# DEMO_ADDR (127.0.0.2), DEMO_PORT (21025).
# The demo area is a temporary directory, removed on exit.
set -eu

B=${ALLTALK_BUILD:?ALLTALK_BUILD must name the build directory}
SESSION=$B/alltalk-session
ADMIN=$B/alltalk-admin
XINETD=/usr/sbin/xinetd
ADDR=${DEMO_ADDR:-127.0.0.2}
PORT=${DEMO_PORT:-21025}

for f in "$SESSION" "$ADMIN" "$XINETD"; do
	if [ ! -x "$f" ]; then
		echo "demo: missing $f (run 'make demo'; xinetd: apt-get install xinetd)" >&2
		exit 1
	fi
done
if ! command -v python3 >/dev/null 2>&1; then
	echo "demo: python3 is needed for the scripted conversation" >&2
	exit 1
fi
if [ -z "${DEMO_SECONDS:-}" ] && ! [ -t 0 ]; then
	DEMO_SECONDS=0
fi
case ${DEMO_SECONDS:-} in
*[!0-9]*) echo "demo: DEMO_SECONDS must be a number of seconds" >&2; exit 2 ;;
esac

DEMO=$(mktemp -d "${TMPDIR:-/tmp}/alltalk-demo.XXXXXX")
XPID=
cleanup() {
	if [ -n "$XPID" ]; then
		kill "$XPID" 2>/dev/null || true
		wait "$XPID" 2>/dev/null || true
		XPID=
	fi
	rm -rf "$DEMO"
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping"; exit 0' INT TERM

chmod 755 "$DEMO"
mkdir "$DEMO/data" "$DEMO/mail" "$DEMO/spool"
: >"$DEMO/alltalk.log"
CONF=$DEMO/alltalk.conf
cat >"$CONF" <<EOF
# alltalk.conf of the demo (tests/demo.sh)
hostname = demo.test
domains = demo.test
data_dir = $DEMO/data
mail_dir = $DEMO/mail
spool_dir = $DEMO/spool
log_file = $DEMO/alltalk.log
EOF
chmod 644 "$CONF"
# As in a real install, the sessions do not run as root.
if [ "$(id -u)" = 0 ]; then
	NOGROUP=$(id -gn nobody)
	chown -R nobody:"$NOGROUP" "$DEMO/data" "$DEMO/mail" "$DEMO/spool" \
	    "$DEMO/alltalk.log"
	RUNAS="user = nobody
	group = $NOGROUP"
else
	RUNAS="user = $(id -un)"
fi
"$SESSION" -c "$CONF" -n

ALICE_PW=alice-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')
BOB_PW=bob-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')
printf '%s\n' "$ALICE_PW" | "$ADMIN" -c "$CONF" user add alice@demo.test
printf '%s\n' "$BOB_PW" | "$ADMIN" -c "$CONF" user add bob@demo.test

cat >"$DEMO/xinetd.conf" <<EOF
# private xinetd of the demo (tests/demo.sh)
service alltalk-demo
{
	type		= UNLISTED
	id		= alltalk-demo
	socket_type	= stream
	protocol	= tcp
	wait		= no
	bind		= $ADDR
	port		= $PORT
	$RUNAS
	server		= $SESSION
	server_args	= -c $CONF
	instances	= 20
	per_source	= 10
	cps		= 50 5
	flags		= REUSE
	log_type	= FILE $DEMO/xinetd-services.log
	log_on_success	= HOST PID DURATION EXIT
	log_on_failure	= HOST
}
EOF
"$XINETD" -dontfork -f "$DEMO/xinetd.conf" -pidfile "$DEMO/xinetd.pid" \
    -filelog "$DEMO/xinetd.log" </dev/null &
XPID=$!
i=0
until grep -q 'Started working: 1 available service' "$DEMO/xinetd.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$XPID" 2>/dev/null; then
		echo "demo: xinetd did not start alltalk-session on $ADDR:$PORT:" >&2
		cat "$DEMO/xinetd.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done

cat <<EOF
== AllTalk demo: server demo.test on $ADDR:$PORT (xinetd pid $XPID)
   demo area: $DEMO
   users: alice@demo.test password $ALICE_PW
          bob@demo.test   password $BOB_PW

EOF

cat >"$DEMO/conversation.py" <<'EOF'
"""The scripted conversation of tests/demo.sh: prints every command (C:)
and reply line (S:), checks each reply, exits 1 on the first surprise."""
import os
import re
import smtplib
import sys

ADDR = os.environ["DEMO_ADDR"]
PORT = int(os.environ["DEMO_PORT"])
USERS = {"alice@demo.test": os.environ["ALICE_PW"],
         "bob@demo.test": os.environ["BOB_PW"]}


class Failed(Exception):
    pass


class Client(smtplib.SMTP):
    """smtplib, showing the wire: C: what we send, S: what we get."""

    def send(self, s):
        text = s.decode("ascii", "replace") if isinstance(s, bytes) else s
        lines = text.split("\r\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            print("C: " + line)
        super().send(s)

    def getreply(self):
        code, msg = super().getreply()
        lines = msg.decode("utf-8", "replace").split("\n")
        for i, line in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            print("S: %d%s%s" % (code, sep, line))
        return code, msg

    def expect(self, code, cmd, *args):
        got, msg = self.docmd(cmd, " ".join(args)) if args else self.docmd(cmd)
        if got != code:
            raise Failed("%s: expected %d, got %d %s"
                         % (cmd, code, got, msg.decode("utf-8", "replace")))
        return msg.decode("utf-8", "replace")

    def read_block(self):
        """A dot-stuffed data block after a 250 reply, un-stuffed."""
        out = []
        while True:
            line = self.file.readline(2000)
            if not line:
                raise Failed("connection closed inside a data block")
            if not line.endswith(b"\r\n"):
                raise Failed("data block line without CRLF: %r" % line)
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            print("S: " + text)
            if line == b".\r\n":
                return b"".join(out)
            out.append(line[1:] if line.startswith(b".") else line)


def login(user):
    print("\n-- %s connects and authenticates with CRAM-MD5" % user)
    c = Client(ADDR, PORT, timeout=15)
    c.ehlo("demo-client.demo.test")
    if not c.has_extn("auth") or "CRAM-MD5" not in c.esmtp_features["auth"]:
        raise Failed("EHLO does not offer AUTH CRAM-MD5")
    c.user, c.password = user, USERS[user]
    code, msg = c.auth("CRAM-MD5", c.auth_cram_md5)
    if code != 235:
        raise Failed("AUTH CRAM-MD5: %d %s" % (code, msg))
    return c


def mbox_list(c, folder):
    msg = c.expect(250, "MBOX", "LIST", folder)
    entries = []
    for line in msg.split("\n")[:-1]:
        parts = line.split(" ")
        if len(parts) != 3 or not parts[1].isdigit():
            raise Failed("MBOX LIST: bad entry line %r" % line)
        entries.append((parts[0], int(parts[1]), parts[2]))
    return entries


def retr(c, ident):
    msg = c.expect(250, "MBOX", "RETR", ident)
    m = re.match(r"(\d+) octets follow", msg)
    if not m:
        raise Failed("MBOX RETR: bad reply %r" % msg)
    data = c.read_block()
    if len(data) != int(m.group(1)):
        raise Failed("MBOX RETR: announced %s octets, got %d"
                     % (m.group(1), len(data)))
    return data


def quit_(c):
    code, _ = c.docmd("QUIT")
    if code != 221:
        raise Failed("QUIT: expected 221, got %d" % code)
    c.close()


def main():
    message = ("From: Alice <alice@demo.test>\r\n"
               "To: Bob <bob@demo.test>\r\n"
               "Subject: Hello from the AllTalk demo\r\n"
               "\r\n"
               "Hi Bob,\r\n"
               "this went from alice to bob through alltalk-session.\r\n"
               ".a line starting with a dot travels dot-stuffed.\r\n"
               "Alice\r\n")

    # 1. alice sends a message to bob.
    c = login("alice@demo.test")
    code, msg = c.mail("alice@demo.test")
    if code != 250:
        raise Failed("MAIL FROM: %d %s" % (code, msg))
    code, msg = c.rcpt("bob@demo.test")
    if code != 250:
        raise Failed("RCPT TO: %d %s" % (code, msg))
    code, msg = c.data(message)
    text = msg.decode("utf-8", "replace")
    m = re.match(r"2\.0\.0 Ok: <?([^<> ]+)>?$", text)
    if code != 250 or not m:
        raise Failed("DATA: expected 250 2.0.0 Ok: <id>, got %d %s" % (code, text))
    msgid = m.group(1)
    quit_(c)

    # 2. bob lists, retrieves and tracks it.
    c = login("bob@demo.test")
    inbox = mbox_list(c, "INBOX")
    mine = [e for e in inbox if e[0] == msgid]
    if not mine or mine[0][2] != "alice@demo.test":
        raise Failed("MBOX LIST: message %s from alice@demo.test not listed"
                     % msgid)
    stored = retr(c, msgid)
    if not stored.startswith(b"Return-Path: <alice@demo.test>\r\n"):
        raise Failed("MBOX RETR: the message does not start with Return-Path")
    if not stored.endswith(message.encode()):
        raise Failed("MBOX RETR: the message text is not what alice sent")
    if len(stored) != mine[0][1]:
        raise Failed("MBOX LIST said %d octets, RETR sent %d"
                     % (mine[0][1], len(stored)))
    msg = c.expect(250, "TRACK", msgid, "DECRYPTED")
    m = re.match(r"2\.0\.0 Tracking record (\S+) queued", msg)
    if not m:
        raise Failed("TRACK: bad reply %r" % msg)
    record = m.group(1)
    quit_(c)

    # 3. alice reads the tracking records of her message.
    c = login("alice@demo.test")
    tracking = mbox_list(c, "TRACKING")
    ids = [e[0] for e in tracking]
    if record not in ids:
        raise Failed("MBOX LIST TRACKING: record %s not listed" % record)
    seen = {}
    for ident, _, who in tracking:
        if who != "bob@demo.test":
            raise Failed("MBOX LIST TRACKING: record for %r, not bob" % who)
        seen[ident] = retr(c, ident).decode("utf-8", "replace")
    csv = seen[record]
    if "DECRYPTED" not in csv or msgid not in csv:
        raise Failed("tracking record %s does not say DECRYPTED for %s"
                     % (record, msgid))
    if not any("DOWNLOADED" in v for v in seen.values()):
        raise Failed("no DOWNLOADED record after bob's MBOX RETR")
    quit_(c)
    print("\n-- conversation ok: message %s sent, listed, retrieved, tracked"
          % msgid)


try:
    main()
except (Failed, OSError, smtplib.SMTPException) as e:
    print("\ndemo: FAILED: %s" % e, file=sys.stderr)
    sys.exit(1)
EOF

if ! DEMO_ADDR=$ADDR DEMO_PORT=$PORT ALICE_PW=$ALICE_PW BOB_PW=$BOB_PW \
    python3 "$DEMO/conversation.py"; then
	echo "demo: server log ($DEMO/alltalk.log):" >&2
	tail -n 30 "$DEMO/alltalk.log" >&2 || true
	exit 1
fi

cat <<EOF

== Your turn.  The server keeps running on $ADDR:$PORT.
   swaks --server $ADDR:$PORT --auth CRAM-MD5 --auth-user alice@demo.test \\
         --auth-password $ALICE_PW --from alice@demo.test --to bob@demo.test
   nc $ADDR $PORT           (netcat-openbsd; then EHLO me, NOOP, QUIT)
   mailboxes: $DEMO/mail/demo.test/{alice,bob}
   server log: $DEMO/alltalk.log
EOF
if [ -n "${DEMO_SECONDS:-}" ]; then
	echo "   (stopping in $DEMO_SECONDS s)"
	sleep "$DEMO_SECONDS"
else
	echo "   Ctrl-C stops the server and removes the demo area."
	wait "$XPID" || true
	XPID=
	echo "demo: xinetd stopped" >&2
	exit 1
fi
echo "demo: done"
