package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/testpattern"
)

func benchServer(b *testing.B, cost int) *Server {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), cost)
	if err != nil {
		b.Fatal(err)
	}
	var cams []*hub.Hub
	for _, name := range []string{"one", "two", "three", "four"} {
		h := hub.New(hub.Config{
			Name:        name,
			Source:      &testpattern.Source{Width: 32, Height: 32, FPS: 30, Name: name},
			IdleTimeout: -1, // never started: the benchmark measures the server
			Logger:      slog.New(slog.DiscardHandler),
		})
		b.Cleanup(h.Close)
		cams = append(cams, h)
	}
	s := &Server{
		Cameras: cams,
		Users:   map[string]string{"alice": string(hash)},
		Tokens:  []Token{{Camera: "one", Secret: "bench-token-0123456789"}, {Camera: "two", Secret: "bench-token-abcdefghij"}},
		Logger:  slog.New(slog.DiscardHandler),
	}
	s.Handler()
	return s
}

// BenchmarkAllowPassword is basic auth on every request of a logged-in
// browser: a cache hit after the first bcrypt.
func BenchmarkAllowPassword(b *testing.B) {
	s := benchServer(b, bcrypt.DefaultCost)
	r := httptest.NewRequest("GET", "/snapshot", nil)
	r.SetBasicAuth("alice", "pw")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		if !s.allow(w, r, nil) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAllowPasswordUncached is one bcrypt verification at the default cost.
func BenchmarkAllowPasswordUncached(b *testing.B) {
	s := benchServer(b, bcrypt.DefaultCost)
	for b.Loop() {
		if bcrypt.CompareHashAndPassword([]byte(s.Users["alice"]), []byte("pw")) != nil {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAllowToken is a ?token= check on a snapshot URL.
func BenchmarkAllowToken(b *testing.B) {
	s := benchServer(b, bcrypt.MinCost)
	r := httptest.NewRequest("GET", "/cam/two/snapshot?token=bench-token-abcdefghij", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		if !s.allow(w, r, s.Cameras[1]) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkMetrics renders /metrics for four cameras.
func BenchmarkMetrics(b *testing.B) {
	s := benchServer(b, bcrypt.MinCost)
	r := httptest.NewRequest("GET", "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		s.metrics(discardWriter{}, r)
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return io.Discard.Write(p) }
func (discardWriter) WriteHeader(int)             {}
