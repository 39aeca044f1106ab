// Package httpsrc pulls frames from a camera over HTTP: an MJPEG stream
// (multipart/x-mixed-replace, as IP cameras, mjpg-streamer, ustreamer and
// framecast serve it, or bare concatenated JPEGs), or a single-JPEG URL
// polled at a fixed rate for cameras that only offer snapshots.
package httpsrc

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// SnapshotPrefix marks a URL to poll for single JPEGs rather than to stream:
// snapshot+http://camera/snapshot.jpg.
const SnapshotPrefix = "snapshot+"

// Defaults used for zero fields of Source.
const (
	DefaultTimeout = 10 * time.Second
	DefaultFPS     = 5
)

// Source pulls frames from URL. Set the fields before Run and leave them
// alone while it runs.
type Source struct {
	// URL is http:// or https:// for a stream, or snapshot+http:// or
	// snapshot+https:// for a JPEG to poll. User and password in the URL
	// are sent as HTTP basic authentication, to URL's scheme, host and port
	// only, and never shown in errors.
	URL string
	// FPS is how often a snapshot URL is polled; zero means DefaultFPS. A
	// poll waits for the previous one: a slow camera gets fewer polls.
	FPS int
	// Timeout bounds connecting, the TLS handshake and the wait for the
	// response header, and a whole snapshot request; zero means
	// DefaultTimeout. A stream that stops sending midway is the hub's to
	// notice (its stall timeout).
	Timeout time.Duration
	// MaxFrameSize bounds one frame; zero means mjpeg.DefaultMaxFrameSize.
	MaxFrameSize int
	// Client sends the requests; nil means a client of Source's own with
	// the timeouts above. A given Client's own timeouts apply as they are.
	// Either way the password goes along a redirect only to the same
	// scheme, host and port.
	Client *http.Client
	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger

	dropped atomic.Int64
	client  atomic.Pointer[http.Client]
}

// target is URL taken apart.
type target struct {
	url        *url.URL // without user info
	user, pass string
	hasAuth    bool
	snapshot   bool
	shown      string // for errors and logs: no password
}

// Check reports whether URL can be used, with the reason when it cannot.
func (s *Source) Check() error {
	_, err := parse(s.URL)
	return err
}

// String returns URL with any password masked.
func (s *Source) String() string {
	t, err := parse(s.URL)
	if err != nil {
		return "http (bad URL)"
	}
	return t.shown
}

func parse(raw string) (*target, error) {
	t := &target{}
	rest := raw
	if after, ok := strings.CutPrefix(raw, SnapshotPrefix); ok {
		t.snapshot, rest = true, after
	}
	u, err := url.Parse(rest)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Parse repeats the whole URL, password included
		}
		return nil, fmt.Errorf("bad URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %q: use http://, https://, snapshot+http:// or snapshot+https://", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: no host", u.Redacted())
	}
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
		t.hasAuth = true
	}
	t.shown = u.Redacted()
	if t.snapshot {
		t.shown = SnapshotPrefix + t.shown
	}
	u.User = nil
	t.url = u
	return t, nil
}

// Dropped counts the parts and pictures skipped so far because they were
// not whole JPEGs or were too large.
func (s *Source) Dropped() int64 { return s.dropped.Load() }

func (s *Source) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Source) maxFrame() int {
	if s.MaxFrameSize > 0 {
		return s.MaxFrameSize
	}
	return mjpeg.DefaultMaxFrameSize
}

// httpClient returns the client to use, made on first use: Source's own,
// or a copy of Client, either way with sameOriginAuth.
func (s *Source) httpClient() *http.Client {
	if c := s.client.Load(); c != nil {
		return c
	}
	var c *http.Client
	if s.Client != nil {
		cc := *s.Client
		c = &cc
	} else {
		to := s.timeout()
		d := &net.Dialer{Timeout: to, KeepAlive: 30 * time.Second}
		c = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   to,
			ResponseHeaderTimeout: to,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}}
	}
	c.CheckRedirect = sameOriginAuth(c.CheckRedirect)
	if s.client.CompareAndSwap(nil, c) {
		return c
	}
	return s.client.Load()
}

// sameOriginAuth wraps a redirect policy (nil means net/http's: at most
// 10) so that the camera's password goes only where the URL sent it: the
// same scheme, host and port. net/http keeps it for another port of the
// same host and after a redirect from https to http.
func sameOriginAuth(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, via[0].URL) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// Run pulls frames until ctx ends, then returns nil. It fails, saying why
// in plain words, when the server cannot be reached, answers with an error
// status, or ends or drops the stream.
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	t, err := parse(s.URL)
	if err != nil {
		return err
	}
	if t.snapshot {
		err = s.poll(ctx, t, emit)
	} else {
		err = s.stream(ctx, t, emit)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// get sends a GET for t and checks the status.
func (s *Source) get(ctx context.Context, t *target) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", t.shown, err)
	}
	if t.hasAuth {
		req.SetBasicAuth(t.user, t.pass)
	}
	req.Header.Set("User-Agent", "framecast")
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return nil, plainError(t, err)
	}
	if resp.StatusCode != http.StatusOK {
		// Keep the connection reusable, within reason.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		msg := fmt.Sprintf("%s: HTTP %d %s", t.shown, resp.StatusCode, http.StatusText(resp.StatusCode))
		if resp.StatusCode == http.StatusUnauthorized && !t.hasAuth {
			msg += " (put user:password@ in the URL)"
		}
		return nil, errors.New(msg)
	}
	return resp, nil
}

