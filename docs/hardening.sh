#!/bin/bash
# hardening.sh measures what issue 11 asked to be measured before and after,
# for docs/BENCHMARKS.md. Binaries and footage live under $BENCH (default
# /tmp/fchard), never in git. FRAMECAST=path measures that binary instead
# of one built from this checkout.
#
#   docs/hardening.sh stuck      # file:/dev/zero and a FIFO without writer: CPU %, seconds to exit after SIGTERM
#   docs/hardening.sh bigframes [flags]  # 15 MB frames, 40 slow viewers: RSS
#   docs/hardening.sh stderr     # CPU seconds to take 200 MB of stderr
set -u
BENCH=${BENCH:-/tmp/fchard}
mkdir -p "$BENCH"
SRC=$(cd "$(dirname "$0")/.." && pwd)
FC=${FRAMECAST:-$BENCH/framecast}
[ -n "${FRAMECAST:-}" ] || (cd "$SRC" && go build -o "$FC" ./cmd/framecast) || exit 1

# start SOURCE [flags]: runs framecast on a free port, sets pid and url.
start() {
	src=$1; shift
	"$FC" -listen 127.0.0.1:0 -idle-timeout 0 -source "$src" "$@" >"$BENCH/log" 2>&1 &
	pid=$!
	sleep 3
	url=$(grep -o 'http://127.0.0.1:[0-9]*' "$BENCH/log" | head -1)
}

# stop: SIGTERM, then how long framecast took to exit (at most 30 s).
stop() {
	t0=$(date +%s.%N)
	kill -TERM "$pid"
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		echo "still running 30 s after SIGTERM"; kill -KILL "$pid"
	else
		echo "exited $(echo "$(date +%s.%N) - $t0" | bc) s after SIGTERM"
	fi
	wait "$pid" 2>/dev/null
}

case ${1:-} in
stuck)
	rm -f "$BENCH/fifo"; mkfifo "$BENCH/fifo"
	for src in file:/dev/zero "file:$BENCH/fifo"; do
		start "$src"; sleep 7
		echo "$src: CPU $(ps -o %cpu= -p "$pid")% (average over 10 s)"; stop
	done ;;
bigframes)
	shift
	[ -s "$BENCH/big.mjpeg" ] || python3 - "$BENCH/big.mjpeg" <<'PY'
# Four JPEGs of about 15 MB: small ffmpeg frames padded with APP15 segments.
import struct, subprocess, sys
small = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240",
                        "-frames:v", "4", "-f", "mjpeg", "-"], capture_output=True, check=True).stdout
pad = b"\xff\xef" + struct.pack(">H", 65535) + bytes(65533)
with open(sys.argv[1], "wb") as out:
    for f in small.split(b"\xff\xd8")[1:]:
        out.write(b"\xff\xd8" + pad * 230 + f)
PY
	start "file:$BENCH/big.mjpeg" -fps 5 "$@"
	rss0=$(ps -o rss= -p "$pid")
	# 40 viewers joining 0.25 s apart (each on another frame), each reading 2 MB/s.
	for _ in $(seq 40); do curl -s --limit-rate 2M -o /dev/null "$url/stream" & sleep 0.25; done
	sleep 20
	echo "RSS $((rss0 / 1024)) MB idle, $(($(ps -o rss= -p "$pid") / 1024)) MB with 40 slow viewers"
	stop; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null ;;
stderr)
	start "exec:sh -c 'yes ffmpeg-progress-line-rtsp://admin:pw@cam/s | head -c 200000000 >&2; sleep 1000'"
	sleep 22
	read -r ut st < <(awk '{print $14, $15}' "/proc/$pid/stat")
	echo "CPU $(echo "scale=2; ($ut + $st) / $(getconf CLK_TCK)" | bc) s for 200 MB of stderr"
	stop ;;
*)
	sed -n '2,10p' "$0"; exit 2 ;;
esac
