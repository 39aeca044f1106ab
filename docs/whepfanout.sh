#!/bin/sh
# whepfanout.sh: WebRTC fan-out of one H.264 camera, framecast against a
# minimal pion broadcaster (cmd/whep-reference, pion's defaults), in the
# same sitting: for each N, a fresh server of each kind, its CPU and RSS
# with the camera running and no viewer, then with N pion viewers
# (framecast-whep, which measures the server's CPU over its window, after
# every viewer's first picture). Both get the same ffmpeg command's H.264
# (its CPU is not counted). Loopback only.
#
#   go build -o /tmp/fc ./cmd/framecast ./cmd/framecast-whep ./cmd/whep-reference
#   PATH=/tmp/fc:$PATH sh docs/whepfanout.sh 10 100
#   SIZE=320x240 RATE=15 PATH=/tmp/fc:$PATH sh docs/whepfanout.sh 300
#
# SERVERS lists what to run, in order (default "framecast reference"): a
# name other than reference is a framecast binary in PATH, so an older
# build can run in the same sitting (SERVERS="framecast-old framecast").
set -eu
size=${SIZE:-640x480}
rate=${RATE:-30}
dur=${DURATION:-20s}
servers=${SERVERS:-framecast reference}
camera="ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=$size:rate=$rate -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -g $((2 * rate)) -f h264 -"
dir=$(mktemp -d)
pids=
trap 'kill $pids 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/framecast.yaml" <<YAML
listen: 127.0.0.1:18081
webrtc_port: 0
max_viewers: 1000
cameras:
  - name: h264
    codec: h264
    idle_timeout: 0s
    source: exec:$camera
YAML

# start runs server $1 (reference, or a framecast binary in PATH) and sets
# pid and url.
start() {
	case $1 in
	reference)
		rm -f "$dir/h264" && mkfifo "$dir/h264"
		$camera >"$dir/h264" &
		pids=$!
		whep-reference -listen 127.0.0.1:18082 <"$dir/h264" >"$dir/log" 2>&1 &
		pid=$! pids="$pids $pid" url=http://127.0.0.1:18082/whep ;;
	*)
		"$1" -config "$dir/framecast.yaml" >"$dir/log" 2>&1 &
		pid=$! pids=$pid url=http://127.0.0.1:18081/cam/h264/whep ;;
	esac
}
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
hz=$(getconf CLK_TCK)

echo "$(date -u +%FT%TZ) $size@$rate, window $dur; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "$@"; do
	for s in $servers; do
		start "$s"
		sleep 3 # the camera is running
		c0=$(cpu); sleep 5; c1=$(cpu)
		echo "$s, no viewer: CPU $(( (c1 - c0) * 1000 / hz / 5 )) ms/s, RSS $(rss) KiB"
		framecast-whep -url "$url" -n "$n" -duration "$dur" -pid "$pid" | sed "s/^/$s, /"
		kill $pids
		wait $pids 2>/dev/null || true
		pids=
		sleep 2
	done
done
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
