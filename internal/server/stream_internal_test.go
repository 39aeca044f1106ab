package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// socketPair returns the two ends of a loopback TCP connection.
func socketPair(t testing.TB) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// newConnWriter wraps c as a hijacked stream's writer would.
func newConnWriter(t testing.TB, c net.Conn) *connPartWriter {
	p := &connPartWriter{c: c, timeout: 10 * time.Second, trail: trailer, every: time.Second}
	p.ready = p.writable
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := setNotSentLowat(raw, notSentLowat); err == nil {
		p.raw = raw
	}
	return p
}

// heldHub returns a running hub whose latest frame is a real JPEG.
func heldHub(t testing.TB) (*hub.Hub, *hub.Frame) {
	h := hub.New(hub.Config{Name: "cam", Source: &fake.Source{Frames: [][]byte{fake.JPEG(640, 480, 1)}, Hold: true}})
	t.Cleanup(h.Close)
	f, err := h.Next(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return h, f
}

func TestViewerWritePathDoesNotAllocate(t *testing.T) {
	h, _ := heldHub(t)
	srv, cli := socketPair(t)
	go io.Copy(io.Discard, cli)
	p := newConnWriter(t, srv)
	v := h.Join("test")
	defer v.Leave()
	ctx := context.Background()
	// One viewer's work for one frame: pick it, write it, count it.
	allocs := testing.AllocsPerRun(200, func() {
		f, err := h.Next(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.part(f.Header, f.Data); err != nil {
			t.Fatal(err)
		}
		if err := p.settle(); err != nil {
			t.Fatal(err)
		}
		v.Frames.Add(1)
		v.Bytes.Add(int64(len(f.Header) + len(f.Data) + len(trailer)))
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame, want 0", allocs)
	}
}

// recorder is a partWriter that keeps the frames it was given.
type recorder struct {
	mu     sync.Mutex
	frames [][]byte
	times  []time.Time
	wrote  chan struct{}
}

func (r *recorder) part(hdr, data []byte) error {
	r.mu.Lock()
	r.frames = append(r.frames, data)
	r.times = append(r.times, time.Now())
	r.mu.Unlock()
	select {
	case r.wrote <- struct{}{}:
	default:
	}
	return nil
}
func (r *recorder) settle() error { return nil }
func (r *recorder) busy() bool    { return false }
func (r *recorder) close()        {}

func TestDropSameFrames(t *testing.T) {
	a, b := fake.JPEG(32, 24, 1), fake.JPEG(32, 24, 2)
	for _, tt := range []struct {
		name     string
		frames   [][]byte
		dropSame bool
		want     int // parts sent in 10s of 10 fps
	}{
		{"static scene, refresh every 3s", [][]byte{a}, true, 4},
		{"static scene without the option", [][]byte{a}, false, 100},
		{"changing scene", [][]byte{a, b}, true, 100},
		{"change every third frame", [][]byte{a, a, a, b, b, b}, true, 34},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := hub.New(hub.Config{Name: "cam", DropSameFrames: tt.dropSame,
					Source: &fake.Source{Frames: tt.frames, Period: 100 * time.Millisecond}})
				defer h.Close()
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second-time.Millisecond)
				defer cancel()
				v := h.Join("test")
				rec := &recorder{wrote: make(chan struct{}, 1)}
				(&viewerStream{h: h, v: v, pw: rec, trailLen: len(trailer)}).sendFrames(ctx)
				v.Leave()
				if len(rec.frames) != tt.want {
					t.Errorf("%d parts sent, want %d", len(rec.frames), tt.want)
				}
			})
		})
	}
}

func TestResponseHead(t *testing.T) {
	for _, tt := range []struct {
		proto      string
		major, min int
		want       string
	}{
		{"HTTP/1.1", 1, 1, "HTTP/1.1 200 OK\r\n"},
		{"HTTP/1.0", 1, 0, "HTTP/1.0 200 OK\r\n"},
	} {
		r := httptest.NewRequest("GET", "/stream", nil)
		r.Proto, r.ProtoMajor, r.ProtoMinor = tt.proto, tt.major, tt.min
		h := map[string][]string{"Content-Type": {"multipart/x-mixed-replace;boundary=framecast"}, "X-Evil": {"a\r\nInjected: 1"}, "Content-Length": {"5"}}
		got := string(responseHead(r, h))
		if got[:len(tt.want)] != tt.want {
			t.Errorf("%s: head starts %q", tt.proto, got[:len(tt.want)])
		}
		for _, must := range []string{"\r\nContent-Type: multipart/x-mixed-replace;boundary=framecast\r\n", "\r\nConnection: close\r\n\r\n", "\r\nX-Evil: a  Injected: 1\r\n", "\r\nDate: "} {
			if !strings.Contains(got, must) {
				t.Errorf("%s: head lacks %q:\n%s", tt.proto, must, got)
			}
		}
		if strings.Contains(got, "Content-Length") {
			t.Errorf("%s: head has a Content-Length", tt.proto)
		}
	}
}

