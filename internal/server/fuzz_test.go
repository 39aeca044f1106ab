package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/testpattern"
)

// FuzzQuery sends every route that reads a query (fps, token, action) any
// query string, against a server whose camera "one" opens with a token.
// Whatever the query, the answer is one of the documented ones, never a
// panic or a 500, and a picture goes out only for the right token.
func FuzzQuery(f *testing.F) {
	const token = "fuzz-token-0123456789"
	for _, seed := range []string{
		"", "fps=10", "fps=0.1", "fps=120", "fps=120.0001", "fps=NaN", "fps=-Inf", "fps=1e-1", "fps=0x10",
		"token=" + token, "token=" + token + "&fps=5", "token=x&token=" + token, "token=" + token + "&token=x",
		"action=stream&token=" + token, "action=snapshot&token=" + token, "action=../../etc/passwd",
		"fps=%zz", "a;b", "token=%00", "token=" + strings.ToUpper(token), "token=" + token[:10], "=&=&&",
		"action=stream&action=snapshot", "fps=" + strings.Repeat("9", 400),
	} {
		f.Add("/", seed)
		f.Add("/stream", seed)
		f.Add("/snapshot", seed)
	}
	h := hub.New(hub.Config{
		Name:   "one",
		Source: &testpattern.Source{Width: 32, Height: 32, FPS: 30, Quality: 50, Name: "one"},
		Logger: slog.New(slog.DiscardHandler),
	})
	f.Cleanup(h.Close)
	if _, err := h.Next(context.Background(), 0); err != nil {
		f.Fatal(err)
	}
	srv := &Server{
		Cameras: []*hub.Hub{h},
		Tokens:  []Token{{Camera: "one", Secret: token}},
		Logger:  slog.New(slog.DiscardHandler),
		failMax: 1 << 30,
	}
	handler := srv.Handler()
	done, cancel := context.WithCancel(context.Background())
	cancel() // a stream sends at most one frame, then sees its client gone

	paths := map[string]bool{"/": true, "/stream": true, "/snapshot": true, "/cam/one/stream": true, "/cam/one/snapshot": true}
	f.Fuzz(func(t *testing.T, path, raw string) {
		if !paths[path] {
			return
		}
		fps, fpsErr := parseFPS(&http.Request{URL: &url.URL{RawQuery: raw}})
		if fpsErr == nil && fps != 0 && !(fps >= 0.1 && fps <= 120) {
			t.Fatalf("parseFPS(%q) = %v", raw, fps)
		}
		r := httptest.NewRequest("GET", "/", nil).WithContext(done)
		r.URL.Path, r.URL.RawQuery, r.RequestURI = path, raw, path+"?"+raw
		// As HTTP/2, streams write through the recorder instead of
		// hijacking a connection it does not have.
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		code, body := w.Code, w.Body.String()

		q, qErr := url.ParseQuery(raw)
		action := q.Get("action")
		media := path != "/" || action == "stream" || action == "snapshot"
		var want []int
		switch {
		case qErr != nil:
			want = []int{400}
		case path == "/" && !media && action != "":
			want = []int{400}
		case q.Get("token") == "":
			want = []int{401}
		case q.Get("token") != token:
			want = []int{401}
		case fpsErr != nil && (path == "/stream" || path == "/cam/one/stream" || action == "stream"):
			want = []int{400}
		default:
			want = []int{200}
		}
		ok := false
		for _, c := range want {
			ok = ok || c == code
		}
		if !ok {
			t.Fatalf("GET %s?%s: %d %q, want %v", path, raw, code, body, want)
		}
		if code != 200 && (body == "" || !strings.HasSuffix(body, "\n")) {
			t.Fatalf("GET %s?%s: %d with body %q", path, raw, code, body)
		}
	})
}
