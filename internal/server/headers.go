package server

import (
	"net/http"
)

// contentSecurityPolicy lets the page load only its own script, style,
// pictures and status, and run no inline code. Blob and data pictures are
// the page's own snapshots. frame-ancestors is added per Server.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"

// secure wraps every route: the security headers, CORS, and the checks of
// checkRequest.
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
		} else {
			h.Set("Access-Control-Allow-Origin", s.AllowOrigin)
			if s.AllowOrigin != "*" {
				// Credentials go with a named origin only; browsers refuse
				// them with *.
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				// POST is for the camera controls, which take JSON.
				h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if s.checkRequest(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}