func TestStreamWithoutHijack(t *testing.T) {
	// An HTTP/1.1 request on a ResponseWriter that cannot be hijacked
	// streams through the ResponseWriter.
	h, _ := heldHub(t)
	s := &Server{Cameras: []*hub.Hub{h}}
	s.Handler()
	ctx, cancel := context.WithCancel(t.Context())
	r := httptest.NewRequestWithContext(ctx, "GET", "/stream", nil)
	w := &flushRecorder{ResponseRecorder: httptest.NewRecorder(), wrote: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() { s.stream(w, r, h, nil); close(done) }()
	<-w.wrote
	cancel()
	<-done
	if !strings.Contains(w.Body.String(), "Content-Type: image/jpeg") {
		t.Errorf("no part written: %.200q", w.Body.String())
	}
}

// flushRecorder is a ResponseRecorder that reports the flush of a part.
type flushRecorder struct {
	*httptest.ResponseRecorder
	wrote chan struct{}
}

func (f *flushRecorder) Flush() {
	f.ResponseRecorder.Flush()
	if !strings.Contains(f.Body.String(), "Content-Type: image/jpeg") {
		return // the opening boundary; wait for a part
	}
	select {
	case f.wrote <- struct{}{}:
	default:
	}
}

// scripted is a source that emits frame at the given offsets from its
// start, then holds.
func scripted(frame []byte, at []time.Duration) hub.Source {
	return hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
		start := time.Now()
		for _, d := range at {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Until(start.Add(d))):
			}
			emit(mjpeg.Frame{Data: frame, Time: time.Now()})
		}
		<-ctx.Done()
		return nil
	})
}

// every returns the offsets of a camera sending a frame every period for
// 2s, with a pause of stall after the frame at pauseAt.
func every(period, pauseAt, stall time.Duration) []time.Duration {
	var at []time.Duration
	shift := time.Duration(0)
	for d := time.Duration(0); d+shift < 2*time.Second; d += period {
		at = append(at, d+shift)
		if stall > 0 && d == pauseAt {
			shift = stall
		}
	}
	return at
}

// TestFPSCap runs the ?fps= cap on fake time against cameras of several
// rates, one of them late once: no two frames go out closer than the
// interval, and as many go out as that allows.
func TestFPSCap(t *testing.T) {
	frame := fake.JPEG(16, 16, 1)
	ms := time.Millisecond
	for _, tt := range []struct {
		name string
		at   []time.Duration
		fps  float64
		want int // frames sent in 2s
	}{
		{"30 fps camera capped at 15", every(time.Second/30, 0, 0), 15, 30},
		{"25 fps camera capped at 5", every(40*ms, 0, 0), 5, 10},
		// The next frame after the late one waits a whole interval
		// (frames at 0, 200, 400, 650, 850, …; not 650 then 800).
		{"50 fps camera late once, capped at 5", every(20*ms, 400*ms, 250*ms), 5, 10},
		{"7 fps camera capped at 5", every(time.Second/7, 0, 0), 5, 7},
		{"camera slower than the cap", every(300*ms, 0, 0), 5, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := hub.New(hub.Config{Name: "cam", Source: scripted(frame, tt.at), Logger: slog.New(slog.DiscardHandler)})
				defer h.Close()
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second-time.Millisecond)
				defer cancel()
				v := h.Join("test")
				rec := &recorder{wrote: make(chan struct{}, 1)}
				(&viewerStream{h: h, v: v, pw: rec, limit: newFPSCap(tt.fps), trailLen: len(trailer)}).sendFrames(ctx)
				v.Leave()
				interval := time.Duration(float64(time.Second) / tt.fps)
				for i := 1; i < len(rec.times); i++ {
					if gap := rec.times[i].Sub(rec.times[i-1]); gap < interval {
						t.Errorf("frames %d and %d went out %v apart, closer than %v", i-1, i, gap, interval)
					}
				}
				if len(rec.times) != tt.want {
					t.Errorf("%d frames sent, want %d", len(rec.times), tt.want)
				}
			})
		})
	}
}
