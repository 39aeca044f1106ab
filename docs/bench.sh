#!/bin/sh
# bench.sh measures framecast against the raw-socket reference with
# framecast-load, for docs/BENCHMARKS.md. Footage and binaries live under
# $BENCH (default /tmp/fcbench), never in git.
#
#   docs/bench.sh footage                 # make the test footage only
#   docs/bench.sh run SIZE N [SLOW] [SECONDS] [extra framecast-load flags]
#   docs/bench.sh table SIZE [SECONDS]    # N = 1 10 100 500 1000 2000
#   docs/bench.sh lowat SIZE N BYTES      # the reference without and with TCP_NOTSENT_LOWAT
#
# FRAMECAST=path benchmarks that binary instead of this checkout's.
# ROUNDS (default 1) alternates that many rounds of SECONDS per server.
#
# SIZE is 640x480 or 1280x720. Every run starts framecast and the reference
# fresh on 127.0.0.1, measures the reference and framecast in the same
# framecast-load run, prints the table and a JSON line, and stops both.
set -eu
BENCH=${BENCH:-/tmp/fcbench}
# SRC is the source tree to build; by default this checkout.
SRC=${SRC:-$(cd "$(dirname "$0")/.." && pwd)}
mkdir -p "$BENCH"

footage() {
	# testsrc2 with moving noise compresses like a real scene: about 41 KB
	# per 640x480 frame and 100 KB per 1280x720 frame at -q:v 3.
	for fs in 640x480 1280x720; do
		[ -s "$BENCH/$fs.mjpeg" ] && continue
		ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=$fs:rate=30" -t 10 \
			-vf noise=alls=5:allf=t -q:v 3 -f mjpeg "$BENCH/$fs.mjpeg"
	done
}

# FRAMECAST=path runs that framecast binary instead of building one, to
# compare two builds (one with a change reverted) on the same machine.
build() {
	(cd "$SRC" && CGO_ENABLED=0 go build -o "$BENCH/framecast-load" ./cmd/framecast-load)
	if [ -n "${FRAMECAST:-}" ]; then
		cp "$FRAMECAST" "$BENCH/framecast"
	else
		(cd "$SRC" && CGO_ENABLED=0 go build -o "$BENCH/framecast" ./cmd/framecast)
	fi
}

# run SIZE N [SLOW] [SECONDS] [flags...]
run() {
	size=$1 n=$2 slow=${3:-0} secs=${4:-10}
	shift 2; [ $# -gt 0 ] && shift; [ $# -gt 0 ] && shift
	footage
	f="$BENCH/$size.mjpeg"
	"$BENCH/framecast-load" -reference -listen 127.0.0.1:0 -file "$f" -fps 30 >"$BENCH/ref.out" 2>&1 &
	ref=$!
	"$BENCH/framecast" -source "file:$f" -fps 30 -listen 127.0.0.1:0 -idle-timeout 0 \
		-log-level warn ${FRAMECAST_FLAGS:-} >"$BENCH/fc.out" 2>&1 &
	fc=$!
	trap 'kill $ref $fc 2>/dev/null || true' EXIT INT TERM
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -q 'on 127' "$BENCH/ref.out" 2>/dev/null && grep -q 'at http' "$BENCH/fc.out" 2>/dev/null && break
		sleep 0.3
	done
	refaddr=$(sed -n 's/.* on \(127[0-9.:]*\).*/\1/p' "$BENCH/ref.out")
	fcurl=$(sed -n 's/.* at \(http:[^ ]*\).*/\1/p' "$BENCH/fc.out")
	"$BENCH/framecast-load" -url "${fcurl}stream" -pid $fc -ref "$refaddr" -ref-pid $ref \
		-n "$n" -slow "$slow" -duration "${secs}s" -rounds "${ROUNDS:-1}" -label "$size" "$@"
	kill $ref $fc 2>/dev/null || true
	wait $ref $fc 2>/dev/null || true
	trap - EXIT INT TERM
}

# lowat SIZE N BYTES: two references in one run, the second with
# TCP_NOTSENT_LOWAT=BYTES, to show what the option costs fast viewers.
lowat() {
	footage
	f="$BENCH/$1.mjpeg"
	"$BENCH/framecast-load" -reference -listen 127.0.0.1:0 -file "$f" -fps 30 >"$BENCH/refa.out" 2>&1 &
	a=$!
	"$BENCH/framecast-load" -reference -listen 127.0.0.1:0 -file "$f" -fps 30 -lowat "$3" >"$BENCH/refb.out" 2>&1 &
	b=$!
	trap 'kill $a $b 2>/dev/null || true' EXIT INT TERM
	sleep 1
	aa=$(sed -n 's/.* on \(127[0-9.:]*\).*/\1/p' "$BENCH/refa.out")
	bb=$(sed -n 's/.* on \(127[0-9.:]*\).*/\1/p' "$BENCH/refb.out")
	"$BENCH/framecast-load" -ref "$aa" -ref-pid $a -url "tcp://$bb" -pid $b -url-name "ref-lowat$3" \
		-n "$2" -duration 5s -warmup 2s -rounds 3 -label "$1 lowat $3"
	kill $a $b 2>/dev/null || true
	wait $a $b 2>/dev/null || true
	trap - EXIT INT TERM
}

case ${1:-} in
footage) footage ;;
run) shift; build; run "$@" ;;
lowat) shift; build; lowat "$@" ;;
table)
	build
	for n in 1 10 100 500 1000 2000; do run "$2" $n 0 "${3:-10}"; done
	;;
*) sed -n '2,17p' "$0"; exit 2 ;;
esac
