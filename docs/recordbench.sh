#!/bin/bash
# Recording one 1280x720@30 H.264 camera against the bare stream, in the same
# run (issue 15): two framecast processes, each with its own copy of the same
# camera (a 2 Mbit/s libx264 clip, keyframe every second, replayed live by
# ffmpeg -re -c copy), one recording to fragmented MP4, one not. Reported:
# framecast's own CPU (utime+stime from /proc/PID/stat; ffmpeg not
# included) and the bytes it wrote, over the same 60 s, and the load average.
#
#   FRAMECAST=/path/to/framecast bash docs/recordbench.sh     # default: framecast on PATH
set -e
FC=${FRAMECAST:-framecast}
WORK=${WORK:-$(mktemp -d)}
cd "$WORK"
[ -f clip.h264 ] || ffmpeg -y -hide_banner -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=30 -t 90 \
  -c:v libx264 -preset ultrafast -b:v 2M -maxrate 2M -bufsize 2M -g 30 -pix_fmt yuv420p -f h264 clip.h264
SRC="exec:ffmpeg -hide_banner -loglevel error -re -framerate 30 -i $PWD/clip.h264 -c copy -f h264 -"
rm -rf rec && mkdir rec
$FC -listen 127.0.0.1:0 -webrtc-port 0 -name bare -codec h264 -source "$SRC" -idle-timeout 0 -log-level warn & A=$!
$FC -listen 127.0.0.1:0 -webrtc-port 0 -name rec -codec h264 -source "$SRC" -idle-timeout 0 -log-level warn \
  -record continuous -record-folder "$PWD/rec" -record-segment 1m -record-min-free 0 & B=$!
trap 'kill $A $B' EXIT
sleep 10
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
wb() { awk '/^write_bytes/{print $2}' /proc/$1/io; }
a0=$(cpu $A); b0=$(cpu $B); w0=$(wb $B); d0=$(du -sb rec | cut -f1); l0=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 60
a1=$(cpu $A); b1=$(cpu $B); w1=$(wb $B); d1=$(du -sb rec | cut -f1); l1=$(cut -d' ' -f1-3 /proc/loadavg)
hz=$(getconf CLK_TCK)
echo "bare stream: framecast CPU $(echo "scale=2; ($a1-$a0)*100/$hz/60" | bc)% of a core"
echo "recording:   framecast CPU $(echo "scale=2; ($b1-$b0)*100/$hz/60" | bc)% of a core"
echo "recording:   $(( (d1-d0)/60 )) B/s into the folder, $(( (w1-w0)/60 )) B/s written to disk (/proc/PID/io)"
echo "files: $(find rec -name '*.mp4' | wc -l); load average before: $l0; after: $l1"
