package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/testpattern"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// The account and tokens of the security tests.
const (
	secUser     = "alice"
	secPassword = "correct horse battery"
	tokOne      = "tok-one-0123456789abcdef"
	tokTwo      = "tok-two-0123456789abcdef"
	tokOld      = "tok-old-0123456789abcdef"
)

var secHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(secPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// secHub is a small test pattern camera named name.
func secHub(name string) *hub.Hub {
	return hub.New(hub.Config{
		Name:        name,
		Source:      &testpattern.Source{Width: 160, Height: 120, FPS: 30, Quality: 60, Name: name},
		Describe:    "testpattern",
		IdleTimeout: time.Minute,
		Logger:      slog.New(slog.DiscardHandler),
	})
}

// secServer is a Server with two cameras, "one" and "two", the account and
// the tokens (tokOld expired), status behind auth; logs go to log.
func secServer(log io.Writer) *server.Server {
	return &server.Server{
		Cameras:         []*hub.Hub{secHub("one"), secHub("two")},
		SnapshotTimeout: 5 * time.Second,
		Logger:          slog.New(slog.NewTextHandler(log, nil)),
		Users:           map[string]string{secUser: secHash()},
		Tokens: []server.Token{
			{Camera: "one", Secret: tokOne},
			{Camera: "two", Secret: tokTwo},
			{Camera: "one", Secret: tokOld, Expires: time.Now().Add(-time.Hour)},
		},
	}
}

// secServe serves srv on 127.0.0.1:0 with the limits of NewHTTPServer
// until the test ends.
func secServe(t *testing.T, srv *server.Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = server.NewHTTPServer(srv.Handler(), slog.New(slog.DiscardHandler))
	ts.Start()
	t.Cleanup(func() {
		srv.Close()
		ts.CloseClientConnections()
		ts.Close()
		for _, h := range srv.Cameras {
			h.Close()
		}
	})
	return ts
}

// syncBuffer is a log that tests read while the server writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// get does GET url with the Authorization header auth (none if empty) and
// returns the response with its body read, unless it is a stream.
func get(t *testing.T, url, auth string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/") {
		return resp, ""
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestAuth(t *testing.T) {
	var log syncBuffer
	ts := secServe(t, secServer(&log))
	good := basic(secUser, secPassword)
	tests := []struct {
		path, auth string
		code       int
		body       string // the first line of the body; "" for a stream or file
	}{
		{"/healthz", "", 200, "ok"},
		{"/assets/app.js", "", 200, ""},
		{"/", "", 401, "authentication required"},
		{"/", good, 200, ""},
		{"/snapshot", good, 200, ""},
		{"/stream", good, 200, ""},
		{"/cam/two/snapshot.jpg", good, 200, ""},
		{"/snapshot?token=" + tokOne, "", 200, ""},
		{"/cam/one/snapshot?token=" + tokOne, "", 200, ""},
		{"/?action=snapshot&token=" + tokOne, "", 200, ""},
		{"/cam/two/stream?token=" + tokTwo, "", 200, ""},
		{"/stream?token=" + tokTwo, "", 403, `token is not valid for camera "one"`},
		{"/snapshot?token=" + tokOld, "", 401, "token expired"},
		{"/snapshot?token=nope", "", 401, "invalid token"},
		{"/api/status?token=" + tokOne, "", 200, ""},
		{"/metrics?token=" + tokOne, "", 401, "authentication required"},
		{"/?token=" + tokOne, "", 200, ""},
		{"/?token=nope", "", 401, "invalid token"},
		{"/api/status", good, 200, ""},
		{"/metrics", good, 200, ""},
		{"/snapshot", basic(secUser, "hunter2-guess"), 401, "wrong user name or password"},
		{"/snapshot", basic("mallory", secPassword), 401, "wrong user name or password"},
		{"/cam/nope/stream", "", 401, "authentication required"},
		{"/cam/nope/stream", good, 404, `no camera named "nope"`},
	}
	for _, tt := range tests {
		resp, body := get(t, ts.URL+tt.path, tt.auth)
		if resp.StatusCode != tt.code {
			t.Errorf("GET %s (auth %q): %s, want %d: %s", tt.path, tt.auth, resp.Status, tt.code, body)
			continue
		}
		if first, _, _ := strings.Cut(body, "\n"); tt.body != "" && first != tt.body {
			t.Errorf("GET %s: body %q, want %q", tt.path, first, tt.body)
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		if (tt.code == 401) != (challenge != "") {
			t.Errorf("GET %s: %d with WWW-Authenticate %q", tt.path, tt.code, challenge)
		}
		if tt.code == 401 && challenge != `Basic realm="framecast", charset="UTF-8"` {
			t.Errorf("GET %s: WWW-Authenticate %q", tt.path, challenge)
		}
	}
	logs := log.String()
	for _, want := range []string{`reason="invalid token"`, `reason="wrong user name or password"`, "user=mallory", `reason="token expired"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	for _, secret := range []string{secPassword, tokOne, tokOld, "hunter2-guess"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log reveals secret %q", secret)
		}
	}
}

func TestAuthOffWithoutUsersOrTokens(t *testing.T) {
	ts := secServe(t, &server.Server{Cameras: []*hub.Hub{secHub("one")}})
	for _, p := range []string{"/", "/snapshot", "/api/status", "/metrics"} {
		if resp, body := get(t, ts.URL+p, ""); resp.StatusCode != 200 {
			t.Errorf("GET %s: %s %s", p, resp.Status, body)
		}
	}
}

func TestPublicStatus(t *testing.T) {
	srv := secServer(io.Discard)
	srv.PublicStatus = true
	ts := secServe(t, srv)
	for _, tt := range []struct {
		path string
		code int
	}{{"/api/status", 200}, {"/metrics", 200}, {"/", 401}, {"/snapshot", 401}} {
		if resp, body := get(t, ts.URL+tt.path, ""); resp.StatusCode != tt.code {
			t.Errorf("GET %s: %s, want %d: %s", tt.path, resp.Status, tt.code, body)
		}
	}
}

// TestFailedAttemptsLimited: after 5 failures for a user name from an
// address, that name is refused there with 429, even with the right
// password, while a viewer already in keeps streaming; other names and
// tokens from the same address (a NAT, a proxy) still work.
func TestFailedAttemptsLimited(t *testing.T) {
	var log syncBuffer
	srv := secServer(&log)
	const bob, bobPassword = "bob", "bob's own password"
	bobHash, err := bcrypt.GenerateFromPassword([]byte(bobPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	srv.Users[bob] = string(bobHash)
	ts := secServe(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	frames := secStream(t, ctx, nil, ts.URL+"/stream", basic(secUser, secPassword))
	nextFrame(t, frames)

	bad := basic(secUser, "guess")
	for i := range 5 {
		if resp, body := get(t, ts.URL+"/snapshot", bad); resp.StatusCode != 401 {
			t.Fatalf("failure %d: %s %s", i+1, resp.Status, body)
		}
	}
	for _, auth := range []string{bad, basic(secUser, secPassword)} {
		resp, body := get(t, ts.URL+"/snapshot", auth)
		if resp.StatusCode != 429 || !strings.HasPrefix(body, "too many failed attempts: retry in ") {
			t.Fatalf("after 5 failures, auth %q: %s %q", auth, resp.Status, body)
		}
		if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After %q", ra)
		}
	}
	for _, tt := range []struct {
		what, path, auth string
		code             int
	}{
		{"another user's password", "/snapshot", basic(bob, bobPassword), 200},
		{"a token", "/snapshot?token=" + tokOne, "", 200},
		{"no credentials", "/snapshot", "", 401},
		{"a route without auth", "/healthz", "", 200},
	} {
		if resp, body := get(t, ts.URL+tt.path, tt.auth); resp.StatusCode != tt.code {
			t.Errorf("%s while %s is blocked: %s, want %d: %s", tt.what, secUser, resp.Status, tt.code, body)
		}
	}
	for range 2 {
		nextFrame(t, frames)
	}
	if n := strings.Count(log.String(), "auth blocked"); n != 1 {
		t.Errorf("%d 'auth blocked' lines, want 1:\n%s", n, log.String())
	}
}

// TestWrongTokensNotCounted: wrong tokens cost a hash, not bcrypt, and a
// 128-bit secret is not guessed: they block neither tokens nor passwords.
func TestWrongTokensNotCounted(t *testing.T) {
	ts := secServe(t, secServer(io.Discard))
	for i := range 20 {
		if resp, _ := get(t, ts.URL+"/snapshot?token=wrong-"+strconv.Itoa(i), ""); resp.StatusCode != 401 {
			t.Fatalf("wrong token %d: %s", i, resp.Status)
		}
	}
	for _, tt := range []struct{ path, auth string }{
		{"/snapshot?token=" + tokOne, ""},
		{"/snapshot", basic(secUser, secPassword)},
	} {
		if resp, body := get(t, ts.URL+tt.path, tt.auth); resp.StatusCode != 200 {
			t.Errorf("GET %s after 20 wrong tokens: %s %s", tt.path, resp.Status, body)
		}
	}
}

// TestSuccessClearsFailures: a client that logs in after a few mistakes
// starts afresh.
func TestSuccessClearsFailures(t *testing.T) {
	ts := secServe(t, secServer(io.Discard))
	bad, good := basic(secUser, "guess"), basic(secUser, secPassword)
	want := []int{401, 401, 401, 401, 200, 401, 401, 401, 401, 401, 429}
	for i, code := range want {
		auth := bad
		if code == 200 {
			auth = good
		}
		if resp, _ := get(t, ts.URL+"/api/status", auth); resp.StatusCode != code {
			t.Fatalf("request %d: %s, want %d", i, resp.Status, code)
		}
	}
}

// secStream opens a stream with client (nil for the default) and sends
// each part's JPEG on the returned channel, closed when the stream ends.
func secStream(t *testing.T, ctx context.Context, client *http.Client, url, auth string) <-chan []byte {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return fake.Parts(ctx, resp.Body, mjpeg.Boundary)
}

// nextFrame waits for a frame of a stream; it fails t if the stream ended.
func nextFrame(t *testing.T, frames <-chan []byte) []byte {
	t.Helper()
	f, ok := <-frames
	if !ok {
		t.Fatal("stream ended")
	}
	return f
}

// TestTokensOnly: with tokens and no users (the Home Assistant set-up), a
// token opens the page and its camera's status; nothing asks for a
// password that cannot exist.
func TestTokensOnly(t *testing.T) {
	srv := secServer(io.Discard)
	srv.Users = nil
	ts := secServe(t, srv)
	for _, tt := range []struct {
		path string
		code int
		body string
	}{
		{"/", 401, "authentication required: add ?token= with one of the camera's tokens to the address"},
		{"/?token=" + tokOne, 200, `<img id="live"`},
		{"/?token=" + tokTwo, 200, `<img id="live"`},
		{"/?token=" + tokOld, 401, "token expired"},
		{"/?token=nope", 401, "invalid token"},
		{"/api/status", 401, "authentication required"},
		{"/metrics?token=" + tokOne, 401, "authentication required"},
		{"/cam/one/stream?token=" + tokOne, 200, ""},
		{"/cam/two/snapshot?token=" + tokOne, 403, "not valid for camera"},
	} {
		resp, body := get(t, ts.URL+tt.path, "")
		if resp.StatusCode != tt.code || !strings.Contains(body, tt.body) {
			t.Errorf("GET %s: %s %.80q, want %d with %q", tt.path, resp.Status, body, tt.code, tt.body)
		}
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			t.Errorf("GET %s: WWW-Authenticate %q: a prompt no password can answer", tt.path, c)
		}
	}

	// A viewer of camera one is watching; the token holder's status names
	// camera one alone, without its source, error or viewers.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	frames := secStream(t, ctx, nil, ts.URL+"/cam/one/stream?token="+tokOne, "")
	nextFrame(t, frames)
	_, body := get(t, ts.URL+"/api/status?token="+tokOne, "")
	var st struct {
		Cameras []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(st.Cameras) != 1 || st.Cameras[0]["name"] != "one" {
		t.Fatalf("token holder's status: %s", body)
	}
	c := st.Cameras[0]
	if n, _ := c["viewers"].(float64); n < 1 || c["state"] != "running" {
		t.Errorf("status lacks the camera's state or viewers: %v", c)
	}
	if c["source"] != "" || c["last_error"] != nil || c["viewer_list"] != nil {
		t.Errorf("token holder reads the owner's details: source %v, last_error %v, viewers %v", c["source"], c["last_error"], c["viewer_list"])
	}
	if strings.Contains(body, "127.0.0.1") {
		t.Errorf("token holder reads viewers' addresses: %s", body)
	}
}
