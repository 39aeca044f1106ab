//go:build v4l2guest

package v4l2src

// Whole-stack tests: a real V4L2 device (vivid, v4l2loopback) through the
// Source, the hub and the HTTP server to a real HTTP client on 127.0.0.1,
// as framecast runs them. Like device_test.go, they run inside the VM that
// TestVM boots (whose init brings up lo), or wherever these drivers exist.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/picture"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/pkg/mjpeg"
	"github.com/framecast/framecast/pkg/v4l2"
)

// stack is one camera served over HTTP on 127.0.0.1.
type stack struct {
	hub *hub.Hub
	url string // http://127.0.0.1:port

	mu       sync.Mutex
	noSignal map[string]bool // no-signal cards rendered
}

// serveStack serves s as the camera "cam" until the test ends. The hub
// retries quickly after a failure and remembers the no-signal cards it
// renders, so a viewer can tell them from the camera's frames.
func serveStack(t *testing.T, s *Source) *stack {
	t.Helper()
	st := &stack{noSignal: map[string]bool{}}
	quiet := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		quiet = slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	st.hub = hub.New(hub.Config{
		Name: "cam", Source: s, Describe: "v4l2 " + s.Device, IdleTimeout: time.Minute,
		StallTimeout: patience, // a busy host is not a stalled camera
		MinBackoff:   200 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, Logger: quiet,
		NoSignal: func(w, h int, since time.Duration) ([]byte, error) {
			b, err := picture.NoSignal(w, h, 60, since)
			st.mu.Lock()
			st.noSignal[string(b)] = true
			st.mu.Unlock()
			return b, err
		},
	})
	srv := &server.Server{Cameras: []*hub.Hub{st.hub}, Logger: quiet}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := server.NewHTTPServer(srv.Handler(), quiet)
	go hs.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
		st.hub.Close() // the device is closed before the next test opens it
	})
	st.url = "http://" + ln.Addr().String()
	return st
}

// tlog writes log lines to the test's log.
type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// isNoSignal reports whether b is a no-signal card.
func (st *stack) isNoSignal(b []byte) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.noSignal[string(b)]
}

// status fetches the camera's entry of /api/status.
func (st *stack) status(t *testing.T) hub.Status {
	t.Helper()
	resp, err := http.Get(st.url + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Cameras []hub.Status }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Cameras) != 1 {
		t.Fatalf("status: %v, %+v", err, body)
	}
	return body.Cameras[0]
}

// next returns the next part a viewer received; a stream that ends fails
// the test: viewers must stay connected through faults.
func next(t *testing.T, parts <-chan []byte) []byte {
	t.Helper()
	// A safety net against a hang, not a measurement.
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	select {
	case p, ok := <-parts:
		if !ok {
			t.Fatal("the viewer's stream ended")
		}
		return p
	case <-timeout.C:
		t.Fatal("no part for a minute")
	}
	return nil
}

// checkJPEG checks that b decodes to a width x height picture.
func checkJPEG(t *testing.T, b []byte, width, height int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("a frame of %d bytes does not decode: %v", len(b), err)
	}
	if r := img.Bounds(); r.Dx() != width || r.Dy() != height {
		t.Fatalf("a %dx%d frame, want %dx%d", r.Dx(), r.Dy(), width, height)
	}
}

