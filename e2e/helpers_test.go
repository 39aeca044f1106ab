package e2e

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/picture"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/testpattern"
	"github.com/framecast/framecast/pkg/mjpeg"
)

var shots = flag.String("shots", "", "save screenshots of the page to this `directory`")

// bound is the overall limit of one test's browser work: generous, since
// it only stops a test that would otherwise hang.
const bound = 90 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// camera returns a hub for src that runs from the start; it closes when t ends.
func camera(t *testing.T, name string, src hub.Source) *hub.Hub {
	t.Helper()
	return newHub(t, name, src, 0)
}

// onDemand returns a hub for src that starts with its first viewer, as
// framecast runs by default.
func onDemand(t *testing.T, name string, src hub.Source) *hub.Hub {
	t.Helper()
	return newHub(t, name, src, time.Minute)
}

func newHub(t *testing.T, name string, src hub.Source, idle time.Duration) *hub.Hub {
	t.Helper()
	h := hub.New(hub.Config{
		Name:        name,
		IdleTimeout: idle,
		Source:      src,
		Describe:    "test",
		MinBackoff:  200 * time.Millisecond,
		MaxBackoff:  time.Second,
		NoSignal: func(w, h int, since time.Duration) ([]byte, error) {
			return picture.NoSignal(w, h, 0, since)
		},
		Logger: quiet,
	})
	t.Cleanup(h.Close)
	return h
}

// pattern is a small, cheap test pattern whose counter moves.
func pattern(name string) *testpattern.Source {
	return &testpattern.Source{Width: 320, Height: 240, FPS: 10, Name: name}
}

// never is a source that starts and never sends a frame.
type never struct{}

func (never) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	<-ctx.Done()
	return nil
}

// broken is a source that fails at once, as a missing camera does.
type broken struct{ err string }

func (b broken) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	return errors.New(b.err)
}

// site is a framecast server on 127.0.0.1 that a test can stop and start
// again on the same port.
type site struct {
	t       *testing.T
	addr    string
	handler http.Handler
	hs      *http.Server
	done    chan struct{}

	mu        sync.Mutex
	conns     map[net.Conn]bool
	newStream chan struct{} // a token for every stream request
}

// serve starts a server for the cameras on a free port.
func serve(t *testing.T, cams ...*hub.Hub) *site {
	t.Helper()
	return serveServer(t, &server.Server{Cameras: cams, Logger: quiet})
}

// serveServer starts s on a free port, as serve does.
func serveServer(t *testing.T, s *server.Server) *site {
	t.Helper()
	st := &site{t: t, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}, newStream: make(chan struct{}, 100)}
	h := s.Handler()
	st.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page must run under a strict policy; the server may set its
		// own (Set replaces this one), this one holds if it does not.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'")
		if strings.HasSuffix(r.URL.Path, "/stream") {
			select {
			case st.newStream <- struct{}{}:
			default:
			}
		}
		h.ServeHTTP(w, r)
	})
	st.start()
	t.Cleanup(st.stop)
	return st
}

// start listens on the site's address: a free port the first time, the
// same port afterwards.
func (s *site) start() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("listen on %s: %v", s.addr, err)
	}
	s.addr = ln.Addr().String()
	s.hs = &http.Server{
		Handler:  s.handler,
		ErrorLog: slog.NewLogLogger(quiet.Handler(), slog.LevelError),
		ConnState: func(c net.Conn, cs http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if cs == http.StateClosed {
				delete(s.conns, c)
			} else {
				s.conns[c] = true
			}
		},
	}
	s.done = make(chan struct{})
	go func(hs *http.Server, done chan struct{}) {
		defer close(done)
		hs.Serve(ln)
	}(s.hs, s.done)
}

// stop closes the listener and every connection, streams included.
func (s *site) stop() {
	if s.hs == nil {
		return
	}
	s.hs.Close()
	<-s.done
	s.hs = nil
}

func (s *site) url() string { return "http://" + s.addr + "/" }

// dropConnections closes every connection, as a network glitch would, and
// keeps listening.
func (s *site) dropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
	}
}

// waitStream waits for the next stream request to the site.
func (s *site) waitStream(tb *tab, what string) {
	s.t.Helper()
	select {
	case <-s.newStream:
	case <-tb.ctx.Done():
		s.t.Fatalf("waiting for %s: %v\npage: %s", what, tb.ctx.Err(), tb.describe())
	}
}

// tab is one browser tab on a page, with the page's console recorded.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// open opens url in a new tab. setup actions (viewport, language, colour
// scheme) run before the page loads.
func open(t *testing.T, url string, setup ...chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	tc := newTab(t)
	if err := chromedp.Do(tc); err != nil { // opens the tab
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tc, bound)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m)
			tb.mu.Unlock()
		}
	}()
	if err := chromedp.Do(ctx, setup...); err != nil {
		t.Fatalf("setting up the tab: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](helpersJS)); err != nil {
		t.Fatalf("installing test helpers: %v", err)
	}
	return tb
}

// helpersJS gives the tests a hash of what an <img> shows, drawn through a
// canvas, so two captures can be compared.
const helpersJS = `window.__fc = {
  hash(sel) {
    const img = document.querySelector(sel);
    if (!img || !img.naturalWidth) return "";
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619);
    return String(h >>> 0);
  },
}; 0`

// wait polls the JavaScript expression until it is truthy.
func (tb *tab) wait(what, expr string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0)))
	if err != nil {
		tb.t.Fatalf("waiting for %s (%s): %v\npage: %s", what, expr, err, tb.describe())
	}
}

// eval evaluates expr and decodes its value into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v\npage: %s", expr, err, tb.describe())
	}
	return v
}

// do runs actions in the tab.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v\npage: %s", what, err, tb.describe())
	}
}

// describe says what the page shows, for failure messages.
func (tb *tab) describe() string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(tb.ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
	  hash: location.hash,
	  badge: document.getElementById("badge").textContent,
	  stage: document.getElementById("stage").dataset.state,
	  overlay: document.getElementById("overlay-title").textContent + " / " + document.getElementById("overlay-detail").textContent,
	  live: document.getElementById("live").naturalWidth + "x" + document.getElementById("live").naturalHeight,
	  tiles: [...document.querySelectorAll(".tile")].map(t => t.dataset.state),
	})`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// errors returns the console errors and uncaught exceptions so far.
func (tb *tab) errors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, m := range tb.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, m.String()+" ("+m.URL+")")
		}
	}
	return out
}

// screenshot saves the viewport to the -shots directory, when one is given.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	if *shots == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(*shots, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	p := filepath.Join(*shots, strings.ReplaceAll(name, "/", "-")+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("saved %s", p)
}

// evalVoid is an action evaluating expr for its effect.
func evalVoid(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](expr)
}
