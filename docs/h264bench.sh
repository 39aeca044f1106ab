#!/bin/sh
# h264bench.sh: bytes per second per viewer of the same picture as H.264 over
# WebRTC and as MJPEG, in one run of one framecast, and a new WebRTC viewer's
# time to its first IDR picture (GOP cache) beside the wait for the camera's
# next one (what a server without the cache gives). Loopback only.
#
#   go build -o /tmp/fc ./cmd/framecast ./cmd/framecast-load ./cmd/framecast-whep
#   PATH=/tmp/fc:$PATH sh docs/h264bench.sh
#   RATE='-b:v 1M -maxrate 1M -bufsize 500k' PATH=/tmp/fc:$PATH sh docs/h264bench.sh
set -eu
size=${SIZE:-640x480}
rate=${RATE:-}
dur=${DURATION:-20s}
dir=$(mktemp -d)
trap 'kill $fc 2>/dev/null; rm -rf "$dir"' EXIT
cat > "$dir/framecast.yaml" <<YAML
listen: 127.0.0.1:18080
webrtc_port: 0
cameras:
  - name: h264
    codec: h264
    idle_timeout: 0s
    source: exec:ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=$size:rate=30 -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -g 60 $rate -f h264 -
  - name: mjpeg
    idle_timeout: 0s
    source: exec:ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=$size:rate=30 -c:v mjpeg -q:v 5 -f mjpeg -
YAML
framecast -config "$dir/framecast.yaml" >"$dir/log" 2>&1 &
fc=$!
sleep 3
echo "== $(date -u +%FT%TZ) $size@30, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "-- H.264 over WebRTC (libx264 veryfast zerolatency, ${rate:-CRF 23}, keyframe every 2 s)"
framecast-whep -url http://127.0.0.1:18080/cam/h264/whep -n 1 -duration "$dur"
echo "-- MJPEG (-q:v 5)"
framecast-load -url http://127.0.0.1:18080/cam/mjpeg/stream -n 1 -warmup 2s -duration "$dur" 2>&1 | grep -i -E "throughput|MB/s|bytes|fps" | head -5
echo "-- new WebRTC viewers, one after another"
for i in 1 2 3 4 5; do
	framecast-whep -url http://127.0.0.1:18080/cam/h264/whep -n 1 -duration 2.5s | grep first
	sleep 0.$((i * 3))
done
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
