package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/testpattern"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// serve starts a server for the given hubs on 127.0.0.1:0.
func serve(t *testing.T, hubs ...*hub.Hub) *httptest.Server {
	t.Helper()
	srv := &server.Server{Cameras: hubs, SnapshotTimeout: 2 * time.Second}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.CloseClientConnections()
		ts.Close()
		for _, h := range hubs {
			h.Close()
		}
	})
	return ts
}

func patternHub(t *testing.T, w, h int, idle time.Duration) *hub.Hub {
	return hub.New(hub.Config{
		Name:        "cam",
		Source:      &testpattern.Source{Width: w, Height: h, FPS: 30, Quality: 70, Name: "cam"},
		Describe:    "testpattern",
		IdleTimeout: idle,
	})
}

// openStream GETs url and returns a multipart reader over its body.
func openStream(t *testing.T, ctx context.Context, url string) (*http.Response, *mjpeg.Reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	b, err := mjpeg.BoundaryFromContentType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	return resp, mjpeg.NewReader(resp.Body, b)
}

func TestManyViewersGetDistinctDecodableFrames(t *testing.T) {
	ts := serve(t, patternHub(t, 320, 240, time.Second))
	const viewers, want = 20, 30
	var wg sync.WaitGroup
	errs := make(chan error, viewers)
	for i := range viewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/stream", "/video_feed", "/?action=stream"}[i%3]
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, err := mjpeg.BoundaryFromContentType(resp.Header.Get("Content-Type"))
			if err != nil {
				errs <- err
				return
			}
			r := mjpeg.NewReader(resp.Body, b)
			seen := map[string]bool{}
			for len(seen) < want {
				p, err := r.NextPart()
				if err != nil {
					errs <- fmt.Errorf("%s: part %d: %w", path, len(seen), err)
					return
				}
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Body))
				if err != nil {
					errs <- fmt.Errorf("%s: undecodable frame: %w", path, err)
					return
				}
				if cfg.Width != 320 || cfg.Height != 240 {
					errs <- fmt.Errorf("%s: frame is %dx%d", path, cfg.Width, cfg.Height)
					return
				}
				if _, err := jpeg.Decode(bytes.NewReader(p.Body)); err != nil {
					errs <- err
					return
				}
				if n, _ := strconv.Atoi(p.Header.Get("Content-Length")); n != len(p.Body) {
					errs <- fmt.Errorf("Content-Length %d, body %d", n, len(p.Body))
					return
				}
				seen[string(p.Body)] = true
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStreamHeaders(t *testing.T) {
	ts := serve(t, patternHub(t, 64, 48, time.Second))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	resp, r := openStream(t, ctx, ts.URL+"/stream")
	defer resp.Body.Close()
	for k, want := range map[string]string{
		"Content-Type":      "multipart/x-mixed-replace;boundary=" + mjpeg.Boundary,
		"X-Accel-Buffering": "no",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q lacks no-store", cc)
	}
	p, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if ct := p.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("part Content-Type %q", ct)
	}
	ts1 := p.Header.Get("X-Timestamp")
	sec, frac, ok := strings.Cut(ts1, ".")
	if !ok || len(frac) != 6 || len(sec) < 10 {
		t.Fatalf("X-Timestamp %q is not seconds with microseconds", ts1)
	}
	at, _ := strconv.ParseFloat(ts1, 64)
	if d := time.Since(time.UnixMicro(int64(at * 1e6))); d < -time.Minute || d > time.Minute {
		t.Errorf("X-Timestamp %q is %v away from now", ts1, d)
	}
}

// A part is closed by its boundary as soon as it is written, so a browser
// shows it without waiting for the next frame.
func TestPartClosedAtOnce(t *testing.T) {
	frame := fake.JPEG(32, 24, 1)
	h := hub.New(hub.Config{Name: "cam", Source: &fake.Source{Frames: [][]byte{frame}, Hold: true}, IdleTimeout: time.Second})
	ts := serve(t, h)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The only frame there will ever be must arrive whole, boundary included.
	want := append([]byte("\r\n--"+mjpeg.Boundary+"\r\n"), nil...)
	body := resp.Body
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.HasSuffix(got, want) || !bytes.Contains(got, frame) {
		n, err := body.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("stream ended after %d bytes: %v", len(got), err)
		}
	}
	if i := bytes.Index(got, frame); !bytes.Equal(got[i+len(frame):], want) {
		t.Fatalf("after the JPEG: %q, want the closing boundary", got[i+len(frame):])
	}
}

func TestSnapshot(t *testing.T) {
	ts := serve(t, patternHub(t, 160, 120, time.Second))
	for _, path := range []string{"/snapshot", "/snapshot.jpg", "/?action=snapshot", "/cam/cam/snapshot"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %s %s", path, resp.Status, resp.Header.Get("Content-Type"))
		}
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 120 {
			t.Fatalf("%s: %v", path, b)
		}
	}
}

