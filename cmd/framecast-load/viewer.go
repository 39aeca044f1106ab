package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// target is what the viewers connect to: a framecast stream URL (HTTP) or
// the reference server (raw TCP, the multipart body with no HTTP around it).
type target struct {
	addr string // host:port
	path string // request path; empty for the raw reference
}

func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == "tcp" && u.Host != "" {
		return target{addr: u.Host}, nil // a second reference server
	}
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return target{}, fmt.Errorf("-url %q: want http://127.0.0.1:PORT/stream (or tcp://HOST:PORT for a reference server)", raw)
	}
	p := u.RequestURI()
	if p == "" {
		p = "/"
	}
	return target{addr: u.Host, path: p}, nil
}

// viewerStats is what one viewer saw inside the measuring window.
type viewerStats struct {
	frames, dups int64
	bytes        int64
	stamps       []int64   // X-Timestamps of the distinct frames, ascending
	lat, first   []float32 // ms: whole part received, part header received
	slow         bool
	failed       bool // the stream broke inside the window
}

// window tells viewers whether they are inside the measuring window.
type window struct {
	state atomic.Int32  // 0 warm-up, 1 measuring, 2 done
	end   chan struct{} // closed when done
}

func newWindow() *window { return &window{end: make(chan struct{})} }

func (w *window) measuring() bool { return w.state.Load() == 1 }
func (w *window) done() bool      { return w.state.Load() == 2 }
func (w *window) start()          { w.state.Store(1) }
func (w *window) stop()           { w.state.Store(2); close(w.end) }

// viewer is one client. It reads the stream until the window is done.
type viewer struct {
	t        target
	fps      float64
	slowRate int // bytes per second; 0 for a fast viewer
	// localPort, when not 0, is the port to connect from, so that tc can
	// shape this viewer's link by its port.
	localPort int
	win       *window
	st        viewerStats
	// onConnected is called once the stream has started.
	onConnected func()
}

// run connects and reads; the returned error is a connection failure.
func (v *viewer) run() error {
	d := net.Dialer{Timeout: 5 * time.Second}
	if v.slowRate > 0 {
		// A slow viewer models a slow network: the bytes it has not read
		// must wait in the server's socket, not in a big receive buffer here.
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			return serr
		}
	}
	if v.localPort > 0 {
		d.LocalAddr = &net.TCPAddr{Port: v.localPort}
		// A port just closed by the previous round may linger in TIME_WAIT.
		ctl := d.Control
		d.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1) })
			if serr == nil && ctl != nil {
				serr = ctl(network, address, c)
			}
			return serr
		}
	}
	conn, err := d.Dial("tcp", v.t.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	go func() {
		// Unblock a read when the window ends.
		<-v.win.end
		conn.Close()
	}()
	var r io.Reader = conn
	bufSize := 64 << 10
	if v.slowRate > 0 {
		r = &capped{r: conn, rate: v.slowRate}
		bufSize = 4 << 10
	}
	br := bufio.NewReaderSize(r, bufSize)
	if v.t.path != "" {
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: framecast-load\r\n\r\n", v.t.path, v.t.addr); err != nil {
			return err
		}
		body, err := readHead(br)
		if err != nil {
			return err
		}
		if body != nil {
			br = bufio.NewReaderSize(body, bufSize)
		}
	}
	if v.onConnected != nil {
		v.onConnected()
	}
	err = v.read(br)
	if v.win.done() {
		return nil
	}
	if v.win.measuring() {
		v.st.failed = true
	}
	return err
}

// readHead reads an HTTP response head from br. It returns a reader for a
// chunked body, or nil when the body follows in br as is.
func readHead(br *bufio.Reader) (io.Reader, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) || len(line) < 12 || string(line[9:12]) != "200" {
		return nil, fmt.Errorf("response %q", bytes.TrimSpace(line))
	}
	chunked := false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			break
		}
		if k, val, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Transfer-Encoding")) &&
			bytes.Contains(bytes.ToLower(val), []byte("chunked")) {
			chunked = true
		}
	}
	if chunked {
		return httputil.NewChunkedReader(br), nil
	}
	return nil, nil
}

var (
	hdrLength = []byte("content-length:")
	hdrStamp  = []byte("x-timestamp:")
)

// read parses parts until the stream ends: a boundary line, header lines,
// an empty line, Content-Length bytes of JPEG. Bodies are skipped, never
// copied out, so the client stays cheap beside the server it measures.
func (v *viewer) read(br *bufio.Reader) error {
	var prevStamp int64 = -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue // the CRLF ending the previous part
		}
		if !bytes.HasPrefix(line, []byte("--")) {
			return fmt.Errorf("expected a boundary, got %q", truncate(line))
		}
		length, stamp := -1, int64(-1)
		for {
			line, err = br.ReadSlice('\n')
			if err != nil {
				return err
			}
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				break
			}
			if hasPrefixFold(line, hdrLength) {
				length, _ = strconv.Atoi(string(bytes.TrimSpace(line[len(hdrLength):])))
			} else if hasPrefixFold(line, hdrStamp) {
				stamp = parseStamp(bytes.TrimSpace(line[len(hdrStamp):]))
			}
		}
		if length < 0 {
			return errors.New("part without Content-Length")
		}
		headAt := time.Now()
		if _, err := br.Discard(length); err != nil {
			return err
		}
		if !v.win.measuring() {
			prevStamp = stamp
			continue
		}
		now := time.Now()
		v.st.bytes += int64(length)
		switch {
		case stamp >= 0 && stamp == prevStamp:
			v.st.dups++
		default:
			v.st.frames++
			if stamp >= 0 {
				v.st.stamps = append(v.st.stamps, stamp)
			}
		}
		if stamp >= 0 {
			us := float32(now.UnixMicro()-stamp) / 1000
			v.st.lat = append(v.st.lat, us)
			v.st.first = append(v.st.first, float32(headAt.UnixMicro()-stamp)/1000)
		}
		prevStamp = stamp
	}
}

func hasPrefixFold(s, prefix []byte) bool {
	return len(s) >= len(prefix) && bytes.EqualFold(s[:len(prefix)], prefix)
}

// parseStamp reads "1732500000.123456" as microseconds without allocating.
func parseStamp(b []byte) int64 {
	var sec, frac int64
	digits := 0
	inFrac := false
	for _, c := range b {
		switch {
		case c == '.':
			inFrac = true
		case c >= '0' && c <= '9' && !inFrac:
			sec = sec*10 + int64(c-'0')
		case c >= '0' && c <= '9' && digits < 6:
			frac = frac*10 + int64(c-'0')
			digits++
		}
	}
	for ; digits < 6; digits++ {
		frac *= 10
	}
	return sec*1e6 + frac
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// capped reads at most rate bytes per second, in small steps, like a
// viewer on a slow link.
type capped struct {
	r     io.Reader
	rate  int
	start time.Time
	total int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.start.IsZero() {
		c.start = time.Now()
	}
	// Allowed so far, plus a tenth of a second's worth of burst.
	for {
		allowed := int64(time.Since(c.start).Seconds()*float64(c.rate)) + int64(c.rate/10) - c.total
		if allowed > 0 {
			if int64(len(p)) > allowed {
				p = p[:allowed]
			}
			break
		}
		time.Sleep(time.Duration(float64(-allowed+1) / float64(c.rate) * float64(time.Second)))
	}
	n, err := c.r.Read(p)
	c.total += int64(n)
	return n, err
}
