package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// rawStream sends a GET for path over a new connection and returns the
// connection and a reader positioned at the start of the body.
func rawStream(t testing.TB, addr, path, proto string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET %s %s\r\nHost: %s\r\n\r\n", path, proto, addr)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		c.Close()
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if te := resp.TransferEncoding; len(te) > 0 {
		t.Errorf("stream sent with Transfer-Encoding %v", te)
	}
	return c, br
}

// fakeHub is a hub whose source emits two real frames in turn, quickly.
func fakeHub(t testing.TB) *hub.Hub {
	return hub.New(hub.Config{Name: "cam", IdleTimeout: time.Minute,
		Source: &fake.Source{Frames: [][]byte{fake.JPEG(64, 48, 1), fake.JPEG(64, 48, 2)}, Period: 5 * time.Millisecond}})
}

func TestStreamOverRawHTTP1(t *testing.T) {
	ts := serve(t, fakeHub(t))
	for _, proto := range []string{"HTTP/1.1", "HTTP/1.0"} {
		c, br := rawStream(t, ts.Listener.Addr().String(), "/stream", proto)
		r := mjpeg.NewReader(br, mjpeg.Boundary)
		for i := range 3 {
			p, err := r.NextPart()
			if err != nil {
				t.Fatalf("%s: part %d: %v", proto, i, err)
			}
			if _, _, err := mjpeg.Size(p.Body); err != nil {
				t.Errorf("%s: part %d: %v", proto, i, err)
			}
		}
		c.Close()
	}
}

func TestHeadOfStream(t *testing.T) {
	ts := serve(t, fakeHub(t))
	resp, err := http.Head(ts.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/x-mixed-replace") {
		t.Errorf("HEAD /stream: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
}

func TestGoroutinesBackToBaselineAfterViewersCycle(t *testing.T) {
	h := fakeHub(t)
	ts := serve(t, h)
	addr := ts.Listener.Addr().String()
	// The first viewer starts the camera's goroutines; count from there.
	c, br := rawStream(t, addr, "/stream", "HTTP/1.1")
	mjpeg.NewReader(br, mjpeg.Boundary).NextPart()
	fake.WaitFor(t, "viewer count 1", func() bool { return h.Status().Viewers == 1 })
	base := runtime.NumGoroutine()
	const cycles = 300
	for i := range cycles {
		c, br := rawStream(t, addr, []string{"/stream", "/video_feed", "/stream?fps=10"}[i%3], "HTTP/1.1")
		if i%2 == 0 {
			// Half leave after a part, half at once.
			if _, err := mjpeg.NewReader(br, mjpeg.Boundary).NextPart(); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	fake.WaitFor(t, "viewers to leave", func() bool { return h.Status().Viewers == 1 })
	fake.WaitFor(t, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= base })
	c.Close()
}

// TestCloseEndsStreams: Server.Close ends the streams, hijacked or not,
// and returns only once they are gone; then http.Server's Shutdown has
// nothing left to wait for, and new streams get 503. It holds the same for
// a server from NewHTTPServer and from httptest.
func TestCloseEndsStreams(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start func(*httptest.Server)
	}{
		{"HTTP/1.1", (*httptest.Server).Start},
		{"HTTP/2", (*httptest.Server).StartTLS},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := fakeHub(t)
			defer h.Close()
			srv := &server.Server{Cameras: []*hub.Hub{h}, Logger: slog.New(slog.DiscardHandler)}
			ts := httptest.NewUnstartedServer(nil)
			ts.Config = server.NewHTTPServer(srv.Handler(), nil)
			ts.EnableHTTP2 = true
			tt.start(ts)
			defer ts.Close()
			resp, err := ts.Client().Get(ts.URL + "/stream")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if want := map[string]int{"HTTP/1.1": 1, "HTTP/2": 2}[tt.name]; resp.ProtoMajor != want {
				t.Fatalf("stream over %s", resp.Proto)
			}
			r := mjpeg.NewReader(resp.Body, mjpeg.Boundary)
			if _, err := r.NextPart(); err != nil {
				t.Fatal(err)
			}
			srv.Close()
			// Close waited for the viewer to leave.
			if n := h.Status().Viewers; n != 0 {
				t.Errorf("%d viewers after Close, want 0", n)
			}
			// The stream ends: the reader reaches the end of the body.
			for {
				if _, err := r.NextPart(); err != nil {
					break
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if err := ts.Config.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown after Close: %v", err)
			}
		})
	}
}

// TestCloseRefusesNewStreams: a stream asked for after Close gets 503.
func TestCloseRefusesNewStreams(t *testing.T) {
	h := fakeHub(t)
	srv := &server.Server{Cameras: []*hub.Hub{h}, Logger: slog.New(slog.DiscardHandler)}
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); h.Close() }()
	srv.Close()
	resp, err := http.Get(ts.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "shutting down") {
		t.Errorf("stream after Close: %s %q", resp.Status, body)
	}
}

// BenchmarkConnectDisconnect opens a stream, reads one part and leaves, b.N
// times, then waits for every viewer to be gone and reports what stayed
// behind: goroutines and live heap beyond the baseline. Run it with
// -benchtime=20000x for the 20,000 cycles of docs/BENCHMARKS.md.
func BenchmarkConnectDisconnect(b *testing.B) {
	h := hub.New(hub.Config{Name: "cam", IdleTimeout: time.Minute,
		Source: &fake.Source{Frames: [][]byte{fake.JPEG(64, 48, 1), fake.JPEG(64, 48, 2)}, Period: 5 * time.Millisecond}})
	srv := &server.Server{Cameras: []*hub.Hub{h}, Logger: slog.New(slog.DiscardHandler)}
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); h.Close() }()
	addr := ts.Listener.Addr().String()
	c, br := rawStream(b, addr, "/stream", "HTTP/1.1")
	mjpeg.NewReader(br, mjpeg.Boundary).NextPart()
	defer c.Close()
	settle := func(viewers int) (goroutines int, heap uint64) {
		for h.Status().Viewers != viewers {
			time.Sleep(10 * time.Millisecond)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	g0, heap0 := settle(1)
	b.ReportAllocs()
	for b.Loop() {
		c, br := rawStream(b, addr, "/stream", "HTTP/1.1")
		if _, err := mjpeg.NewReader(br, mjpeg.Boundary).NextPart(); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.StopTimer()
	g1, heap1 := settle(1)
	b.ReportMetric(float64(g1-g0), "goroutines-left")
	b.ReportMetric((float64(heap1)-float64(heap0))/(1<<20), "heap-MB-left")
	b.ReportMetric(float64(heap1)/(1<<20), "heap-MB")
}
