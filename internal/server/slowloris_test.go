package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

func TestNewHTTPServerLimits(t *testing.T) {
	hs := server.NewHTTPServer(http.NotFoundHandler(), nil)
	if hs.ReadHeaderTimeout != 10*time.Second || hs.MaxHeaderBytes != 16<<10 || hs.IdleTimeout != 2*time.Minute {
		t.Errorf("limits: header timeout %v, header bytes %d, idle %v", hs.ReadHeaderTimeout, hs.MaxHeaderBytes, hs.IdleTimeout)
	}
	// Either would cut every stream after that long.
	if hs.ReadTimeout != 0 || hs.WriteTimeout != 0 {
		t.Errorf("ReadTimeout %v, WriteTimeout %v", hs.ReadTimeout, hs.WriteTimeout)
	}
}

// slowServer serves one camera with NewHTTPServer's setup, its timeouts
// shortened so the test does not wait 10 s; the rest is the real thing.
func slowServer(t *testing.T) *httptest.Server {
	h := secHub("one")
	srv := &server.Server{Cameras: []*hub.Hub{h}, Logger: slog.New(slog.DiscardHandler)}
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = server.NewHTTPServer(srv.Handler(), nil)
	ts.Config.ReadHeaderTimeout = 300 * time.Millisecond
	ts.Config.IdleTimeout = 300 * time.Millisecond
	ts.Start()
	t.Cleanup(func() {
		srv.Close()
		ts.CloseClientConnections()
		ts.Close()
		h.Close()
	})
	return ts
}

// waitClosed reads c until the server closes it and returns what it sent.
func waitClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	// A safety net against a server that never closes, not a measurement.
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server kept the connection open; got %q", b)
	}
	return string(b)
}

// TestSlowloris: clients that send part of their headers and stop, or
// trickle them, or trickle a body, or idle after a request, are cut off,
// while a viewer keeps streaming and new requests are served.
func TestSlowloris(t *testing.T) {
	ts := slowServer(t)
	addr := ts.Listener.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	viewer := secStream(t, ctx, nil, ts.URL+"/stream", "")
	nextFrame(t, viewer)

	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	// 50 clients stop in the middle of their headers: each is closed
	// without an answer.
	var wg sync.WaitGroup
	for i := range 50 {
		c := dial()
		io.WriteString(c, "GET /stream HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
		wg.Go(func() {
			if got := waitClosed(t, c); got != "" {
				t.Errorf("half-open client %d got %q", i, got)
			}
		})
		if i == 25 {
			// The server still answers others meanwhile.
			if resp, body := get(t, ts.URL+"/healthz", ""); resp.StatusCode != 200 {
				t.Errorf("healthz: %s %s", resp.Status, body)
			}
		}
	}
	wg.Wait()

	// Trickling header lines does not extend the deadline: the connection
	// is closed long before the headers could reach MaxHeaderBytes.
	c := dial()
	io.WriteString(c, "GET /snapshot HTTP/1.1\r\nHost: localhost\r\n")
	closed := make(chan string)
	go func() { closed <- waitClosed(t, c) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	sent := 0
trickle:
	for {
		select {
		case got := <-closed:
			if got != "" {
				t.Errorf("trickling client got %q", got)
			}
			break trickle
		case <-tick.C:
			if sent > 16<<10 {
				t.Fatal("trickled past MaxHeaderBytes without being cut off")
			}
			n, _ := io.WriteString(c, "X-Drip: 1\r\n")
			sent += n
		}
	}

	// A body trickled after the headers: refused at once and closed.
	c = dial()
	io.WriteString(c, "GET /snapshot HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || !resp.Close {
		t.Errorf("trickled body: %s, close %v", resp.Status, resp.Close)
	}
	waitClosed(t, c)

	// A kept-alive connection that sends nothing more is closed when idle.
	c = dial()
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatal("healthz closed the connection itself")
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("idle connection: %q, %v", rest, err)
	}

	// The viewer saw none of it.
	a, b := nextFrame(t, viewer), nextFrame(t, viewer)
	if string(a) == string(b) {
		t.Error("viewer got the same frame twice")
	}
	if !strings.HasPrefix(string(a), "\xff\xd8") {
		t.Error("viewer got no JPEG")
	}
}
