#!/bin/sh
# h264quality.sh: bytes per second and quality (SSIM and PSNR against the
# uncompressed picture) of MJPEG and H.264 at several settings, on the same 10 s
# of 640x480@30, clean (testsrc2) and with sensor-like temporal noise, so the
# two codecs' bandwidth can be compared at equal quality. ffmpeg only.
#
#   sh docs/h264quality.sh
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
x264="-c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -g 60"
raw="-f rawvideo -pix_fmt yuv420p -s 640x480 -r 30"
# each decoded picture is compared with the source picture of the same number
cmp="[0:v]setpts=N/(30*TB)[a];[1:v]setpts=N/(30*TB)[b];[a][b]"
echo "| picture | codec and setting | bytes/s | SSIM | PSNR (dB) |"
echo "|---|---|---|---|---|"
for pic in clean noisy; do
	flt=null
	[ $pic = noisy ] && flt="noise=alls=12:allf=t"
	ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=640x480:rate=30 -t 10 -vf "$flt" $raw src.yuv
	for enc in "MJPEG -q:v 5|-c:v mjpeg -q:v 5 -f mjpeg" \
		"MJPEG -q:v 8|-c:v mjpeg -q:v 8 -f mjpeg" \
		"MJPEG -q:v 15|-c:v mjpeg -q:v 15 -f mjpeg" \
		"H.264 CRF 23|$x264 -f h264" \
		"H.264 CRF 28|$x264 -crf 28 -f h264" \
		"H.264 1 Mbit/s|$x264 -b:v 1M -maxrate 1M -bufsize 500k -f h264" \
		"H.264 700 kbit/s|$x264 -b:v 700k -maxrate 700k -bufsize 350k -f h264"; do
		name=${enc%%|*}
		ffmpeg -hide_banner -loglevel error -y $raw -i src.yuv ${enc#*|} out.bin
		kbs=$(($(stat -c %s out.bin) / 10 / 1000))
		ssim=$(ffmpeg -hide_banner -framerate 30 -i out.bin $raw -i src.yuv -lavfi "${cmp}ssim" -f null - 2>&1 | sed -n 's/.*All:\([0-9.]*\).*/\1/p')
		psnr=$(ffmpeg -hide_banner -framerate 30 -i out.bin $raw -i src.yuv -lavfi "${cmp}psnr" -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p')
		echo "| $pic | $name | $kbs KB/s | $ssim | $psnr |"
	done
done
