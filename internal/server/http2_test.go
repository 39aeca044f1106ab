package server_test

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/testpattern"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// TestHTTP2GridOfEight: over TLS a browser showing a grid of 8 cameras
// opens 8 streams on ONE HTTP/2 connection (HTTP/1.1 would need 8
// connections, over the browsers' limit of 6), and every stream gets frames
// of its own camera.
func TestHTTP2GridOfEight(t *testing.T) {
	const n = 8
	var hubs []*hub.Hub
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		hubs = append(hubs, hub.New(hub.Config{
			Name:        name,
			Source:      &testpattern.Source{Width: 64 + 16*i, Height: 48, FPS: 15, Quality: 50, Name: name},
			IdleTimeout: time.Minute,
			Logger:      slog.New(slog.DiscardHandler),
		}))
	}
	srv := &server.Server{
		Cameras: hubs,
		Logger:  slog.New(slog.DiscardHandler),
		Users:   map[string]string{secUser: secHash()},
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.EnableHTTP2 = true
	var conns atomic.Int32
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.StartTLS()
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		for _, h := range hubs {
			h.Close()
		}
	})
	if host, _, _ := net.SplitHostPort(ts.Listener.Addr().String()); host != "127.0.0.1" {
		t.Fatalf("listening on %s", host)
	}
	client := ts.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	auth := basic(secUser, secPassword)

	open := func(i int) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/cam/c%d/stream", ts.URL, i), nil)
		req.Header.Set("Authorization", auth)
		return client.Do(req)
	}
	// The first stream makes the connection; the other 7 open at once on it.
	first, err := open(0)
	if err != nil {
		t.Fatal(err)
	}
	resps := make([]*http.Response, n)
	resps[0] = first
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 1; i < n; i++ {
		wg.Go(func() { resps[i], errs[i] = open(i) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("stream %d: %v", i, errs[i])
		}
	}
	for i, resp := range resps {
		if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
			t.Fatalf("stream %d: %s over %s", i, resp.Status, resp.Proto)
		}
	}
	streams := make([]<-chan []byte, n)
	for i, resp := range resps {
		streams[i] = fake.Parts(ctx, resp.Body, mjpeg.Boundary)
		wg.Go(func() {
			frames := streams[i]
			for k := range 3 {
				f, ok := <-frames
				if !ok {
					errs[i] = fmt.Errorf("stream %d ended after %d frames", i, k)
					return
				}
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(f))
				if err != nil || cfg.Width != 64+16*i {
					errs[i] = fmt.Errorf("stream %d frame %d: %v, width %d", i, k, err, cfg.Width)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Refusing a body does not break the shared connection.
	req, _ := http.NewRequest("POST", ts.URL+"/snapshot", strings.NewReader("body"))
	req.Header.Set("Authorization", auth)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || resp.ProtoMajor != 2 {
		t.Errorf("POST with a body: %s over %s", resp.Status, resp.Proto)
	}
	for i := range n {
		// Frames read before the POST are skipped; the next one came after.
		for len(streams[i]) > 0 {
			<-streams[i]
		}
		if _, ok := <-streams[i]; !ok {
			t.Errorf("stream %d ended after the POST", i)
		}
	}
	if c := conns.Load(); c != 1 {
		t.Errorf("%d connections for %d streams, want 1", c, n)
	}
	for _, h := range hubs {
		if v := h.Status().Viewers; v != 1 {
			t.Errorf("camera %s has %d viewers, want 1", h.Name(), v)
		}
	}
}
