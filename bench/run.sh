#!/bin/sh
# bench/run.sh: `make bench`.  Starts one private xinetd on 127.0.0.2 with
# two services, alltalk-session and a do-nothing baseline (noop-handler),
# drives both with bench/loadgen, and prints sessions/s, the ratio of a
# full mail session against the baseline, the peak RSS and the CPU time of
# one alltalk-session per connection.
#
# Environment: ALLTALK_BUILD (required: the build dir, as make sets it);
# BENCH_ADDR (127.0.0.2), BENCH_PORT (21025; the baseline uses PORT+1),
# BENCH_N1 (sessions at 1 client, 1000), BENCH_N8 (sessions at 8 clients,
# 4000), BENCH_DIR (where the temporary run directory goes, /var/tmp: mail
# is fsynced there, so it must not be a tmpfs for an honest figure).
set -eu

B=${ALLTALK_BUILD:?ALLTALK_BUILD must name the build directory}
SESSION=$B/alltalk-session
ADMIN=$B/alltalk-admin
LOADGEN=$B/bench/loadgen
NOOP=$B/bench/noop-handler
XINETD=/usr/sbin/xinetd
ADDR=${BENCH_ADDR:-127.0.0.2}
PORT=${BENCH_PORT:-21025}
NOOP_PORT=$((PORT + 1))
N1=${BENCH_N1:-1000}
N8=${BENCH_N8:-4000}
USER_ADDR=bench@bench.test

case $ADDR in
127.*) ;;
*) echo "bench: BENCH_ADDR must be a loopback address (127.x.y.z)" >&2; exit 2 ;;
esac
for f in "$SESSION" "$ADMIN" "$LOADGEN" "$NOOP" "$XINETD"; do
	if [ ! -x "$f" ]; then
		echo "bench: missing $f (run 'make bench'; xinetd: apt-get install xinetd)" >&2
		exit 1
	fi
done

RUN=$(mktemp -d "${BENCH_DIR:-/var/tmp}/alltalk-bench.XXXXXX")
XPID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	if [ -n "$XPID" ]; then
		kill "$XPID" 2>/dev/null || true
		wait "$XPID" 2>/dev/null || true
	fi
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(stat -f -c %T "$RUN")" = tmpfs ]; then
	echo "bench: warning: $RUN is on tmpfs, where fsync costs nothing:" \
	    "the mail figures are flattered (set BENCH_DIR)" >&2
fi

# The services run as nobody, as they would as `alltalk` in a real install;
# without root they run as the caller.
if [ "$(id -u)" = 0 ]; then
	RUNAS="user = nobody
	group = $(id -gn nobody)"
	LOADGEN_AS="-U nobody"
else
	RUNAS="user = $(id -un)"
	LOADGEN_AS=
fi

chmod 755 "$RUN"
mkdir "$RUN/data" "$RUN/mail" "$RUN/spool"
CONF=$RUN/alltalk.conf
cat >"$CONF" <<EOF
# alltalk.conf written by bench/run.sh
hostname = bench.test
domains = bench.test
data_dir = $RUN/data
mail_dir = $RUN/mail
spool_dir = $RUN/spool
EOF
chmod 644 "$CONF"
if [ "$(id -u)" = 0 ]; then
	chown -R nobody:"$(id -gn nobody)" "$RUN/data" "$RUN/mail" "$RUN/spool"
fi
"$SESSION" -c "$CONF" -n

PASSWORD=bench-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" | "$ADMIN" -c "$CONF" user add "$USER_ADDR"

cat >"$RUN/xinetd.conf" <<EOF
# private xinetd written by bench/run.sh
defaults
{
	instances	= 200
}

service alltalk-bench
{
	type		= UNLISTED
	id		= alltalk-bench
	socket_type	= stream
	protocol	= tcp
	wait		= no
	bind		= $ADDR
	port		= $PORT
	$RUNAS
	server		= $SESSION
	server_args	= -c $CONF
	instances	= 200
	per_source	= 200
	cps		= 10000 1
	flags		= REUSE
	log_type	= FILE $RUN/xinetd-services.log
	log_on_success	= HOST PID DURATION EXIT
	log_on_failure	= HOST
}

service noop-bench
{
	type		= UNLISTED
	id		= noop-bench
	socket_type	= stream
	protocol	= tcp
	wait		= no
	bind		= $ADDR
	port		= $NOOP_PORT
	$RUNAS
	server		= $NOOP
	instances	= 200
	per_source	= 200
	cps		= 10000 1
	flags		= REUSE
	log_type	= FILE $RUN/xinetd-services.log
	log_on_success	= HOST PID DURATION EXIT
	log_on_failure	= HOST
}
EOF

"$XINETD" -dontfork -f "$RUN/xinetd.conf" -pidfile "$RUN/xinetd.pid" \
    -filelog "$RUN/xinetd.log" &
