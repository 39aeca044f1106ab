// Command framecast-latency measures how late framecast's page shows a
// camera's pictures in Chromium, over WebRTC and as MJPEG, by a clock
// burned into the picture and read back in the browser.
//
// framecast-latency clock writes raw yuv420p pictures to stdout, each
// stamped with the wall-clock time (ms) at which it is written, as a
// barcode of big black and white cells across the top of the picture
// (code.go). Piped into ffmpeg, it is a camera whose every picture says
// when it left for the encoder:
//
//	framecast-latency clock -size 640x480 -fps 30 | ffmpeg -f rawvideo -pix_fmt yuv420p \
//	  -video_size 640x480 -framerate 30 -i - -c:v libx264 -tune zerolatency -f h264 -
//
// framecast-latency measure opens framecast's own page in headless
// Chromium on such cameras and reads the stamps of the pictures its real
// players show: for WebRTC at each requestVideoFrameCallback of the
// <video>, for MJPEG at the first animation frame that shows a new picture
// in the <img>. Latency is the browser's Date.now() then minus the stamp,
// so it includes the encoder's time. It then opens the page afresh, -joins
// times at random moments, to time a new viewer's first picture:
//
//	framecast-latency measure -url http://127.0.0.1:18080/ -webrtc h264 -mjpeg mjpeg
//
// docs/latency.sh runs both against a framecast with two such cameras.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "framecast-latency:", err)
		os.Exit(1)
	}
}

const usage = "usage: framecast-latency clock|measure [flags] (see -h of each)"

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	switch args[0] {
	case "clock":
		return runClockCmd(ctx, args[1:], stdout)
	case "measure":
		return runMeasure(args[1:], stdout)
	}
	return fmt.Errorf("unknown mode %q; %s", args[0], usage)
}

func runClockCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("clock", flag.ContinueOnError)
	size := fs.String("size", "640x480", "picture `WxH`")
	fps := fs.Int("fps", 30, "pictures a second")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w, h, err := parseSize(*size)
	if err != nil {
		return err
	}
	return runClock(ctx, stdout, w, h, *fps)
}

func parseSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("size %q: want WIDTHxHEIGHT, as 640x480", s)
	}
	return w, h, nil
}

// measureConfig is what measure does.
type measureConfig struct {
	base          string // framecast's page, http://host:port/
	webrtc, mjpeg string // camera names; empty skips one
	chromium      string
	samples       int
	rounds        int // tabs the samples are taken in
	warmup        time.Duration
	joins         int
	spread        time.Duration // joins fall at random within it
	joinFrames    int           // pictures a joining viewer waits for
	trace         bool          // write each join's pictures
}

func runMeasure(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	var c measureConfig
	fs.StringVar(&c.base, "url", "http://127.0.0.1:8080/", "framecast's page `URL`")
	fs.StringVar(&c.webrtc, "webrtc", "", "`name` of an H.264 camera stamped by clock, played over WebRTC")
	fs.StringVar(&c.mjpeg, "mjpeg", "", "`name` of an MJPEG camera stamped by clock")
	fs.StringVar(&c.chromium, "chromium", "/usr/bin/chromium", "the Chromium `binary`")
	fs.IntVar(&c.samples, "samples", 300, "pictures to read per camera")
	fs.IntVar(&c.rounds, "tabs", 3, "tabs the pictures are read in, one after another")
	fs.DurationVar(&c.warmup, "warmup", 3*time.Second, "how long a page plays before its pictures count")
	fs.IntVar(&c.joins, "joins", 12, "new viewers per camera, one after another")
	fs.DurationVar(&c.spread, "spread", 2*time.Second, "each join waits a random time up to this, to fall at a random phase of the keyframe interval")
	fs.IntVar(&c.joinFrames, "join-frames", 30, "pictures each new viewer watches")
	fs.BoolVar(&c.trace, "trace", false, "write each new viewer's steps and pictures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.rounds < 1 || c.samples < c.rounds {
		return fmt.Errorf("-tabs %d, -samples %d: want at least one tab and a picture per tab", c.rounds, c.samples)
	}
	if c.webrtc == "" && c.mjpeg == "" {
		return fmt.Errorf("name a camera with -webrtc or -mjpeg")
	}
	if !strings.HasSuffix(c.base, "/") {
		c.base += "/"
	}
	return measure(c, stdout)
}

// measure runs the steady and join measurements of c's cameras and
// writes their figures to w.
func measure(c measureConfig, w io.Writer) error {
	b, err := newBrowser(c.chromium)
	if err != nil {
		return err
	}
	defer b.close()
	type cam struct{ label, name string }
	var cams []cam
	if c.webrtc != "" {
		cams = append(cams, cam{"WebRTC (" + c.webrtc + ")", c.webrtc})
	}
	if c.mjpeg != "" {
		cams = append(cams, cam{"MJPEG (" + c.mjpeg + ")", c.mjpeg})
	}
	fmt.Fprintf(w, "latency, %d pictures per camera in %d tabs, each after %v of play, one tab at a time:\n", c.samples, c.rounds, c.warmup)
	for _, cm := range cams {
		var runs []steadyRun
		for r := range c.rounds {
			n := c.samples / c.rounds
			if r < c.samples%c.rounds {
				n++
			}
			st, before, after, err := b.steady(c.base, cm.name, c.warmup, n)
			if err != nil {
				return fmt.Errorf("%s: %w", cm.label, err)
			}
			if cm.name != c.webrtc {
				before, after = nil, nil
			}
			runs = append(runs, steadyRun{st, before, after})
		}
		steadyReport(w, cm.label, runs)
	}
	if c.joins <= 0 {
		return nil
	}
	fmt.Fprintf(w, "new viewers: a fresh tab each, opened at a random moment within %v:\n", c.spread)
	for _, cm := range cams {
		var js []join
		for i := range c.joins {
			st, stats, err := b.join(c.base, cm.name, c.spread, c.joinFrames)
			if err != nil {
				return fmt.Errorf("%s: %w", cm.label, err)
			}
			j := joinOf(st)
			j.stats = stats
			js = append(js, j)
			if c.trace {
				traceJoin(w, fmt.Sprintf("%s join %d", cm.label, i+1), st, stats)
			}
		}
		joinReport(w, cm.label, js)
	}
	return nil
}
