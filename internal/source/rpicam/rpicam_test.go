package rpicam_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/picture"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/internal/source/rpicam"
)

// bound is the generous overall limit of every wait; never asserted.
const bound = 60 * time.Second

func TestMain(m *testing.M) {
	if err := execsrc.Subreaper(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func TestArgs(t *testing.T) {
	base := []string{"--codec", "mjpeg", "--output", "-", "--timeout", "0", "--nopreview", "--flush"}
	tests := []struct {
		name string
		s    *rpicam.Source
		want []string
	}{
		{"defaults", &rpicam.Source{}, append(base, "--camera", "0")},
		{"everything", &rpicam.Source{Width: 1280, Height: 720, FPS: 25, Quality: 85, HFlip: true, VFlip: true, Rotation: 180, Camera: 1,
			ExtraArgs: []string{"--awb", "indoor"}},
			append(base, "--width", "1280", "--height", "720", "--framerate", "25", "--quality", "85", "--hflip", "--vflip",
				"--rotation", "180", "--camera", "1", "--awb", "indoor")},
		{"vflip only", &rpicam.Source{VFlip: true, Width: 640, Height: 480},
			append(base, "--width", "640", "--height", "480", "--vflip", "--camera", "0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Args(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Args() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		s    *rpicam.Source
		want string
	}{
		{&rpicam.Source{Rotation: 90}, "rpicam: rotation 90 is not supported: use 0 or 180 (with hflip/vflip)"},
		{&rpicam.Source{Quality: 101}, "rpicam: quality 101 is out of range: use 1 to 100"},
		{&rpicam.Source{Camera: -1}, "rpicam: camera index -1 must not be negative"},
		{&rpicam.Source{Width: 1920, Height: 1080, Rotation: 180, Quality: 100}, ""},
	}
	for _, tt := range tests {
		err := tt.s.Check()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Check(%+v) = %q, want %q", tt.s.Args(), got, tt.want)
		}
	}
}

// fakeScript is a stand-in for rpicam-vid: it lists the cameras in
// $FAKE_RPICAM_DIR/list, records its arguments, fails like rpicam-vid with
// no camera while $FAKE_RPICAM_DIR/block exists, and else streams real
// MJPEG from ffmpeg at the size and rate asked for, or with --codec h264
// real libx264 H.264 (with $FAKE_SLICES slices a picture, the keyframe
// interval of --intra).
const fakeScript = `#!/bin/sh
d="$FAKE_RPICAM_DIR"
if [ "$1" = "--list-cameras" ]; then
	cat "$d/list"
	if [ -e "$d/list-fails" ]; then echo "ERROR: *** failed to start camera manager ***" >&2; exit 255; fi
	exit 0
fi
printf '%s\n' "$@" > "$d/args"
if [ -e "$d/block" ]; then echo "ERROR: *** no cameras available ***" >&2; exit 255; fi
w=640 h=480 fps=30 codec=mjpeg intra=60
while [ $# -gt 0 ]; do
	case "$1" in
	--width) w=$2; shift;;
	--height) h=$2; shift;;
	--framerate) fps=$2; shift;;
	--codec) codec=$2; shift;;
	--intra) intra=$2; shift;;
	esac
	shift
done
echo $$ > "$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
if [ "$codec" = h264 ]; then
	exec "$FFMPEG" -hide_banner -loglevel error -re -f lavfi -i "testsrc2=size=${w}x${h}:rate=$fps" \
		-c:v libx264 -preset ultrafast -tune zerolatency -threads 1 -g "$intra" -x264-params "slices=${FAKE_SLICES:-1}" -f h264 -
fi
exec "$FFMPEG" -hide_banner -loglevel error -re -f lavfi -i "testsrc2=size=${w}x${h}:rate=$fps" -f mjpeg -
`

// installFake puts the fake under the given names first on PATH and
// returns its state directory.
func installFake(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(bin, n), []byte(fakeScript), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_RPICAM_DIR", dir)
	return dir
}

func TestFind(t *testing.T) {
	orig := os.Getenv("PATH")
	for _, tt := range []struct {
		installed []string
		want      string
	}{
		{[]string{"rpicam-vid", "libcamera-vid"}, "rpicam-vid"},
		{[]string{"libcamera-vid"}, "libcamera-vid"},
	} {
		t.Setenv("PATH", orig)
		dir := installFake(t, tt.installed...)
		got, err := rpicam.Find()
		if err != nil || got != filepath.Join(dir, "bin", tt.want) {
			t.Errorf("with %v installed: Find() = %q, %v; want %s", tt.installed, got, err, tt.want)
		}
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := rpicam.Find(); !errors.Is(err, rpicam.ErrNotInstalled) {
		t.Errorf("with none installed: Find() error = %v", err)
	}
}

func TestListCameras(t *testing.T) {
	const two = `Available cameras
-----------------
0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)
    Modes: 'SRGGB10_CSI2P' : 1536x864 [120.13 fps - (768, 432)/3072x1728 crop]
                             2304x1296 [56.03 fps - (0, 0)/4608x2592 crop]
                             4608x2592 [14.35 fps - (0, 0)/4608x2592 crop]

1 : ov5647 [2592x1944 10-bit GBRG] (/base/axi/pcie@120000/rp1/i2c@80000/ov5647@36)
    Modes: 'SGBRG10_CSI2P' : 640x480 [58.92 fps - (16, 0)/2560x1920 crop]

`
	tests := []struct {
		name    string
		list    string
		fails   bool
		want    []rpicam.Camera
		wantErr string
	}{
		{name: "two", list: two, want: []rpicam.Camera{
			{Index: 0, Model: "imx708", Info: "4608x2592 10-bit RGGB", ID: "/base/soc/i2c0mux/i2c@1/imx708@1a"},
			{Index: 1, Model: "ov5647", Info: "2592x1944 10-bit GBRG", ID: "/base/axi/pcie@120000/rp1/i2c@80000/ov5647@36"},
		}},
		{name: "none", list: "No cameras available!\n", want: []rpicam.Camera{}},
		{name: "fails", list: "", fails: true, wantErr: "rpicam-vid --list-cameras: exit status 255: ERROR: *** failed to start camera manager ***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := installFake(t, "rpicam-vid")
			if err := os.WriteFile(filepath.Join(dir, "list"), []byte(tt.list), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.fails {
				if err := os.WriteFile(filepath.Join(dir, "list-fails"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := rpicam.ListCameras(context.Background(), "")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ListCameras error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ListCameras = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// isCamera tells camera frames from no-signal cards: ffmpeg's JPEG encoder
// signs its frames with a "Lavc" comment, framecast's card does not.
func isCamera(jpeg []byte) bool { return bytes.Contains(jpeg, []byte("Lavc")) }

// waitPart reads parts until one satisfies ok.
func waitPart(t *testing.T, parts <-chan []byte, what string, ok func([]byte) bool) {
	t.Helper()
	deadline := time.After(bound)
	for {
		select {
		case p, open := <-parts:
			if !open {
				t.Fatalf("stream ended while waiting for %s", what)
			}
			if ok(p) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s on the stream", what)
		}
	}
}

func readPID(t *testing.T, dir string) int {
	t.Helper()
	var pid int
	fake.WaitFor(t, "the fake's pid", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "pid"))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// gone reports whether no process of group pgid is left, zombies included.
func gone(pgid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pgid))
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) && errors.Is(err, os.ErrNotExist)
}

// The whole life of a Pi camera behind framecast: exact flags, frames to a
// viewer, a crash and a camera that is briefly unavailable (no-signal card
// meanwhile, reason in status), recovery, and an idle stop that leaves no
// process behind.
func TestThroughHub(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	dir := installFake(t, "rpicam-vid")
	t.Setenv("FFMPEG", ff)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := &rpicam.Source{Width: 320, Height: 240, FPS: 30, Quality: 70, HFlip: true, VFlip: true, Rotation: 180, Camera: 1,
		Grace: 2 * time.Second, Logger: log}
	h := hub.New(hub.Config{
		Name: "pi", Source: src, Describe: "rpicam", IdleTimeout: 100 * time.Millisecond,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Width: 320, Height: 240,
		NoSignal: func(w, hh int, since time.Duration) ([]byte, error) {
			return picture.NoSignal(w, hh, 70, since)
		},
		Logger: log,
	})
	defer h.Close()
	ts := httptest.NewServer((&server.Server{Cameras: []*hub.Hub{h}, Logger: log}).Handler())
	defer ts.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parts := fake.Stream(ctx, t, ts.URL+"/stream")
	for range 5 {
		waitPart(t, parts, "a camera frame", isCamera)
	}
	args, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	want := "--codec\nmjpeg\n--output\n-\n--timeout\n0\n--nopreview\n--flush\n--width\n320\n--height\n240\n--framerate\n30\n" +
		"--quality\n70\n--hflip\n--vflip\n--rotation\n180\n--camera\n1\n"
	if string(args) != want {
		t.Errorf("rpicam-vid got args\n%s\nwant\n%s", args, want)
	}

	// Crash mid-stream, with the camera unavailable for the next starts.
	first := readPID(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "block"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitPart(t, parts, "a no-signal card", func(p []byte) bool { return !isCamera(p) })
	fake.WaitFor(t, "the reason in /api/status", func() bool {
		return strings.Contains(apiStatus(t, ts.URL).LastError, "rpicam-vid: exit status 255: ERROR: *** no cameras available ***")
	})
	fake.WaitFor(t, "the crashed process to be reaped", func() bool { return gone(first) })

	// The camera comes back: the same viewer sees frames again.
	if err := os.Remove(filepath.Join(dir, "block")); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		waitPart(t, parts, "a camera frame after the restart", isCamera)
	}
	second := readPID(t, dir)
	if second == first {
		t.Fatalf("pid %d did not change after the restart", second)
	}
	if st := h.Status(); st.Restarts < 2 {
		t.Errorf("Restarts = %d, want at least 2 (crash, then no camera)", st.Restarts)
	}

	// The viewer leaves: after the idle timeout nothing is left running.
	cancel()
	fake.WaitFor(t, "the idle stop", func() bool { return h.Status().State == hub.Idle })
	fake.WaitFor(t, "the process group to be gone", func() bool { return gone(second) })
}

func apiStatus(t *testing.T, base string) hub.Status {
	t.Helper()
	resp, err := http.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Cameras []hub.Status }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Cameras) != 1 {
		t.Fatalf("status has %d cameras", len(body.Cameras))
	}
	return body.Cameras[0]
}

// The hub reports the frames every source drops.
var _ hub.Dropper = (*rpicam.Source)(nil)
