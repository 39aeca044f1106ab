package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// frameOf is a distinct 20 KB frame: bigger than a small receive buffer,
// smaller than the server's first send buffer.
func frameOf(n byte) []byte {
	b := append([]byte{0xFF, 0xD8}, bytes.Repeat([]byte{n}, 20<<10)...)
	return append(b, 0xFF, 0xD9)
}

// A viewer whose last part is still queued on its socket when a new frame
// arrives gets, once the queue has drained, the newest frame, not the one
// that arrived first: the socket took the last part whole, so the viewer
// never looked behind, but on a thin link the next part would have waited
// behind it and arrived stale.
func TestQueuedViewerGetsNewestFrame(t *testing.T) {
	emit := make(chan []byte)
	h := hub.New(hub.Config{Name: "cam", IdleTimeout: time.Minute, StallTimeout: -1,
		Source: hub.SourceFunc(func(ctx context.Context, out func(mjpeg.Frame)) error {
			for {
				select {
				case b := <-emit:
					out(mjpeg.Frame{Data: b, Time: time.Now()})
				case <-ctx.Done():
					return nil
				}
			}
		})})
	ts := serve(t, h)

	// A small receive buffer stands for a thin link: the part that does
	// not fit stays queued on the server's socket.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	c, err := d.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
	br := bufio.NewReaderSize(c, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /stream: %v %v", resp, err)
	}
	written := func(n int64) func() bool {
		return func() bool {
			st := h.Status()
			return len(st.ViewerList) == 1 && st.ViewerList[0].Frames == n
		}
	}
	published := func(b []byte) func() bool {
		return func() bool { f := h.Latest(); return f != nil && bytes.Equal(f.Data, b) }
	}

	emit <- frameOf(1)
	fake.WaitFor(t, "the first part written", written(1))
	emit <- frameOf(2)
	// Time for a server that does not wait to start sending frame 2; the
	// outcome asserted below does not depend on how long this is.
	time.Sleep(100 * time.Millisecond)
	emit <- frameOf(3)
	emit <- frameOf(4)
	fake.WaitFor(t, "frame 4 published", published(frameOf(4)))

	r := mjpeg.NewReader(br, mjpeg.Boundary)
	for i, want := range []byte{1, 4} {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if len(p.Body) != len(frameOf(want)) || p.Body[2] != want {
			t.Fatalf("part %d is frame %d, want frame %d (the newest once the first had left)", i+1, p.Body[2], want)
		}
	}
}