XPID=$!
i=0
until grep -q 'Started working: 2 available services' "$RUN/xinetd.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$XPID" 2>/dev/null; then
		echo "bench: xinetd did not start both services on $ADDR:$PORT,$NOOP_PORT:" >&2
		cat "$RUN/xinetd.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done

CLK_TCK=$(getconf CLK_TCK)
# CPU time (ticks) of xinetd's reaped children: every session process.
child_ticks() {
	sed 's/^.*) //' "/proc/$XPID/stat" | awk '{ print $14 + $15 }'
}
field() {	# field NAME LINE
	printf '%s\n' "$2" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}

STATUS=0
OUT=
# run LABEL SESSIONS LOADGEN-ARGS...: one load run; sets OUT and CPU_MS.
run() {
	label=$1
	n=$2
	shift 2
	before=$(child_ticks)
	if ! OUT=$("$LOADGEN" -a "$ADDR" -n "$n" "$@"); then
		STATUS=1
		echo "bench: $label: some sessions FAILED" >&2
	fi
	# let xinetd reap the last children before reading their CPU time
	sleep 0.3
	after=$(child_ticks)
	CPU_MS=$(awk -v d=$((after - before)) -v n="$n" -v hz="$CLK_TCK" \
	    'BEGIN { printf "%.2f", d * 1000 / hz / n }')
	printf '%-22s %s cpu_ms_per_conn=%s\n' "$label" "${OUT#loadgen: }" "$CPU_MS"
}

echo "bench: xinetd on $ADDR: alltalk-session :$PORT, baseline noop-handler :$NOOP_PORT; run dir $RUN"
MAILARGS="-p $PORT -m mail -u $USER_ADDR -w $PASSWORD -r $USER_ADDR"

run "baseline noop 1c" "$N1" -p "$NOOP_PORT" -m noop -c 1
NOOP1=$(field rate "$OUT")
run "baseline noop 8c" "$N8" -p "$NOOP_PORT" -m noop -c 8
NOOP8=$(field rate "$OUT")
run "alltalk noop 1c" "$N1" -p "$PORT" -m noop -c 1
SNOOP1=$(field rate "$OUT")
run "alltalk noop 8c" "$N8" -p "$PORT" -m noop -c 8
SNOOP8=$(field rate "$OUT")
# shellcheck disable=SC2086
run "alltalk mail 1c" "$N1" $MAILARGS -c 1
MAIL1=$(field rate "$OUT")
MAILCPU1=$CPU_MS
# shellcheck disable=SC2086
run "alltalk mail 8c" "$N8" $MAILARGS -c 8
MAIL8=$(field rate "$OUT")
MAILCPU8=$CPU_MS

DELIVERED=$(find "$RUN/mail/bench.test/bench/new" -type f | wc -l)
echo "bench: messages in the mailbox: $DELIVERED"

# One alltalk-session per mail session on a socketpair, no xinetd: peak
# RSS (VmHWM of its own image, and ru_maxrss from wait4) and user+sys CPU.
# shellcheck disable=SC2086
if ! ONE=$("$LOADGEN" -e "$SESSION -c $CONF" $LOADGEN_AS -n 50 -c 1 \
    -m mail -u "$USER_ADDR" -w "$PASSWORD"); then
	STATUS=1
	echo "bench: direct sessions FAILED" >&2
fi
printf '%-22s %s\n' "alltalk mail direct" "${ONE#loadgen: }"
HWM=$(field hwm_kib "$ONE")
MAXRSS=$(field maxrss_kib "$ONE")
# The larger of the two: VmHWM misses nothing of the server's own image,
# ru_maxrss may include the forked copy of loadgen that ran before exec.
PEAK=$(awk -v a="${HWM:-0}" -v b="${MAXRSS:-0}" 'BEGIN { print (a > b ? a : b) }')
CPU1=$(field cpu_ms_per_session "$ONE")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "n/a" }'; }
R1=$(ratio "$NOOP1" "$MAIL1")
R8=$(ratio "$NOOP8" "$MAIL8")
RS1=$(ratio "$NOOP1" "$SNOOP1")
RS8=$(ratio "$NOOP8" "$SNOOP8")
echo
echo "bench: noop 1c=$NOOP1 s/s 8c=$NOOP8 s/s; alltalk noop 1c=$SNOOP1 8c=$SNOOP8;" \
    "mail 1c=$MAIL1 8c=$MAIL8 s/s"
echo "bench: ratio mail/noop 1c=$R1 8c=$R8 (target >= 0.5);" \
    "alltalk-noop/noop 1c=$RS1 8c=$RS8"
echo "bench: peak RSS=$PEAK KiB (VmHWM $HWM, ru_maxrss $MAXRSS) (target <= 4096);" \
    "cpu/conn=$CPU1 ms alone, $MAILCPU1 ms at 1c, $MAILCPU8 ms at 8c under xinetd"
if [ "$STATUS" != 0 ]; then
	echo "bench: FAILED: some sessions failed (see above)" >&2
	tail -n 20 "$RUN/xinetd-services.log" >&2 2>/dev/null || true
fi
exit "$STATUS"
