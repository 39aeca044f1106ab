package server_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/server"
)

// rawRequest sends req as it is over a new connection to addr and returns
// the response with its body (none for a stream).
func rawRequest(t *testing.T, addr, req string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A safety net against a hung server, not a measurement.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/") {
		return resp, ""
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	return resp, string(b)
}

// request is an HTTP/1.1 request line and headers, ending the connection.
func request(method, target string, headers ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: framecast.test\r\nConnection: close\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// TestBadInput sends the server malformed, unauthorised and hostile
// requests, each with the exact answer it gets, while a viewer watches; the
// viewer must still get frames afterwards.
func TestBadInput(t *testing.T) {
	srv := secServer(io.Discard)
	srv.MaxViewers, srv.MaxViewersPerCamera = 3, 2
	server.SetFailMax(srv, 1000) // all requests come from 127.0.0.1
	ts := secServe(t, srv)
	addr := ts.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	viewer := secStream(t, ctx, nil, ts.URL+"/cam/one/stream?token="+tokOne, "")
	nextFrame(t, viewer)

	auth := "Authorization: " + basic(secUser, secPassword)
	long := "X-Long: " + strings.Repeat("a", 20<<10)
	tests := []struct {
		name   string
		req    string
		before func(t *testing.T) // opens what the row needs
		code   int
		body   string // the body's first line
		header string // "Key: value" the answer must carry
	}{
		// Authentication.
		{name: "no credentials", req: request("GET", "/stream"), code: 401, body: "authentication required", header: `Www-Authenticate: Basic realm="framecast", charset="UTF-8"`},
		{name: "wrong password", req: request("GET", "/stream", "Authorization: "+basic(secUser, "hunter2-guess")), code: 401, body: "wrong user name or password"},
		{name: "unknown user", req: request("GET", "/snapshot", "Authorization: "+basic("root", secPassword)), code: 401, body: "wrong user name or password"},
		{name: "empty password", req: request("GET", "/", "Authorization: "+basic(secUser, "")), code: 401, body: "wrong user name or password"},
		{name: "malformed basic", req: request("GET", "/stream", "Authorization: Basic !!!notbase64"), code: 401, body: "authentication required"},
		{name: "bearer scheme", req: request("GET", "/stream", "Authorization: Bearer "+tokOne), code: 401, body: "authentication required"},
		{name: "missing token", req: request("GET", "/stream?token="), code: 401, body: "authentication required"},
		{name: "wrong token", req: request("GET", "/stream?token=tok-one-0123456789abcdeX"), code: 401, body: "invalid token"},
		{name: "expired token", req: request("GET", "/stream?token="+tokOld), code: 401, body: "token expired"},
		{name: "other camera's token", req: request("GET", "/cam/one/stream?token="+tokTwo), code: 403, body: `token is not valid for camera "one"`},
		{name: "other camera's token, snapshot", req: request("GET", "/cam/two/snapshot.jpg?token="+tokOne), code: 403, body: `token is not valid for camera "two"`},
		{name: "wrong token on status", req: request("GET", "/api/status?token=tok-nope-0123456789abcdef"), code: 401, body: "invalid token"},
		{name: "token on metrics", req: request("GET", "/metrics?token="+tokOne), code: 401, body: "authentication required"},
		{name: "expired token on page", req: request("GET", "/?token="+tokOld), code: 401, body: "token expired"},
		{name: "token for unknown camera", req: request("GET", "/cam/three/stream?token="+tokOne), code: 401, body: "authentication required"},

		// Size.
		{name: "oversize header", req: request("GET", "/stream", auth, long), code: 431, body: "431 Request Header Fields Too Large"},
		{name: "oversize body", req: "POST /snapshot HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", code: 413, body: "request body not accepted: no route takes one"},
		{name: "body on GET", req: "GET /snapshot HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", code: 413, body: "request body not accepted: no route takes one"},
		{name: "chunked body on GET", req: "GET /snapshot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", code: 413, body: "request body not accepted: no route takes one"},

		// Path traversal, on every route.
		{name: "traversal /assets", req: request("GET", "/assets/../../../../etc/passwd", auth), code: 307, header: "Location: /etc/passwd"},
		{name: "traversal /assets encoded", req: request("GET", "/assets/..%2f..%2f..%2fetc%2fpasswd", auth), code: 404, body: "404 page not found"},
		{name: "traversal /assets dot-encoded", req: request("GET", "/assets/%2e%2e/%2e%2e/etc/passwd", auth), code: 404, body: "404 page not found"},
		{name: "traversal /assets backslash", req: request("GET", `/assets/..\..\etc\passwd`, auth), code: 404, body: "404 page not found"},
		{name: "traversal /", req: request("GET", "/../../etc/passwd", auth), code: 307, header: "Location: /etc/passwd"},
		{name: "traversal /stream", req: request("GET", "/stream/../../etc/passwd", auth), code: 307, header: "Location: /etc/passwd"},
		{name: "traversal /video_feed encoded", req: request("GET", "/video_feed%2f..%2f..%2fetc%2fpasswd", auth), code: 404, body: "404 page not found"},
		{name: "traversal /snapshot", req: request("GET", "/snapshot/../../etc/passwd", auth), code: 307, header: "Location: /etc/passwd"},
		{name: "traversal /snapshot.jpg", req: request("GET", "/snapshot.jpg/..%2f..%2fetc%2fpasswd", auth), code: 404, body: "404 page not found"},
		{name: "traversal /cam name", req: request("GET", "/cam/..%2f..%2fetc/stream", auth), code: 404, body: `no camera named "../../etc"`},
		{name: "traversal /cam path", req: request("GET", "/cam/one/../../../etc/passwd", auth), code: 307, header: "Location: /etc/passwd"},
		{name: "traversal /api/status", req: request("GET", "/api/status/../../etc/passwd", auth), code: 307, header: "Location: /etc/passwd"},
		{name: "traversal /metrics", req: request("GET", "/metrics/..%2f..%2fetc%2fpasswd", auth), code: 404, body: "404 page not found"},
		{name: "traversal /healthz", req: request("GET", "/healthz/../../etc/passwd"), code: 307, header: "Location: /etc/passwd"},
		{name: "traversal in action", req: request("GET", "/?action=../../etc/passwd", auth), code: 400, body: "unknown action: use action=stream or action=snapshot"},

		// Query values.
		{name: "fps not a number", req: request("GET", "/stream?fps=abc", auth), code: 400, body: `bad fps "abc": use a number from 0.1 to 120`},
		{name: "fps zero", req: request("GET", "/stream?fps=0", auth), code: 400, body: `bad fps "0": use a number from 0.1 to 120`},
		{name: "fps huge", req: request("GET", "/video_feed?fps=1e9", auth), code: 400, body: `bad fps "1e9": use a number from 0.1 to 120`},
		{name: "fps NaN", req: request("GET", "/?action=stream&fps=NaN", auth), code: 400, body: `bad fps "NaN": use a number from 0.1 to 120`},
		{name: "fps negative", req: request("GET", "/cam/two/stream?fps=-5", auth), code: 400, body: `bad fps "-5": use a number from 0.1 to 120`},
		{name: "unknown action", req: request("GET", "/?action=delete", auth), code: 400, body: "unknown action: use action=stream or action=snapshot"},
		{name: "bad escape in query", req: request("GET", "/stream?fps=%zz", auth), code: 400, body: `bad query: invalid URL escape "%zz"`},
		{name: "semicolon in query", req: request("GET", "/stream?fps=5;token=x", auth), code: 400, body: "bad query: invalid semicolon separator in query"},

		// Methods and protocol.
		{name: "POST", req: request("POST", "/stream", auth, "Content-Length: 0"), code: 405, body: "Method Not Allowed", header: "Allow: GET, HEAD"},
		{name: "DELETE", req: request("DELETE", "/cam/one/snapshot", auth), code: 405, body: "Method Not Allowed"},
		{name: "unknown method", req: request("BREW", "/", auth), code: 405, body: "Method Not Allowed"},
		{name: "OPTIONS without CORS", req: request("OPTIONS", "/stream", "Origin: https://evil.example", "Access-Control-Request-Method: GET"), code: 405, body: "Method Not Allowed"},
		{name: "HTTP/9.9", req: "GET /stream HTTP/9.9\r\nHost: x\r\n\r\n", code: 505, body: "505 HTTP Version Not Supported: unsupported protocol version"},
		{name: "no Host", req: "GET /stream HTTP/1.1\r\n\r\n", code: 400, body: "400 Bad Request: missing required Host header"},
		{name: "garbage request line", req: "\x00\x01\x02 junk\r\n\r\n", code: 400, body: "400 Bad Request"},

		// Limits.
		{name: "too many on one camera", before: func(t *testing.T) {
			nextFrame(t, secStream(t, ctx, nil, ts.URL+"/stream", basic(secUser, secPassword)))
		}, req: request("GET", "/?action=stream", auth), code: 503, body: `too many viewers: at most 2 on camera "one"`, header: "Retry-After: 10"},
		{name: "too many in all", before: func(t *testing.T) {
			nextFrame(t, secStream(t, ctx, nil, ts.URL+"/cam/two/stream?token="+tokTwo, ""))
		}, req: request("GET", "/cam/two/stream", auth), code: 503, body: "too many viewers: at most 3 in all", header: "Retry-After: 10"},
	}
	for _, tt := range tests {
		if tt.before != nil {
			tt.before(t)
		}
		resp, body := rawRequest(t, addr, tt.req)
		first, _, _ := strings.Cut(body, "\n")
		if resp.StatusCode != tt.code || (tt.body != "" && first != tt.body) {
			t.Errorf("%s: %d %q, want %d %q", tt.name, resp.StatusCode, first, tt.code, tt.body)
		}
		if k, v, ok := strings.Cut(tt.header, ": "); ok && resp.Header.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", tt.name, k, resp.Header.Get(k), v)
		}
		if resp.StatusCode == 200 || strings.Contains(body, "root:") {
			t.Errorf("%s: served %q", tt.name, first)
		}
	}
	if len(tests) < 25 {
		t.Errorf("%d bad inputs, want at least 25", len(tests))
	}
	// The viewer that watched all this still gets new frames.
	a := nextFrame(t, viewer)
	b := nextFrame(t, viewer)
	if string(a) == string(b) {
		t.Error("viewer got the same frame twice")
	}
}