// TestStackYUYV streams vivid's YUYV, encoded by framecast, to a viewer at
// 640x480 and 1280x720, with controls from the configuration applied at
// start and set through the controls API.
func TestStackYUYV(t *testing.T) {
	path := findDevice(t, "vivid")
	tests := []struct{ width, height, fps, frames int }{
		{640, 480, 10, 10},
		{1280, 720, 5, 6},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.width, tt.height), func(t *testing.T) {
			var refused sync.Map
			s := &Source{Device: path, Width: tt.width, Height: tt.height, FPS: tt.fps, Formats: []string{"YUYV"},
				Timeout: patience, ControlValues: map[string]int{"brightness": 77, "no_such_control": 1},
				OnControlError: func(name string, value int, err error) {
					refused.Store(name, err)
				}}
			st := serveStack(t, s)
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			parts := fake.Stream(ctx, t, st.url+"/stream")
			for i := range tt.frames {
				b := next(t, parts)
				if n, err := mjpeg.FrameLen(b); err != nil || n != len(b) {
					t.Fatalf("frame %d: FrameLen %d, %v; it has %d bytes", i, n, err, len(b))
				}
				// Decoding every frame costs the emulated CPU; the first
				// and last show the picture is whole.
				if i == 0 || i == tt.frames-1 {
					checkJPEG(t, b, tt.width, tt.height)
				} else if w, h, err := mjpeg.Size(b); err != nil || w != tt.width || h != tt.height {
					t.Fatalf("frame %d: %dx%d, %v", i, w, h, err)
				}
			}
			stop()
			if e, ok := refused.Load("no_such_control"); !ok || !strings.Contains(e.(error).Error(), "no such control") {
				t.Errorf("an unknown control from the configuration was not reported: %v", e)
			}
			if _, ok := refused.Load("brightness"); ok {
				t.Error("brightness from the configuration was refused")
			}
			status := st.status(t)
			wantDetail := fmt.Sprintf("YUYV %dx%d at ", tt.width, tt.height)
			if status.State != hub.Running || status.Width != tt.width || !strings.Contains(status.SourceDetail, wantDetail) {
				t.Errorf("status: state %s, %dx%d, detail %q; want running and %q", status.State, status.Width, status.Height,
					status.SourceDetail, wantDetail)
			}
			t.Logf("status detail: %s; source stats %+v", status.SourceDetail, s.Stats())
			// Frames lost to a busy host (Skipped, Busy) are only counted;
			// broken ones there must be none.
			if stats := s.Stats(); stats.Invalid != 0 || stats.Corrupt != 0 || status.FramesDropped > s.Dropped() {
				t.Errorf("broken frames, or more dropped in the status (%d) than the source counts: %+v", status.FramesDropped, stats)
			}
			if tt.width != 640 {
				return
			}
			// The controls API, on the camera that is streaming.
			ctl := st.url + "/api/cameras/cam/controls"
			list := getControls(t, "GET", ctl, "")
			if b := find(t, list, "brightness"); b.Value == nil || *b.Value != 77 || b.Max != 255 || b.Label != "Brightness" {
				t.Fatalf("brightness after start with 77 configured: %+v", b)
			}
			defer s.Controller().SetControl("brightness", find(t, list, "brightness").Default)
			defer s.Controller().SetControl("contrast", find(t, list, "contrast").Default)
			list = getControls(t, "POST", ctl, `{"brightness": 140, "contrast": 100}`)
			if b := find(t, list, "brightness"); *b.Value != 140 {
				t.Fatalf("brightness after POST 140: %d", *b.Value)
			}
			resp, err := http.Post(ctl, "application/json", strings.NewReader(`{"brightness": 256}`))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(msg), `control "brightness": 256 is outside 0..255`) {
				t.Fatalf("brightness 256: %s %s", resp.Status, msg)
			}
		})
	}
}

// getControls sends a controls request and decodes the list it answers.
func getControls(t *testing.T, method, url, body string) []control.Control {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var list []control.Control
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil {
		t.Fatalf("%s %s: %s\n%s", method, url, resp.Status, b)
	}
	return list
}

