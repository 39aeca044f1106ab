package httpsrc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/httpsrc"
	"github.com/framecast/framecast/internal/source/testpattern"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// bound is the generous overall limit of every wait; never asserted.
const bound = 60 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestCheckAndString(t *testing.T) {
	tests := []struct {
		url, shown, err string
	}{
		{url: "http://cam.local:8080/video", shown: "http://cam.local:8080/video"},
		{url: "https://admin:secret@cam/mjpg", shown: "https://admin:xxxxx@cam/mjpg"},
		{url: "snapshot+http://u:p@10.0.0.5/snap.jpg", shown: "snapshot+http://u:xxxxx@10.0.0.5/snap.jpg"},
		{url: "rtsp://cam/stream", err: `bad URL "rtsp://cam/stream": use http://, https://, snapshot+http:// or snapshot+https://`},
		{url: "http:///path", err: `bad URL "http:///path": no host`},
		{url: "http://a:se cret@[::1", err: "bad URL: "},
	}
	for _, tt := range tests {
		s := &httpsrc.Source{URL: tt.url}
		err := s.Check()
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("Check(%q) = %v, want %q", tt.url, err, tt.err)
			}
			continue
		}
		if err != nil || s.String() != tt.shown {
			t.Errorf("Check(%q) = %v, String() = %q, want %q", tt.url, err, s.String(), tt.shown)
		}
	}
}

// run runs s until it returns or bound passes, collecting frames.
func run(t *testing.T, s *httpsrc.Source, stopAfter int) ([][]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	var frames [][]byte
	err := s.Run(ctx, func(f mjpeg.Frame) {
		// A frame already read may still come after cancel: not counted.
		if len(frames) == stopAfter {
			return
		}
		frames = append(frames, f.Data)
		if len(frames) == stopAfter {
			cancel()
		}
	})
	return frames, err
}

func TestErrors(t *testing.T) {
	cam := httptest.NewServer(&fake.Camera{User: "admin", Password: "secret"})
	defer cam.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	snap := fake.JPEG(64, 48, 1)
	pictures := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/snap.jpg" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(snap)
	}))
	defer pictures.Close()
	host := func(u string) string { return strings.TrimPrefix(u, "http://") }

	tests := []struct {
		name, url, want string
	}{
		{"refused", closed.URL + "/stream", closed.URL + "/stream: connection refused"},
		{"no credentials", cam.URL + "/", cam.URL + "/: HTTP 401 Unauthorized (put user:password@ in the URL)"},
		{"wrong password", "http://admin:wrong@" + host(cam.URL) + "/", "http://admin:xxxxx@" + host(cam.URL) + "/: HTTP 401 Unauthorized"},
		{"not found", pictures.URL + "/nothing", pictures.URL + "/nothing: HTTP 404 Not Found"},
		{"snapshot as stream", pictures.URL + "/snap.jpg", pictures.URL + "/snap.jpg: the server sent one picture, not a stream: to poll it, use snapshot+" + pictures.URL + "/snap.jpg"},
		{"snapshot refused", "snapshot+" + closed.URL + "/snap.jpg", "snapshot+" + closed.URL + "/snap.jpg: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, &httpsrc.Source{URL: tt.url, Logger: quiet}, 0)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Run = %v\nwant %s", err, tt.want)
			}
		})
	}
	var he *httpsrc.Error
	_, err := run(t, &httpsrc.Source{URL: closed.URL, Logger: quiet}, 0)
	if !errors.As(err, &he) || he.Msg != "connection refused" {
		t.Errorf("refused: %#v is not an *Error saying connection refused", err)
	}
}

