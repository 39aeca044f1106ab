// Package server serves framecast's cameras over HTTP: the page, MJPEG
// streams, snapshots and status. It knows cameras only as hubs.
package server

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/framecast/framecast/internal/hls"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/internal/web"
	"github.com/framecast/framecast/internal/whep"
)

// The defaults of Server's timeouts.
const (
	// DefaultSnapshotTimeout is how long a snapshot waits for a picture.
	DefaultSnapshotTimeout = 5 * time.Second
	// DefaultWriteTimeout drops a viewer whose socket took no data this long.
	DefaultWriteTimeout = 10 * time.Second
)

// Server routes HTTP requests to the cameras' hubs. Its zero value is not
// usable: set Cameras, then call Handler.
type Server struct {
	// Cameras are the hubs served; the first is also served at the root
	// paths (/stream, /snapshot, /video_feed) and names must be unique.
	Cameras []*hub.Hub
	// SnapshotTimeout bounds how long a snapshot waits for a frame from an
	// idle or failing camera before answering 503. Zero means
	// DefaultSnapshotTimeout.
	SnapshotTimeout time.Duration
	// WriteTimeout drops a stream viewer whose socket took no data for this
	// long. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// Logger receives request errors; nil means slog.Default().
	Logger *slog.Logger

	// Users are the accounts of HTTP basic auth: user name → bcrypt hash of
	// the password (framecast hash-password prints one). With Users or
	// Tokens set, every route but /healthz and /assets/ needs one of them;
	// with neither, every route is open, to requests naming an allowed
	// host (see AllowedHosts).
	Users map[string]string
	// Tokens are read-only secrets, each opening one camera's stream and
	// snapshot URLs as ?token=, and the page and its camera's status (see
	// Token).
	Tokens []Token
	// PublicStatus leaves /api/status and /metrics open when Users or
	// Tokens are set; by default they ask for the same auth as the cameras,
	// as status names the viewers' addresses.
	PublicStatus bool
	// AllowOrigin, when set, allows that origin (https://host:port, or * for
	// any, then without credentials) to read streams and snapshots across
	// origins (CORS) and to frame the page. Empty sends no CORS headers.
	AllowOrigin string
	// AllowedHosts are the names, besides IP addresses, localhost and this
	// machine's own names (its host name, also with .local), that a request
	// may give as its Host when neither Users nor Tokens are set; others
	// get 421, against DNS rebinding. With auth on, any name is answered.
	AllowedHosts []string
	// TrustedProxies are the reverse proxies (addresses or networks) whose
	// X-Forwarded-For or Forwarded header names the client, for the logs,
	// status and the failed-login limit; from any other address those
	// headers are ignored.
	TrustedProxies []netip.Prefix
	// MaxViewers caps the stream viewers of all cameras together, and
	// MaxViewersPerCamera those of each camera; a stream beyond either gets
	// 503 with Retry-After. Zero means no cap.
	MaxViewers, MaxViewersPerCamera int
	// WHEP serves the H.264 cameras over WebRTC at /cam/{name}/whep (and
	// /whep); its sessions count as viewers. Nil leaves WebRTC off.
	WHEP *whep.Server
	// Decoded maps each H.264 camera to the MJPEG hub that decodes it
	// (execsrc.Decoder), which its stream and snapshot routes serve; an
	// H.264 camera missing here answers them with 503. That hub's viewers
	// are not in status: the camera shows the decoder as one viewer.
	Decoded map[*hub.Hub]*hub.Hub
	// Recorders are the recorders of the cameras that record, reported in
	// status and metrics.
	Recorders []*record.Recorder

	started time.Time
	auth    authState
	viewers viewerLimits
	hosts   hostNames
	live    liveStreams
	hls     hls.Service
	failMax int // failed attempts before a client is refused; 0 means 5
}

// Handler returns the HTTP handler serving every route.
func (s *Server) Handler() http.Handler {
	if s.SnapshotTimeout <= 0 {
		s.SnapshotTimeout = DefaultSnapshotTimeout
	}
	if s.WriteTimeout <= 0 {
		s.WriteTimeout = DefaultWriteTimeout
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.started = time.Now()
	s.initAuth()
	s.initLimits()
	s.initHosts()
	s.live.init()
	s.hls.Logger = s.Logger
	mux := http.NewServeMux()
	page, err := fs.Sub(web.FS, "static")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	files := http.FileServerFS(page)
	// media registers a stream or snapshot route, with its CORS
	// preflight when AllowOrigin is set.
	media := func(pattern string, fn http.HandlerFunc) {
		mux.HandleFunc("GET "+pattern, fn)
		if s.AllowOrigin != "" {
			mux.HandleFunc("OPTIONS "+pattern, s.preflight)
		}
	}
	media("/{$}", func(w http.ResponseWriter, r *http.Request) {
		// mjpg-streamer's URLs: /?action=stream and /?action=snapshot.
		switch r.URL.Query().Get("action") {
		case "":
			if _, ok := s.allowViewer(w, r); ok {
				files.ServeHTTP(w, r)
			}
		case "stream":
			s.serveStream(w, r, s.Cameras[0])
		case "snapshot":
			s.serveSnapshot(w, r, s.Cameras[0])
		default:
			httpError(w, http.StatusBadRequest, "unknown action: use action=stream or action=snapshot")
		}
	})
	mux.Handle("GET /assets/", files)
	for _, p := range []string{"/stream", "/video_feed", "/stream.mjpg"} {
		media(p, func(w http.ResponseWriter, r *http.Request) { s.serveStream(w, r, s.Cameras[0]) })
	}
	for _, p := range []string{"/snapshot", "/snapshot.jpg"} {
		media(p, func(w http.ResponseWriter, r *http.Request) { s.serveSnapshot(w, r, s.Cameras[0]) })
	}
	media("/cam/{name}/stream", s.perCamera(s.serveStream))
	media("/cam/{name}/snapshot", s.perCamera(s.serveSnapshot))
	media("/cam/{name}/snapshot.jpg", s.perCamera(s.serveSnapshot))
	media("/hls/{file}", func(w http.ResponseWriter, r *http.Request) { s.serveHLS(w, r, s.Cameras[0]) })
	media("/cam/{name}/hls/{file}", s.perCamera(s.serveHLS))
	s.whepRoutes(mux)
	mux.HandleFunc("GET /api/status", s.status)
	mux.HandleFunc("GET /api/cameras/{name}/controls", s.controlsRoute(s.getControls))
	mux.HandleFunc("POST /api/cameras/{name}/controls", s.controlsRoute(s.postControls))
	mux.HandleFunc("GET /metrics", s.guardStatus(s.metrics))
	s.recordingRoutes(mux, page)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	return s.secure(mux)
}

// Close ends every stream and waits until their goroutines have returned;
// streams asked for afterwards get 503. Call it before the http.Server's
// Shutdown, which neither ends nor waits for a hijacked connection and would
// wait for an HTTP/2 stream, and neither ever goes idle by itself.
func (s *Server) Close() {
	s.live.close()
	s.hls.Close()
}

// perCamera resolves /cam/{name}/… to its hub.
func (s *Server) perCamera(fn func(http.ResponseWriter, *http.Request, *hub.Hub)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		for _, h := range s.Cameras {
			if h.Name() == name {
				fn(w, r, h)
				return
			}
		}
		// Camera names are for those allowed in only.
		if s.allow(w, r, nil) {
			httpError(w, http.StatusNotFound, "no camera named "+strconv.Quote(name))
		}
	}
}

// httpError answers with a plain-text message.
func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write([]byte(msg + "\n"))
}
