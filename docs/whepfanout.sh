#!/bin/sh
# whepfanout.sh: framecast's CPU and memory with N WebRTC viewers (pion
# clients from framecast-whep) of one H.264 camera, against none. Loopback.
#
#   go build -o /tmp/fc ./cmd/framecast ./cmd/framecast-whep
#   PATH=/tmp/fc:$PATH sh docs/whepfanout.sh 10 50
set -eu
dir=$(mktemp -d)
trap 'kill $fc 2>/dev/null; rm -rf "$dir"' EXIT
cat > "$dir/framecast.yaml" <<YAML
listen: 127.0.0.1:18081
webrtc_port: 0
cameras:
  - name: h264
    codec: h264
    idle_timeout: 0s
    source: exec:ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=640x480:rate=30 -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -g 60 -f h264 -
YAML
framecast -config "$dir/framecast.yaml" >"$dir/log" 2>&1 &
fc=$!
sleep 3
# cpu prints framecast's user+system CPU time in clock ticks.
cpu() { awk '{print $14+$15}' /proc/$fc/stat; }
rss() { awk '/VmRSS/ {print $2}' /proc/$fc/status; }
hz=$(getconf CLK_TCK)
c0=$(cpu); sleep 10; c1=$(cpu)
echo "$(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "0 viewers: CPU $(( (c1 - c0) * 1000 / hz / 10 )) ms/s, RSS $(rss) KiB"
for n in "$@"; do
	framecast-whep -url http://127.0.0.1:18081/cam/h264/whep -n "$n" -duration 25s > "$dir/out" &
	w=$!
	sleep 15 # connected, first pictures in
	c0=$(cpu); sleep 10; c1=$(cpu)
	echo "$n viewers: CPU $(( (c1 - c0) * 1000 / hz / 10 )) ms/s, RSS $(rss) KiB"
	wait $w
	head -1 "$dir/out"
	sleep 3
done
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
