package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

var (
	opening = mjpeg.OpeningBoundary(mjpeg.Boundary)
	trailer = mjpeg.PartTrailer(mjpeg.Boundary)

	// Chromium paints a part only once the next part's headers have
	// arrived, so browsers get them in advance, with the boundary that
	// closes each part. Their Content-Length and X-Timestamp cannot be known
	// then; an <img> has no use for them anyway.
	advanceHeaders = []byte("Content-Type: image/jpeg\r\n\r\n")
	advOpening     = append(mjpeg.OpeningBoundary(mjpeg.Boundary), advanceHeaders...)
	advTrailer     = append(mjpeg.PartTrailer(mjpeg.Boundary), advanceHeaders...)
)

// browser reports whether r comes from a browser showing the stream as an
// image or a page (whose Accept lists image/ or text/html types first), as
// opposed to ffmpeg, Home Assistant or curl (*/* or nothing).
func browser(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.HasPrefix(a, "image/") || strings.HasPrefix(a, "text/html") || r.Header.Get("Sec-Fetch-Dest") == "image"
}

// SameFrameRefresh is how often a camera with DropSameFrames sends an
// unchanged picture again anyway, so that browsers and proxies never see a
// silent stream.
const SameFrameRefresh = 3 * time.Second

// partWriter sends a stream's parts to one client.
type partWriter interface {
	// part writes one part: header, JPEG and trailer.
	part(hdr, data []byte) error
	// settle waits until the client's socket can take a new part without it
	// queueing behind much of the last one, so that the frame chosen next
	// is fresh when it leaves. It is called only when the viewer is behind
	// or busy says the last part has not left.
	settle() error
	// busy reports whether much of the last part is still queued for the
	// client, unsent or unacknowledged. It may answer false without looking,
	// for a client that was never found busy lately.
	busy() bool
	close()
}

// serveStream is a stream route: CORS, auth, the viewer limits, the stream.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	s.cors(w)
	if !s.allow(w, r, h) {
		return
	}
	mh, ok := s.mjpegHub(w, h)
	if !ok {
		return
	}
	release, ok := s.admit(w, h)
	if !ok {
		return
	}
	s.stream(w, r, mh, release)
}

// viewerStream is one viewer's stream: the camera, the client's writer and
// how parts go out to it.
type viewerStream struct {
	h        *hub.Hub
	v        *hub.Viewer
	pw       partWriter
	limit    fpsCap
	adv      bool   // part headers go out in advance, with the previous trailer
	trailLen int    // bytes of a part's trailer, for the viewer's byte count
	release  func() // frees the viewer's place
}

