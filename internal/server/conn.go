package server

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"
)

// notSentLowat bounds the bytes a stream socket holds that the kernel has
// not yet sent (Linux TCP_NOTSENT_LOWAT). Without it the send buffer grows
// to megabytes and a slow viewer's "latest" frame waits behind seconds of
// older ones.
const notSentLowat = 16 << 10

// connPartWriter writes parts straight to a hijacked HTTP/1.x connection.
type connPartWriter struct {
	c       net.Conn
	raw     syscall.RawConn // nil when the socket has no file descriptor
	timeout time.Duration
	trail   []byte        // closes each part
	every   time.Duration // how often the write deadline is moved on
	setAt   time.Time     // when it was last moved
	arr     [3][]byte
	bufs    net.Buffers
	ready   func(fd uintptr) bool // writable, allocated once for RawConn.Write
	last    int                   // bytes of the last part, to size the next one
	clean   int                   // busy's answers of no in a row
	calm    int                   // parts busy may still answer without looking
	q       queueState            // queued's question and answer
	look    func(fd uintptr)      // lookQueue, allocated once for RawConn.Control
}

// hijack takes over w's connection, writes the response head and open, and
// returns a writer for parts that trail closes. It returns
// http.ErrNotSupported, having written nothing, when w cannot be hijacked.
func (s *Server) hijack(w http.ResponseWriter, r *http.Request, open, trail []byte) (*connPartWriter, error) {
	head := responseHead(r, w.Header())
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, err
	}
	// Bytes the client pipelined after its request are never answered: the
	// stream holds the connection until it closes.
	_ = brw
	p := &connPartWriter{c: c, timeout: s.WriteTimeout, trail: trail, every: min(s.WriteTimeout/10, time.Second)}
	p.ready = p.writable
	if sc, ok := socketOf(c); ok {
		if raw, err := sc.SyscallConn(); err == nil && setNotSentLowat(raw, notSentLowat) == nil {
			p.raw = raw
		}
	}
	p.deadline(time.Now())
	if _, err := c.Write(append(head, open...)); err != nil {
		c.Close()
		return nil, err
	}
	return p, nil
}

// socketOf finds the socket under c, also through TLS.
func socketOf(c net.Conn) (syscall.Conn, bool) {
	for {
		if sc, ok := c.(syscall.Conn); ok {
			return sc, true
		}
		nc, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return nil, false
		}
		c = nc.NetConn()
	}
}

// responseHead renders the status line and the headers of a stream: those
// set on h (security headers, CORS, the stream's own), a Date, and
// Connection: close, as the body runs until the connection ends.
func responseHead(r *http.Request, h http.Header) []byte {
	b := make([]byte, 0, 1024)
	if r.ProtoAtLeast(1, 1) {
		b = append(b, "HTTP/1.1 200 OK\r\n"...)
	} else {
		b = append(b, "HTTP/1.0 200 OK\r\n"...)
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	clean := strings.NewReplacer("\r", " ", "\n", " ")
	for _, k := range keys {
		switch http.CanonicalHeaderKey(k) {
		case "Connection", "Content-Length", "Transfer-Encoding", "Date":
			continue
		}
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, clean.Replace(v)...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "Date: "...)
	b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
	return append(b, "\r\nConnection: close\r\n\r\n"...)
}

// deadline moves the write deadline to now+timeout when it was last moved
// more than p.every ago: a client that takes nothing is still dropped after
// about the timeout, without resetting a timer for every frame.
func (p *connPartWriter) deadline(now time.Time) {
	if now.Sub(p.setAt) >= p.every {
		p.c.SetWriteDeadline(now.Add(p.timeout))
		p.setAt = now
	}
}

// part writes header, JPEG and trailer in one vectored write, with no copy.
func (p *connPartWriter) part(hdr, data []byte) error {
	p.deadline(time.Now())
	p.arr = [3][]byte{hdr, data, p.trail}
	p.bufs = p.arr[:]
	p.last = len(hdr) + len(data) + len(p.trail)
	_, err := p.bufs.WriteTo(p.c)
	p.arr = [3][]byte{} // hold no frame beyond its write
	return err
}

// settle waits until the socket's unsent bytes are under notSentLowat, then
// until what is still queued, unsent or unacknowledged, is at most an
// eighth of a part: on a thin link the bytes in flight are a good part of a
// frame, and a frame chosen before they drain is that much older when it
// arrives. It sleeps for as long as the kernel's delivery rate says the
// excess needs, 1 to 100 ms at a time; it runs only for a viewer that is
// behind or busy, never on a fast viewer's every frame.
func (p *connPartWriter) settle() error {
	if p.raw == nil {
		return nil
	}
	p.deadline(time.Now())
	if err := p.raw.Write(p.ready); err != nil {
		return err
	}
	start := time.Now()
	for {
		excess, wait, err := p.queued(p.last / 8)
		if err != nil || excess <= 0 {
			return err
		}
		if time.Since(start) > p.timeout {
			return errSlowDrain
		}
		time.Sleep(min(max(wait, time.Millisecond), 100*time.Millisecond))
	}
}

// busy reports whether more than an eighth of the last part is still
// queued on the socket (one ioctl). After eight answers of no in a row it
// answers no without looking for the next seven parts, so a fast viewer
// pays one ioctl per eight frames and one that turns slow is found within
// eight; the bytes it may queue meanwhile are bounded by notSentLowat.
func (p *connPartWriter) busy() bool {
	if p.raw == nil {
		return false
	}
	if p.calm > 0 {
		p.calm--
		return false
	}
	excess, _, err := p.queued(p.last / 8)
	if err != nil || excess > 0 {
		p.clean = 0
		return true // an error: settle and the next write report it
	}
	if p.clean++; p.clean >= 8 {
		p.calm = 7
	}
	return false
}

// errSlowDrain ends a stream whose client acknowledged nothing for the
// write timeout.
var errSlowDrain = errors.New("client took no data for the write timeout")

func (p *connPartWriter) close() { p.c.Close() }
