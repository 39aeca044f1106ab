#!/bin/sh
# latency.sh: how late framecast's page shows a camera's pictures in headless
# Chromium, over WebRTC (H.264) and as MJPEG side by side in one run of one
# framecast, and how long a new viewer waits for its first picture. Each
# camera is `framecast-latency clock` (raw pictures stamped with the time they
# leave for the encoder) piped into ffmpeg: libx264 veryfast zerolatency with
# a keyframe every 2 s, or MJPEG -q:v 5 with slice threads (ffmpeg's default
# frame threads hold two pictures back, 65 ms at 30 fps). Loopback only.
#
#   go build -o /tmp/fc/ ./cmd/framecast ./cmd/framecast-latency
#   PATH=/tmp/fc:$PATH /work/bin/quiet sh docs/latency.sh
#
# SAMPLES, JOINS, SIZE and FPS change the defaults; extra arguments go to
# framecast-latency measure (-tabs, -warmup, -trace, ...).
set -eu
size=${SIZE:-640x480}
fps=${FPS:-30}
dir=$(mktemp -d)
trap 'kill $fc 2>/dev/null; rm -rf "$dir"' EXIT
clock="framecast-latency clock -size $size -fps $fps | ffmpeg -hide_banner -loglevel error -f rawvideo -pix_fmt yuv420p -video_size $size -framerate $fps -i -"
cat > "$dir/framecast.yaml" <<YAML
listen: 127.0.0.1:18081
webrtc_port: 0
cameras:
  - name: h264
    codec: h264
    idle_timeout: 0s
    source: exec:sh -c "exec $clock -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -g $((2 * fps)) -sc_threshold 0 -f h264 -"
  - name: mjpeg
    idle_timeout: 0s
    source: exec:sh -c "exec $clock -thread_type slice -c:v mjpeg -q:v 5 -f mjpeg -"
YAML
framecast -config "$dir/framecast.yaml" >"$dir/log" 2>&1 &
fc=$!
sleep 2
echo "== $(date -u +%FT%TZ) $size@$fps, $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
framecast-latency measure -url http://127.0.0.1:18081/ -webrtc h264 -mjpeg mjpeg \
	-samples "${SAMPLES:-300}" -joins "${JOINS:-12}" "$@" || { cat "$dir/log"; exit 1; }
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