func TestSnapshotUnavailable(t *testing.T) {
	h := hub.New(hub.Config{Name: "cam", IdleTimeout: time.Second, Source: hub.SourceFunc(
		func(ctx context.Context, emit func(mjpeg.Frame)) error {
			return fmt.Errorf("ffmpeg: exit status 1: rtsp://admin:PASSWORD@10.0.0.5/s: Connection refused")
		})})
	srv := &server.Server{Cameras: []*hub.Hub{h}, SnapshotTimeout: 300 * time.Millisecond}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer h.Close()
	resp, err := http.Get(ts.URL + "/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("%s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	// A token holder reads this: the camera is down, nothing of the error.
	if string(body) != "camera \"cam\" has no picture yet\n" {
		t.Errorf("body %q", body)
	}
}

func status(t *testing.T, url string) hub.Status {
	t.Helper()
	resp, err := http.Get(url + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Cameras []hub.Status }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Cameras[0]
}

func TestStatusFollowsViewers(t *testing.T) {
	ts := serve(t, patternHub(t, 64, 48, 200*time.Millisecond))
	if st := status(t, ts.URL); st.State != hub.Idle || st.Viewers != 0 {
		t.Fatalf("before viewers: %+v", st)
	}
	ctx, cancel := context.WithCancel(t.Context())
	resp, r := openStream(t, ctx, ts.URL+"/stream")
	for range 3 {
		if _, err := r.NextPart(); err != nil {
			t.Fatal(err)
		}
	}
	st := status(t, ts.URL)
	if st.State != hub.Running || st.Viewers != 1 || st.Width != 64 || st.Height != 48 || st.FramesSent < 2 {
		t.Fatalf("while viewing: %+v", st)
	}
	cancel()
	resp.Body.Close()
	// Wait for the idle stop the 200ms timeout brings; never assert how long it took.
	fake.WaitFor(t, "the condition", func() bool { st := status(t, ts.URL); return st.State == hub.Idle && st.Viewers == 0 })
}

func TestBadRequests(t *testing.T) {
	ts := serve(t, patternHub(t, 64, 48, time.Second))
	cases := []struct {
		path string
		code int
		body string
	}{
		{"/stream?fps=abc", 400, "bad fps"},
		{"/stream?fps=0", 400, "0.1 to 120"},
		{"/stream?fps=1000", 400, "0.1 to 120"},
		{"/video_feed?fps=-3", 400, "bad fps"},
		{"/?action=explode", 400, "unknown action"},
		{"/nope", 404, ""},
		{"/cam/other/stream", 404, "no camera named"},
		{"/assets/../../etc/passwd", 404, ""},
		{"/assets/nope.js", 404, ""},
	}
	for _, c := range cases {
		resp, err := http.Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(body), c.body) {
			t.Errorf("%s: %d %q, want %d containing %q", c.path, resp.StatusCode, body, c.code, c.body)
		}
	}
}

func TestPageAndHealth(t *testing.T) {
	ts := serve(t, patternHub(t, 64, 48, time.Second))
	for path, want := range map[string]string{
		"/":                   `<img id="live"`,
		"/assets/app.js":      "api/status",
		"/assets/style.css":   "object-fit",
		"/healthz":            "ok",
		"/assets/favicon.svg": "<svg",
	} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %s, body lacks %q", path, resp.Status, want)
		}
	}
}

// ffprobe, a client we did not write, must read the stream.
func TestFFprobeReadsStream(t *testing.T) {
	ffprobe := fake.Tool(t, "ffprobe")
	ts := serve(t, patternHub(t, 320, 240, time.Second))
	for _, path := range []string{"/stream", "/video_feed"} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-f", "mpjpeg",
			"-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height",
			"-of", "csv=p=0", ts.URL+path).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "mjpeg,320,240" {
			t.Errorf("ffprobe %s: %q, want mjpeg,320,240", path, got)
		}
	}
}

// A browser gets each part's headers in advance, with the boundary closing
// the part before, because Chromium paints a part only once the next part's
// headers arrive; other clients get Content-Length and X-Timestamp.
func TestBrowserGetsAdvanceHeaders(t *testing.T) {
	frame := fake.JPEG(32, 24, 1)
	h := hub.New(hub.Config{Name: "cam", Source: &fake.Source{Frames: [][]byte{frame}, Hold: true}, IdleTimeout: time.Second})
	ts := serve(t, h)
	for _, accept := range []string{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "text/html,application/xhtml+xml,*/*;q=0.8"} {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /stream HTTP/1.1\r\nHost: localhost\r\nAccept: %s\r\n\r\n", accept)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		adv := "Content-Type: image/jpeg\r\n\r\n"
		want := "--" + mjpeg.Boundary + "\r\n" + adv + string(frame) + "\r\n--" + mjpeg.Boundary + "\r\n" + adv
		got := make([]byte, len(want))
		if _, err := io.ReadFull(resp.Body, got); err != nil {
			t.Fatalf("Accept %s: %v", accept, err)
		}
		if string(got) != want {
			t.Errorf("Accept %s: stream starts %q…, want the advance-header layout", accept, got[:min(len(got), 80)])
		}
	}
}
