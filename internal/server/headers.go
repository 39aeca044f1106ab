package server

import (
	"net/http"
)

// contentSecurityPolicy lets the page load only its own script, style,
// pictures and status, and run no inline code. Blob and data pictures are
// the page's own snapshots; blob media is hls.js's Media Source.
// frame-ancestors is added per Server.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"

// secure wraps every route: the client address a trusted proxy forwarded,
// the security headers and the checks of checkRequest and checkHost.
func (s *Server) secure(next http.Handler) http.Handler {
	// The page may be framed by itself and by the allowed origin (a Home
	// Assistant dashboard); an <img> of the stream is not framing and is
	// never blocked by this.
	ancestors := "'self'"
	if s.AllowOrigin != "" {
		ancestors += " " + s.AllowOrigin
	}
	csp := contentSecurityPolicy + "; frame-ancestors " + ancestors
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if s.AllowOrigin == "" {
			h.Set("X-Frame-Options", "SAMEORIGIN")
		}
		if client, ok := s.forwardedFor(r); ok {
			r = r.WithContext(r.Context())
			r.RemoteAddr = client
		}
		if s.checkRequest(w, r) && s.checkHost(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// cors lets AllowOrigin read a stream or snapshot answer. Only those get
// CORS headers: status, metrics and the controls stay same-origin.
func (s *Server) cors(w http.ResponseWriter) {
	if s.AllowOrigin == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", s.AllowOrigin)
	if s.AllowOrigin != "*" {
		// Credentials go with a named origin only; browsers refuse them
		// with *.
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// preflight answers the CORS preflight of a stream or snapshot, which a
// browser sends without credentials before a GET that carries them.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	// / is the page, and a stream or snapshot only with mjpg-streamer's ?action=.
	action := r.URL.Query().Get("action")
	page := r.URL.Path == "/" && action != "stream" && action != "snapshot"
	if r.Header.Get("Access-Control-Request-Method") == "" || page {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	s.cors(w)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, HEAD")
	h.Set("Access-Control-Allow-Headers", "Authorization")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