func TestBasicAuthAndSnapshots(t *testing.T) {
	cam := httptest.NewServer(&fake.Camera{User: "admin", Password: "p@ss:word"})
	defer cam.Close()
	u := "http://admin:p%40ss%3Aword@" + strings.TrimPrefix(cam.URL, "http://") + "/"
	frames, err := run(t, &httpsrc.Source{URL: u, Logger: quiet}, 5)
	if err != nil || len(frames) != 5 {
		t.Fatalf("with credentials: %d frames, %v", len(frames), err)
	}

	var requests int
	pics := [][]byte{fake.JPEG(64, 48, 1), []byte("not a jpeg"), append([]byte("\r\n"), fake.JPEG(64, 48, 2)...)}
	snaps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "me" || p != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(pics[requests%len(pics)])
		requests++
	}))
	defer snaps.Close()
	s := &httpsrc.Source{URL: "snapshot+http://me:pw@" + strings.TrimPrefix(snaps.URL, "http://") + "/snap.jpg", FPS: 100, Logger: quiet}
	frames, err = run(t, s, 4)
	if err != nil || len(frames) != 4 {
		t.Fatalf("snapshots: %d frames, %v", len(frames), err)
	}
	if !bytes.Equal(frames[0], pics[0]) || !bytes.Equal(frames[1], pics[2][2:]) {
		t.Errorf("snapshots are not the pictures served")
	}
	if s.Dropped() != 2 {
		t.Errorf("Dropped = %d, want 2 (the answers that were not JPEGs)", s.Dropped())
	}
}

// relay is a hub pulling from url, served over HTTP on 127.0.0.1, whose
// no-signal card is a grey picture tests can tell from camera frames.
type relay struct {
	h    *hub.Hub
	ts   *httptest.Server
	card []byte
	src  *httpsrc.Source
}

func newRelay(t *testing.T, url string, stall time.Duration) *relay {
	t.Helper()
	r := &relay{card: fake.Gray(160, 120, 7), src: &httpsrc.Source{URL: url, FPS: 30, Logger: quiet}}
	r.h = hub.New(hub.Config{
		Name: "relay", Source: r.src, Describe: r.src.String(), IdleTimeout: 50 * time.Millisecond, StallTimeout: stall,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		NoSignal: func(int, int, time.Duration) ([]byte, error) { return r.card, nil },
		Logger:   quiet,
	})
	r.ts = httptest.NewServer((&server.Server{Cameras: []*hub.Hub{r.h}, Logger: quiet}).Handler())
	t.Cleanup(func() {
		r.ts.Close()
		r.h.Close()
	})
	return r
}

// waitFrames reads the stream until n camera frames (not the card) came.
func (r *relay) waitFrames(t *testing.T, parts <-chan []byte, n int) [][]byte {
	t.Helper()
	var got [][]byte
	deadline := time.After(bound)
	for len(got) < n {
		select {
		case p, ok := <-parts:
			if !ok {
				t.Fatalf("stream ended after %d frames", len(got))
			}
			if _, err := mjpeg.FrameLen(p); err != nil {
				t.Fatalf("viewer got a broken frame: %v", err)
			}
			if !bytes.Equal(p, r.card) {
				got = append(got, p)
			}
		case <-deadline:
			t.Fatalf("got %d camera frames of %d", len(got), n)
		}
	}
	return got
}

// Another framecast as the camera, streamed and polled.
func TestFromFramecast(t *testing.T) {
	up := hub.New(hub.Config{Name: "up", Source: &testpattern.Source{Width: 320, Height: 240, FPS: 30}, IdleTimeout: time.Second, Logger: quiet})
	defer up.Close()
	upTS := httptest.NewServer((&server.Server{Cameras: []*hub.Hub{up}, Logger: quiet}).Handler())
	defer upTS.Close()

	for _, path := range []string{"/stream", "/video_feed", "/?action=stream"} {
		t.Run("stream "+path, func(t *testing.T) {
			r := newRelay(t, upTS.URL+path, 0)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for _, f := range r.waitFrames(t, fake.Stream(ctx, t, r.ts.URL+"/stream"), 10) {
				if w, h, err := mjpeg.Size(f); err != nil || w != 320 || h != 240 {
					t.Fatalf("relayed frame is %dx%d (%v), want 320x240", w, h, err)
				}
			}
		})
	}
	t.Run("snapshot", func(t *testing.T) {
		r := newRelay(t, "snapshot+"+upTS.URL+"/snapshot.jpg", 0)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r.waitFrames(t, fake.Stream(ctx, t, r.ts.URL+"/stream"), 10)
	})
}