func find(t *testing.T, list []control.Control, name string) control.Control {
	t.Helper()
	c, err := control.Find(list, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStackPassthrough feeds JPEGs into v4l2loopback and checks that the
// viewer receives them byte for byte: no decode, no re-encode.
func TestStackPassthrough(t *testing.T) {
	path := findDevice(t, "v4l2 loopback")
	out, err := v4l2.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := out.SetFormat(v4l2.BufVideoOutput, v4l2.PixFormat{Width: 640, Height: 480, PixelFormat: v4l2.PixelMJPEG, Field: v4l2.FieldNone}); err != nil {
		t.Fatal(err)
	}
	fed := map[string]bool{}
	var feed [][]byte
	for i := range 4 {
		b := testJPEG(t, 10+i)
		feed = append(feed, b)
		fed[string(b)] = true
	}
	s := &Source{Device: path, Width: 640, Height: 480, FPS: 25, Timeout: patience}
	defer feedLoopback(t, out, feed, s)()
	st := serveStack(t, s)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	parts := fake.Stream(ctx, t, st.url+"/stream")
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		b := next(t, parts)
		if !fed[string(b)] {
			t.Fatalf("part %d (%d bytes) is not one of the JPEGs fed in, byte for byte", i, len(b))
		}
		seen[string(b)] = true
	}
	if len(seen) < 2 {
		t.Errorf("only %d distinct frames in 20", len(seen))
	}
	if d := st.status(t).SourceDetail; !strings.Contains(d, "MJPG 640x480") || !strings.Contains(d, "passed through") {
		t.Errorf("status detail %q", d)
	}
}

// TestStackDropped has vivid drop 4 in 5 buffers (its "Percentage of
// Dropped Buffers" control): the gaps in its sequence numbers reach
// /api/status and /metrics as dropped frames, and the stream goes on.
func TestStackDropped(t *testing.T) {
	path := findDevice(t, "vivid")
	const drop = "percentage_of_dropped_buffers"
	s := &Source{Device: path, Width: 640, Height: 480, FPS: 25, Formats: []string{"YUYV"}, Timeout: patience,
		ControlValues: map[string]int{drop: 80},
		OnControlError: func(name string, value int, err error) {
			t.Errorf("setting %s to %d: %v", name, value, err)
		}}
	defer s.Controller().SetControl(drop, 0) // vivid keeps it for the next test
	st := serveStack(t, s)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	parts := fake.Stream(ctx, t, st.url+"/stream")
	// Each frame after the first follows a gap with a chance of 4 in 5, so
	// 50 frames without one would be a broken count, not bad luck.
	var status hub.Status
	for i := 0; status.FramesDropped == 0; i++ {
		if i == 50 {
			t.Fatalf("50 frames from a device that drops 4 in 5, and no drop in the status; the source counted %+v", s.Stats())
		}
		checkJPEG(t, next(t, parts), 640, 480)
		status = st.status(t)
	}
	stats := s.Stats()
	t.Logf("status: %d frames captured, %d dropped; source stats %+v", status.FramesCaptured, status.FramesDropped, stats)
	if status.FramesDropped > s.Dropped() || stats.Invalid != 0 || stats.Corrupt != 0 {
		t.Errorf("status says %d dropped, the source %d (%+v)", status.FramesDropped, s.Dropped(), stats)
	}
	resp, err := http.Get(st.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var metric int64 = -1
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, `framecast_frames_dropped_total{camera="cam"} `); ok {
			metric, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if metric < status.FramesDropped || metric > s.Dropped() {
		t.Errorf("framecast_frames_dropped_total is %d; the status said %d before, the source says %d after", metric, status.FramesDropped, s.Dropped())
	}
}

// TestStackDisconnect unplugs vivid (its Disconnect control) under a
// viewer: the viewer stays connected and gets no-signal cards, the status
// says failed with the error, and once the device is back the viewer gets
// the camera's frames again.
func TestStackDisconnect(t *testing.T) {
	path := findDevice(t, "vivid")
	s := &Source{Device: path, Width: 640, Height: 480, FPS: 15, Formats: []string{"YUYV"}, Timeout: patience}
	st := serveStack(t, s)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	parts := fake.Stream(ctx, t, st.url+"/stream")
	camera := func(n int) {
		t.Helper()
		for got := 0; got < n; {
			b := next(t, parts)
			if st.isNoSignal(b) {
				continue
			}
			checkJPEG(t, b, 640, 480)
			got++
		}
	}
	camera(3)
	// vivid comes back when its last user closes it: holding it open keeps
	// it unplugged for as long as the test needs.
	held, err := v4l2.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := held.SetControl(0x00f0f041, 0); err != nil { // vividDisconnect
		held.Close()
		t.Fatal(err)
	}
	// The viewer sees a no-signal card (with no error text: that is for
	// the status and the log)...
	for !st.isNoSignal(next(t, parts)) {
	}
	// ...and the status says failed, with the error.
	var status hub.Status
	for {
		status = st.status(t)
		if status.State == hub.Failed && status.LastError != "" {
			break
		}
		next(t, parts) // a card a second meanwhile; no sleep needed
	}
	t.Logf("status while unplugged: %s: %s (%d restarts)", status.State, status.LastError, status.Restarts)
	if !strings.Contains(status.LastError, "disconnected") && !strings.Contains(status.LastError, "no such device") {
		t.Errorf("last error %q, want the disconnection", status.LastError)
	}
	held.Close()
	camera(5)
	if status = st.status(t); status.State != hub.Running {
		t.Errorf("after the device came back: state %s (%s)", status.State, status.LastError)
	}
}