// stream reads an MJPEG stream until it ends or ctx does.
func (s *Source) stream(ctx context.Context, t *target, emit func(mjpeg.Frame)) error {
	resp, err := s.get(ctx, t)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	if boundary, err := mjpeg.BoundaryFromContentType(ct); err == nil {
		log.Debug("http stream connected", "url", t.shown, "framing", "multipart", "boundary", boundary)
		return s.readParts(t, resp.Body, boundary, emit)
	}
	log.Debug("http stream connected", "url", t.shown, "framing", "bare JPEGs", "content_type", ct)
	return s.readBare(t, resp.Body, ct, emit)
}

// readParts emits the JPEG of every part of a multipart stream.
func (s *Source) readParts(t *target, body io.Reader, boundary string, emit func(mjpeg.Frame)) error {
	r := mjpeg.NewReader(body, boundary)
	r.MaxPartSize = s.maxFrame()
	for {
		p, err := r.NextPart()
		switch {
		case errors.Is(err, mjpeg.ErrPartTooLarge), errors.Is(err, mjpeg.ErrHeaderTooLarge):
			s.dropped.Add(1)
			continue
		case errors.Is(err, io.EOF):
			return fmt.Errorf("%s: the server ended the stream", t.shown)
		case err != nil:
			return plainError(t, err)
		}
		data, ok := jpegIn(p.Body)
		if !ok {
			s.dropped.Add(1)
			continue
		}
		emit(mjpeg.Frame{Data: data, Time: time.Now()})
	}
}

// readBare emits the JPEGs of a stream without multipart framing.
func (s *Source) readBare(t *target, body io.Reader, ct string, emit func(mjpeg.Frame)) error {
	sp := mjpeg.NewSplitter(body, s.maxFrame())
	sp.Drops = &s.dropped
	n := 0
	for {
		data, err := sp.Next()
		if errors.Is(err, io.EOF) {
			if mt, _, _ := mime.ParseMediaType(ct); n == 1 && mt == "image/jpeg" {
				return fmt.Errorf("%s: the server sent one picture, not a stream: to poll it, use %s%s",
					t.shown, SnapshotPrefix, t.shown)
			}
			return fmt.Errorf("%s: the server ended the stream", t.shown)
		}
		if err != nil {
			return plainError(t, err)
		}
		n++
		emit(mjpeg.Frame{Data: data, Time: time.Now()})
	}
}

// poll fetches a snapshot FPS times a second.
func (s *Source) poll(ctx context.Context, t *target, emit func(mjpeg.Frame)) error {
	fps := s.FPS
	if fps <= 0 {
		fps = DefaultFPS
	}
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for {
		data, err := s.fetch(ctx, t)
		if err != nil {
			return err
		}
		if data != nil {
			emit(mjpeg.Frame{Data: data, Time: time.Now()})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// fetch gets one snapshot. A picture that is not a whole JPEG is dropped
// and counted (nil, nil).
func (s *Source) fetch(ctx context.Context, t *target) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	resp, err := s.get(ctx, t)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	max := s.maxFrame()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return nil, plainError(t, err)
	}
	if len(body) > max {
		s.dropped.Add(1)
		return nil, nil
	}
	data, ok := jpegIn(body)
	if !ok {
		s.dropped.Add(1)
		return nil, nil
	}
	return data, nil
}

// jpegIn returns the whole JPEG that b holds, allowing a few bytes (such as
// a line break some cameras send) before its SOI and anything after its EOI.
func jpegIn(b []byte) ([]byte, bool) {
	i := bytes.Index(b[:min(len(b), 64)], []byte{0xFF, 0xD8})
	if i < 0 {
		return nil, false
	}
	n, err := mjpeg.FrameLen(b[i:])
	if err != nil {
		return nil, false
	}
	return b[i : i+n : i+n], true
}

// plainError words a request or read error the way a user would: the URL
// (password masked), then what happened.
func plainError(t *target, err error) error {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		ne      net.Error
	)
	msg := ""
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		msg = "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		msg = "connection reset by the server"
	case errors.Is(err, syscall.EHOSTUNREACH):
		msg = "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		msg = "network unreachable"
	case errors.As(err, &dnsErr):
		msg = "cannot resolve host " + dnsErr.Name
		if dnsErr.IsNotFound {
			msg = "no such host " + dnsErr.Name
		}
	case errors.As(err, &certErr):
		msg = "TLS certificate not trusted: " + certErr.Err.Error()
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "the connection dropped in the middle of a frame"
	case errors.Is(err, io.EOF):
		msg = "the server closed the connection"
	case errors.As(err, &ne) && ne.Timeout():
		msg = "no answer (timed out)"
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it repeats the URL
		}
		msg = err.Error()
	}
	return &Error{URL: t.shown, Msg: msg, Err: err}
}

// Error is a failure to reach or read a URL, in plain words.
type Error struct {
	// URL is the URL with any password masked.
	URL string
	// Msg says what happened, such as "connection refused".
	Msg string
	// Err is the underlying error.
	Err error
}

// Error returns "URL: Msg".
func (e *Error) Error() string { return e.URL + ": " + e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
