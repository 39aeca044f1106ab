package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// options are the settings of one framecast run, as the flags give them.
type options struct {
	listen          string
	source          string
	name            string
	width, height   int
	fps             int
	quality         int
	idleTimeout     time.Duration
	stallTimeout    time.Duration
	snapshotTimeout time.Duration
	writeTimeout    time.Duration
	maxFrameSize    int
	logFormat       string
	logLevel        string
}

// parseFlags reads args into options and checks every value, naming the
// flag and its allowed range in the error.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("framecast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "framecast streams a camera to web browsers as MJPEG.\n\nUsage:\n  framecast [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	size := "640x480"
	maxFrame := "16MiB"
	fs.StringVar(&o.listen, "listen", ":8080", "`address` to serve HTTP on (host:port; port 0 picks a free one)")
	fs.StringVar(&o.source, "source", "testpattern", "where frames come from: testpattern, or file:PATH (a .mjpeg file or a folder of .jpg files)")
	fs.StringVar(&o.name, "name", "camera", "the camera's `name`, shown on the page and in status")
	fs.StringVar(&size, "size", size, "picture size `WxH`, from 16x16 to 7680x4320")
	fs.IntVar(&o.fps, "fps", 30, "frames per second, 1 to 120")
	fs.IntVar(&o.quality, "quality", 80, "JPEG quality of encoded frames, 1 to 100")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 10*time.Second, "stop the camera this long after the last viewer left; 0 keeps it running")
	fs.DurationVar(&o.stallTimeout, "stall-timeout", 5*time.Second, "restart a source that sent no frame for this long")
	fs.DurationVar(&o.snapshotTimeout, "snapshot-timeout", 5*time.Second, "how long a snapshot waits for a picture before answering 503")
	fs.DurationVar(&o.writeTimeout, "write-timeout", 10*time.Second, "drop a viewer whose connection took no data for this long")
	fs.StringVar(&maxFrame, "max-frame-size", maxFrame, "largest JPEG frame accepted from a source (`bytes`, with KiB/MiB suffixes allowed)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	var err error
	if o.width, o.height, err = parseSize(size); err != nil {
		return nil, fmt.Errorf("-size: %w", err)
	}
	if o.maxFrameSize, err = parseBytes(maxFrame); err != nil || o.maxFrameSize < 1024 || o.maxFrameSize > 1<<30 {
		return nil, fmt.Errorf("-max-frame-size: bad value %q: use a size from 1KiB to 1GiB", maxFrame)
	}
	checks := []struct {
		ok  bool
		msg string
	}{
		{o.fps >= 1 && o.fps <= 120, fmt.Sprintf("-fps: %d is out of range: use 1 to 120", o.fps)},
		{o.quality >= 1 && o.quality <= 100, fmt.Sprintf("-quality: %d is out of range: use 1 to 100", o.quality)},
		{o.idleTimeout >= 0, "-idle-timeout: must not be negative"},
		{o.stallTimeout > 0, "-stall-timeout: must be positive"},
		{o.snapshotTimeout > 0, "-snapshot-timeout: must be positive"},
		{o.writeTimeout > 0, "-write-timeout: must be positive"},
		{o.logFormat == "text" || o.logFormat == "json", fmt.Sprintf("-log-format: %q is not text or json", o.logFormat)},
		{validName(o.name), fmt.Sprintf("-name: %q: use 1 to 64 letters, digits, '-', '_' or '.'", o.name)},
	}
	for _, c := range checks {
		if !c.ok {
			return nil, errors.New(c.msg)
		}
	}
	if _, err := parseLevel(o.logLevel); err != nil {
		return nil, err
	}
	if _, port, err := net.SplitHostPort(o.listen); err != nil {
		return nil, fmt.Errorf("-listen: %q is not host:port (for example :8080 or 127.0.0.1:8080)", o.listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("-listen: port %q is not a number from 0 to 65535", port)
	}
	return o, nil
}

// parseSize reads "WxH" within 16x16..7680x4320.
func parseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q is not WxH (for example 1280x720)", s)
	}
	if w < 16 || h < 16 || w > 7680 || h > 4320 {
		return 0, 0, fmt.Errorf("%dx%d is out of range: use 16x16 to 7680x4320", w, h)
	}
	return w, h, nil
}

// parseBytes reads a byte count such as 16MiB, 512KiB, 4MB or 65536.
func parseBytes(s string) (int, error) {
	units := []struct {
		suffix string
		mult   int
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"k", 1 << 10}, {"m", 1 << 20}, {"b", 1}}
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// validName reports whether s may name a camera (it appears in URLs).
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
