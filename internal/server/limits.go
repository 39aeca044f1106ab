package server

import (
	"container/list"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/framecast/framecast/internal/hub"
)

// The limits NewHTTPServer sets.
const (
	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers (and the TLS handshake): a slowloris client is cut off then.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes a kept-alive connection that sends no new request.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes caps the request line and headers; more gets 431.
	MaxHeaderBytes = 16 << 10
)

// NewHTTPServer returns an http.Server for h with framecast's limits against
// slow and oversize requests. Every request's context derives from ctx, so
// cancelling ctx ends the streams, which never go idle by themselves (call
// it before Shutdown). Errors of the connections go to log at debug level.
//
// It sets no ReadTimeout or WriteTimeout: either would cut every stream
// after that long. Streams set their own deadline per write instead, and
// Server's Handler refuses request bodies, so there is nothing slow left to
// read once the headers are in.
func NewHTTPServer(ctx context.Context, h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		HTTP2: &http.HTTP2Config{
			// A dead client of an HTTP/2 connection holding streams is
			// found by ping, as no read deadline applies there.
			SendPingTimeout: 30 * time.Second,
			PingTimeout:     15 * time.Second,
		},
		// The base context rides along as a value too, so that a stream
		// can outlive its handler and still end with ctx (stream.go).
		BaseContext: func(net.Listener) context.Context { return context.WithValue(ctx, baseContextKey{}, ctx) },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// checkRequest answers requests that no route accepts: one with a body (no
// route but a controls POST takes one, and a body trickled slowly would hold the connection:
// the server reads what is left of it to reuse the connection, with no
// deadline once the headers are in), and one whose query does not parse.
// It reports whether r may go on.
func (s *Server) checkRequest(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength != 0 && !takesBody(r) {
		// Reading the rest of the body now fails at once, so the
		// connection is closed instead of drained.
		http.NewResponseController(w).SetReadDeadline(time.Now())
		w.Header().Set("Connection", "close")
		httpError(w, http.StatusRequestEntityTooLarge, "request body not accepted: no route takes one")
		return false
	}
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		httpError(w, http.StatusBadRequest, "bad query: "+err.Error())
		return false
	}
	return true
}

// viewerLimits counts stream viewers for MaxViewers and MaxViewersPerCamera.
type viewerLimits struct {
	total    atomic.Int64
	per      map[*hub.Hub]*atomic.Int64
	rejected atomic.Int64
}

func (s *Server) initLimits() {
	s.viewers.per = make(map[*hub.Hub]*atomic.Int64, len(s.Cameras))
	for _, h := range s.Cameras {
		s.viewers.per[h] = new(atomic.Int64)
	}
}

// serveStream is a stream route: auth, then the viewer limits, then the stream.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	if !s.allow(w, r, h) {
		return
	}
	release, ok := s.admit(w, h)
	if !ok {
		return
	}
	s.stream(w, r, h, release)
}

// serveSnapshot is a snapshot route: auth, then the snapshot. Snapshots are
// short, so the viewer limits do not count them.
func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	if s.allow(w, r, h) {
		s.snapshot(w, r, h)
	}
}

// admit takes a viewer place on h, answering 503 when none is left.
func (s *Server) admit(w http.ResponseWriter, h *hub.Hub) (release func(), ok bool) {
	v := &s.viewers
	cam := v.per[h]
	total, n := v.total.Add(1), cam.Add(1)
	release = func() {
		v.total.Add(-1)
		cam.Add(-1)
	}
	msg := ""
	switch {
	case s.MaxViewers > 0 && total > int64(s.MaxViewers):
		msg = "too many viewers: at most " + strconv.Itoa(s.MaxViewers) + " in all"
	case s.MaxViewersPerCamera > 0 && n > int64(s.MaxViewersPerCamera):
		msg = "too many viewers: at most " + strconv.Itoa(s.MaxViewersPerCamera) + " on camera " + strconv.Quote(h.Name())
	default:
		return release, true
	}
	release()
	v.rejected.Add(1)
	w.Header().Set("Retry-After", "10")
	httpError(w, http.StatusServiceUnavailable, msg)
	return nil, false
}

// clientKey is the address failed attempts are counted by: the IP, or for
// IPv6 its /64, which one host usually holds whole.
func clientKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// failLimiter counts failed attempts per client in fixed windows: after max
// failures a client is refused until its window ends. It remembers at most
// size clients, forgetting the one that failed longest ago.
type failLimiter struct {
	max    int
	window time.Duration
	size   int
	total  atomic.Int64

	mu    sync.Mutex
	byKey map[string]*list.Element
	order list.List // of *failEntry; the front failed last
}

type failEntry struct {
	key   string
	start time.Time
	n     int
}

func newFailLimiter(max int, window time.Duration, size int) *failLimiter {
	return &failLimiter{max: max, window: window, size: size, byKey: map[string]*list.Element{}}
}

// blocked returns how long key is still refused, or 0.
func (l *failLimiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[key]
	if e == nil {
		return 0
	}
	f := e.Value.(*failEntry)
	end := f.start.Add(l.window)
	if !now.Before(end) {
		l.order.Remove(e)
		delete(l.byKey, key)
		return 0
	}
	if f.n >= l.max {
		return end.Sub(now)
	}
	return 0
}

// fail counts a failure of key; it returns the count in the window and
// whether this failure started a block.
func (l *failLimiter) fail(key string, now time.Time) (n int, blocked bool) {
	l.total.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[key]
	if e == nil {
		if l.order.Len() >= l.size {
			old := l.order.Back()
			l.order.Remove(old)
			delete(l.byKey, old.Value.(*failEntry).key)
		}
		e = l.order.PushFront(&failEntry{key: key, start: now})
		l.byKey[key] = e
	}
	f := e.Value.(*failEntry)
	if !now.Before(f.start.Add(l.window)) {
		f.start, f.n = now, 0
	}
	l.order.MoveToFront(e)
	f.n++
	return f.n, f.n == l.max
}

// forget clears key's failures after it authenticated.
func (l *failLimiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.byKey[key]; e != nil {
		l.order.Remove(e)
		delete(l.byKey, key)
	}
}

// len is the number of clients remembered.
func (l *failLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
