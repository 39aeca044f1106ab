package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"
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
// slow and oversize requests. Errors of the connections go to log at debug
// level. Streams never go idle: call Server.Close before its Shutdown.
//
// It sets no ReadTimeout or WriteTimeout: either would cut every stream
// after that long. Streams set their own deadline per write instead, and
// Server's Handler refuses request bodies, so there is nothing slow left to
// read once the headers are in.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
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
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
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