// Every fault of a misbehaving camera: frames keep reaching the viewer.
func TestFaults(t *testing.T) {
	tests := []struct {
		fault     fake.Fault
		reconnect bool   // the fault ends the connection
		dropped   bool   // broken parts are counted
		lastErr   string // what status says, if the fault ends the connection
	}{
		{fault: fake.DropMidPart, reconnect: true, lastErr: "the connection dropped in the middle of a frame"},
		{fault: fake.NoLength},
		{fault: fake.Garbage, dropped: true},
		{fault: fake.Bare},
		{fault: fake.Stall, reconnect: true, lastErr: "no frame for 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			cam := &fake.Camera{Faults: []fake.Fault{tt.fault}, GoodParts: 3}
			camTS := httptest.NewServer(cam)
			defer camTS.Close()
			// Only the stall case needs a short stall timeout; a loaded
			// machine must not make the others restart.
			stall := 5 * time.Second
			if tt.fault == fake.Stall {
				stall = 300 * time.Millisecond
			}
			r := newRelay(t, camTS.URL+"/mjpg/video.mjpg", stall)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r.waitFrames(t, fake.Stream(ctx, t, r.ts.URL+"/stream"), 30)
			st := r.h.Status()
			if tt.reconnect {
				if cam.Requests() < 2 || st.Restarts < 1 {
					t.Errorf("requests %d, restarts %d: want a reconnection", cam.Requests(), st.Restarts)
				}
				if !strings.HasSuffix(st.LastError, tt.lastErr) {
					t.Errorf("last error %q, want it to end with %q", st.LastError, tt.lastErr)
				}
			} else if cam.Requests() != 1 || st.Restarts != 0 {
				t.Errorf("requests %d, restarts %d (%s): want one connection throughout", cam.Requests(), st.Restarts, st.LastError)
			}
			if got := r.src.Dropped() > 0; got != tt.dropped {
				t.Errorf("Dropped = %d", r.src.Dropped())
			}
			if tt.dropped && st.FramesDropped == 0 {
				t.Errorf("status frames_dropped = 0")
			}
		})
	}
}

// A camera that is down shows in /api/status in plain words.
func TestRefusedInStatus(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r := newRelay(t, closed.URL+"/stream", 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parts := fake.Stream(ctx, t, r.ts.URL+"/stream")
	deadline := time.After(bound)
	for {
		select {
		case <-parts:
		case <-deadline:
			t.Fatal("no error in status")
		}
		resp, err := http.Get(r.ts.URL + "/api/status")
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Cameras []hub.Status }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if body.Cameras[0].LastError == closed.URL+"/stream: connection refused" {
			return
		}
	}
}

// The camera's password follows a redirect only to the same scheme, host
// and port: not to another port of the same host, not from https to http.
func TestRedirectAuth(t *testing.T) {
	var mu sync.Mutex
	var got []string // the Authorization headers the other server saw
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		(&fake.Camera{Width: 32, Height: 24}).ServeHTTP(w, r)
	}))
	defer other.Close()
	authed := &fake.Camera{User: "admin", Password: "secret", Width: 32, Height: 24}
	redirecting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/stream", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/stream", http.StatusFound)
		default:
			authed.ServeHTTP(w, r)
		}
	})
	cam := httptest.NewServer(redirecting)
	defer cam.Close()
	tlsCam := httptest.NewTLSServer(redirecting)
	defer tlsCam.Close()
	withAuth := func(u string) string { return strings.Replace(u, "://", "://admin:secret@", 1) }

	tests := []struct {
		name   string
		src    *httpsrc.Source
		toAway bool
	}{
		{"another port", &httpsrc.Source{URL: withAuth(cam.URL) + "/away", Logger: quiet}, true},
		{"https to http", &httpsrc.Source{URL: withAuth(tlsCam.URL) + "/away", Client: tlsCam.Client(), Logger: quiet}, true},
		{"same origin", &httpsrc.Source{URL: withAuth(cam.URL) + "/here", Logger: quiet}, false},
	}
	for _, tt := range tests {
		mu.Lock()
		got = nil
		mu.Unlock()
		frames, err := run(t, tt.src, 2)
		if err != nil || len(frames) != 2 {
			t.Fatalf("%s: %d frames, %v", tt.name, len(frames), err)
		}
		mu.Lock()
		if tt.toAway && (len(got) != 1 || got[0] != "") {
			t.Errorf("%s: the other server got Authorization %q", tt.name, got)
		}
		mu.Unlock()
	}
}

// The hub reports the frames every source drops.
var _ hub.Dropper = (*httpsrc.Source)(nil)