// stream sends h's frames as multipart/x-mixed-replace until the client
// leaves or Close, then calls release (when not nil). A viewer always gets
// the newest frame; one that is slower than the camera skips frames rather
// than queueing them.
//
// An HTTP/1.x stream takes the connection over: the response head is
// written once, then every frame goes out as one vectored write of the
// frame's shared header, its JPEG and the trailer, with no chunked encoding,
// no copy and no allocation. The stream then goes on in a goroutine of its
// own and the handler returns, so net/http's per-connection buffers and the
// handler's deep stack are freed for as long as the stream lasts. HTTP/2
// streams go through the ResponseWriter.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, h *hub.Hub, release func()) {
	if release == nil {
		release = func() {}
	}
	fps, err := parseFPS(r)
	if err != nil {
		release()
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", mjpeg.ContentType(mjpeg.Boundary))
	hd.Set("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
	hd.Set("Pragma", "no-cache")
	hd.Set("X-Accel-Buffering", "no") // nginx in front must not buffer a live stream
	if r.Method == http.MethodHead {
		release()
		w.WriteHeader(http.StatusOK)
		return
	}
	vs := &viewerStream{h: h, limit: newFPSCap(fps), adv: browser(r), release: release}
	open, trail := opening, trailer
	if vs.adv {
		open, trail = advOpening, advTrailer
	}
	vs.trailLen = len(trail)
	closing := func() {
		release()
		hd.Del("Content-Type")
		httpError(w, http.StatusServiceUnavailable, "server shutting down")
	}
	if r.ProtoMajor == 1 {
		// The handler returns before the stream ends, so its context
		// must outlive the request's.
		ctx, end, ok := s.live.begin(context.WithoutCancel(r.Context()))
		if !ok {
			closing()
			return
		}
		cw, err := s.hijack(w, r, open, trail)
		if err == nil {
			vs.pw = cw
			vs.v = h.Join(r.RemoteAddr)
			go func() {
				defer end()
				s.serveViewer(ctx, vs)
			}()
			return
		}
		end()
		if !errors.Is(err, http.ErrNotSupported) {
			release() // the connection is gone
			return
		}
	}
	ctx, end, ok := s.live.begin(r.Context())
	if !ok {
		closing()
		return
	}
	defer end()
	w.WriteHeader(http.StatusOK)
	rw := &responsePartWriter{w: w, rc: http.NewResponseController(w), timeout: s.WriteTimeout, trail: trail}
	if rw.write(open) != nil {
		release()
		return
	}
	vs.pw = rw
	vs.v = h.Join(r.RemoteAddr)
	s.serveViewer(ctx, vs)
}

// serveViewer sends frames to vs until the client leaves or ctx ends.
func (s *Server) serveViewer(ctx context.Context, vs *viewerStream) {
	defer s.viewerLeft(vs)
	// Close cancels ctx; closing the socket also ends a write stuck on a
	// client that takes nothing.
	stop := context.AfterFunc(ctx, vs.pw.close)
	defer stop()
	defer vs.pw.close()
	vs.sendFrames(ctx)
}

// viewerLeft unregisters the viewer, frees its place and logs what it was sent.
func (s *Server) viewerLeft(vs *viewerStream) {
	v := vs.v
	v.Leave()
	vs.release()
	secs := time.Since(v.Since).Seconds()
	fr := v.Frames.Load()
	s.Logger.Info("viewer left", "camera", vs.h.Name(), "addr", v.Addr, "seconds", round1(secs),
		"frames", fr, "bytes", v.Bytes.Load(), "fps", round1(float64(fr)/max(secs, 1e-3)))
}

// sendFrames is a viewer's loop: wait for a newer frame, write it, repeat.
func (vs *viewerStream) sendFrames(ctx context.Context) {
	h, v, pw := vs.h, vs.v, vs.pw
	dropSame := h.DropSameFrames()
	var (
		seq      uint64
		lastHash uint64
		lastLen  int
		lastSent time.Time
		wrote    bool
	)
	for {
		if l := h.Latest(); wrote && l != nil && l.Seq > seq {
			// Behind: a newer frame is already waiting. Choose it only once
			// the socket can take it, or it would queue behind unsent data
			// and arrive stale.
			if pw.settle() != nil {
				return
			}
			wrote = false
		}
		// v.Next, not h.Next: the frames viewers hold while writing are
		// bounded (hub.Config.MaxHeldBytes).
		f, err := v.Next(ctx, seq)
		if err != nil {
			return
		}
		if wrote {
			// A new frame arrived while the last part may still be on its
			// way (the socket took it whole, so nothing looked behind): on
			// a thin link, wait for it to leave, then take the newest.
			if pw.busy() {
				if pw.settle() != nil {
					return
				}
				f = v.Latest()
			}
			wrote = false
		}
		seq = f.Seq
		if !vs.limit.take(f.Time) {
			continue
		}
		if dropSame {
			if f.Hash == lastHash && len(f.Data) == lastLen && f.Time.Sub(lastSent) < SameFrameRefresh {
				continue
			}
			lastHash, lastLen, lastSent = f.Hash, len(f.Data), f.Time
		}
		hdr := f.Header
		if vs.adv {
			hdr = nil
		}
		if pw.part(hdr, f.Data) != nil {
			return
		}
		wrote = true
		v.Frames.Add(1)
		v.Bytes.Add(int64(len(hdr) + len(f.Data) + vs.trailLen))
	}
}

// fpsCap paces a viewer's frames for ?fps=, on the frames' own capture
// clock, so that no two frames go out closer than interval (but for a
// camera's jitter).
type fpsCap struct {
	interval time.Duration // zero: no cap
	due      time.Time     // when the next frame is due; zero: at once
	prev     time.Time     // the last frame offered, sent or not
}

// newFPSCap returns the cap of fps frames a second; 0 means none.
func newFPSCap(fps float64) fpsCap {
	if fps <= 0 {
		return fpsCap{}
	}
	return fpsCap{interval: time.Duration(float64(time.Second) / fps)}
}

// take reports whether a frame captured at t goes out.
func (c *fpsCap) take(t time.Time) bool {
	if c.interval <= 0 {
		return true
	}
	// A frame a little early is taken when it is nearer the due time than
	// the next one is likely to be, or a jittery 30 fps camera capped at 15
	// would send every third frame instead of every second.
	slack := min(t.Sub(c.prev)/2, c.interval/4)
	c.prev = t
	if !c.due.IsZero() && t.Add(slack).Before(c.due) {
		return false
	}
	// From the later of the due time and the frame: after a late frame the
	// next waits a whole interval.
	if t.After(c.due) {
		c.due = t
	}
	c.due = c.due.Add(c.interval)
	return true
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

// responsePartWriter writes parts through an http.ResponseWriter, for
// HTTP/2 and anything that cannot be hijacked.
type responsePartWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	trail   []byte
}

func (p *responsePartWriter) part(hdr, data []byte) error { return p.write(hdr, data, p.trail) }

// write sends bufs and flushes them, giving up on a client that takes
// nothing for the timeout.
func (p *responsePartWriter) write(bufs ...[]byte) error {
	p.rc.SetWriteDeadline(time.Now().Add(p.timeout))
	for _, b := range bufs {
		if _, err := p.w.Write(b); err != nil {
			return err
		}
	}
	return p.rc.Flush()
}

func (p *responsePartWriter) settle() error { return nil }

// busy is false: an HTTP/2 stream's bytes wait in the connection's shared
// buffers and flow-control windows, which a handler cannot see.
func (p *responsePartWriter) busy() bool { return false }

// close does nothing: the handler's return ends the HTTP/2 stream.
func (p *responsePartWriter) close() {}

// parseFPS reads the optional ?fps= cap of a stream.
func parseFPS(r *http.Request) (float64, error) {
	v := r.URL.Query().Get("fps")
	if v == "" {
		return 0, nil
	}
	fps, err := strconv.ParseFloat(v, 64)
	if err != nil || !(fps >= 0.1 && fps <= 120) {
		return 0, errors.New("bad fps " + strconv.Quote(v) + ": use a number from 0.1 to 120")
	}
	return fps, nil
}
