package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

func TestSecurityHeaders(t *testing.T) {
	ts := secServe(t, &server.Server{Cameras: []*hub.Hub{secHub("one")}})
	for _, p := range []string{"/", "/assets/app.js", "/api/status", "/snapshot", "/metrics", "/healthz", "/nope", "/stream?fps=0"} {
		resp, _ := get(t, ts.URL+p, "")
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "object-src 'none'", "frame-ancestors 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", p, csp)
		}
		for k, v := range map[string]string{
			"X-Content-Type-Options":       "nosniff",
			"Referrer-Policy":              "no-referrer",
			"X-Frame-Options":              "SAMEORIGIN",
			"Access-Control-Allow-Origin":  "",
			"Access-Control-Allow-Methods": "",
		} {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", p, k, got, v)
			}
		}
	}
}

// TestPageHasNoInlineCode: the page must work under its own CSP.
func TestPageHasNoInlineCode(t *testing.T) {
	ts := secServe(t, &server.Server{Cameras: []*hub.Hub{secHub("one")}})
	_, page := get(t, ts.URL+"/", "")
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", " onerror=", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("page has %q, which the CSP blocks", bad)
		}
	}
}

func TestCORS(t *testing.T) {
	tests := []struct {
		origin, wantFrame, wantCreds string
	}{
		{"https://ha.example:8123", "frame-ancestors 'self' https://ha.example:8123", "true"},
		{"*", "frame-ancestors 'self' *", ""},
	}
	for _, tt := range tests {
		srv := secServer(io.Discard)
		srv.AllowOrigin = tt.origin
		ts := secServe(t, srv)

		// A preflight needs no auth: browsers send it without credentials.
		preflight := func(path string) *http.Response {
			req, _ := http.NewRequest("OPTIONS", ts.URL+path, nil)
			req.Header.Set("Origin", "https://ha.example:8123")
			req.Header.Set("Access-Control-Request-Method", "GET")
			req.Header.Set("Access-Control-Request-Headers", "authorization")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		for _, p := range []string{"/snapshot", "/cam/two/stream", "/?action=snapshot"} {
			resp := preflight(p)
			h := resp.Header
			if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != tt.origin ||
				h.Get("Access-Control-Allow-Methods") != "GET, HEAD" || h.Get("Access-Control-Allow-Headers") != "Authorization" ||
				h.Get("Access-Control-Allow-Credentials") != tt.wantCreds {
				t.Errorf("%s: preflight of %s: %s %v", tt.origin, p, resp.Status, h)
			}
		}
		// Only streams and snapshots are for other origins: status,
		// metrics, the page and the controls are not.
		good := basic(secUser, secPassword)
		for _, p := range []string{"/api/status", "/metrics", "/", "/api/cameras/one/controls"} {
			if resp := preflight(p); resp.StatusCode != 405 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s: preflight of %s: %s %v", tt.origin, p, resp.Status, resp.Header)
			}
			resp, _ := get(t, ts.URL+p, good)
			if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s: GET %s (%s) has Access-Control-Allow-Origin %q", tt.origin, p, resp.Status, v)
			}
		}

		resp, _ := get(t, ts.URL+"/snapshot?token="+tokOne, "")
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != tt.origin || h.Get("Access-Control-Allow-Credentials") != tt.wantCreds {
			t.Errorf("%s: snapshot %s %v", tt.origin, resp.Status, h)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.HasSuffix(csp, tt.wantFrame) {
			t.Errorf("%s: CSP %q", tt.origin, csp)
		}
		if h.Get("X-Frame-Options") != "" {
			t.Errorf("%s: X-Frame-Options with frame-ancestors naming another origin", tt.origin)
		}

		// HTTP/1.1 streams write their own head on the hijacked connection;
		// it carries the same headers.
		resp, _ = get(t, ts.URL+"/stream?token="+tokOne, "")
		h = resp.Header
		if resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != tt.origin ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
			!strings.HasSuffix(h.Get("Content-Security-Policy"), tt.wantFrame) {
			t.Errorf("%s: stream %s %v", tt.origin, resp.Status, h)
		}
	}
}
