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
	// queueing behind much unsent data, so that the frame chosen next is
	// fresh when it leaves. It is called only when the viewer is behind.
	settle() error
	close()
}

// baseContextKey is the key of the server's base context among a request
// context's values (NewHTTPServer puts it there).
type baseContextKey struct{}

// stream sends h's frames as multipart/x-mixed-replace until the client
// leaves, then calls release (when not nil). A viewer always gets the newest
// frame; one that is slower than the camera skips frames rather than
// queueing them.
//
// An HTTP/1.x stream takes the connection over: the response head is
// written once, then every frame goes out as one vectored write of the
// frame's shared header, its JPEG and the trailer, with no chunked encoding,
// no copy and no allocation. When the server came from NewHTTPServer, the
// stream then goes on in a goroutine of its own and the handler returns, so
// net/http's per-connection buffers and the handler's deep stack are freed
// for as long as the stream lasts; the server's base context still ends it.
// HTTP/2 streams go through the ResponseWriter.
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
	v := h.Join(r.RemoteAddr)
	ctx := r.Context()
	open, trail := opening, trailer
	adv := browser(r)
	if adv {
		open, trail = advOpening, advTrailer
	}
	if r.ProtoMajor == 1 {
		cw, err := s.hijack(w, r, open, trail)
		switch {
		case err == nil:
			if base, ok := ctx.Value(baseContextKey{}).(context.Context); ok {
				go s.serveViewer(base, h, v, cw, fps, adv, len(trail), release)
				return
			}
			s.serveViewer(ctx, h, v, cw, fps, adv, len(trail), release)
			return
		case !errors.Is(err, http.ErrNotSupported):
			s.viewerLeft(h, v, release) // the connection is gone
			return
		}
	}
	w.WriteHeader(http.StatusOK)
	rw := &responsePartWriter{w: w, rc: http.NewResponseController(w), timeout: s.WriteTimeout, trail: trail}
	if rw.write(open) != nil {
		s.viewerLeft(h, v, release)
		return
	}
	s.serveViewer(ctx, h, v, rw, fps, adv, len(trail), release)
}

// serveViewer sends frames to pw until the client leaves or ctx ends.
func (s *Server) serveViewer(ctx context.Context, h *hub.Hub, v *hub.Viewer, pw partWriter, fps float64, adv bool, trailLen int, release func()) {
	defer s.viewerLeft(h, v, release)
	// Shutdown cancels ctx; closing the socket also ends a write stuck on a
	// client that takes nothing.
	stop := context.AfterFunc(ctx, pw.close)
	defer stop()
	defer pw.close()
	s.sendFrames(ctx, h, v, pw, fps, adv, trailLen)
}

// viewerLeft unregisters v, frees its place and logs what it was sent.
func (s *Server) viewerLeft(h *hub.Hub, v *hub.Viewer, release func()) {
	v.Leave()
	release()
	secs := time.Since(v.Since).Seconds()
	fr := v.Frames.Load()
	s.Logger.Info("viewer left", "camera", h.Name(), "addr", v.Addr, "seconds", round1(secs),
		"frames", fr, "bytes", v.Bytes.Load(), "fps", round1(float64(fr)/max(secs, 1e-3)))
}

// sendFrames is a viewer's loop: wait for a newer frame, write it, repeat.
// With adv the part headers went out in advance, with the previous trailer.
func (s *Server) sendFrames(ctx context.Context, h *hub.Hub, v *hub.Viewer, pw partWriter, fps float64, adv bool, trailLen int) {
	var limit fpsCap
	if fps > 0 {
		limit.interval = time.Duration(float64(time.Second) / fps)
	}
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
		}
		wrote = false
		f, err := h.Next(ctx, seq)
		if err != nil {
			return
		}
		seq = f.Seq
		if !limit.take(f.Time) {
			continue
		}
		if dropSame {
			if f.Hash == lastHash && len(f.Data) == lastLen && f.Time.Sub(lastSent) < SameFrameRefresh {
				continue
			}
			lastHash, lastLen, lastSent = f.Hash, len(f.Data), f.Time
		}
		hdr := f.Header
		if adv {
			hdr = nil
		}
		if pw.part(hdr, f.Data) != nil {
			return
		}
		wrote = true
		v.Frames.Add(1)
		v.Bytes.Add(int64(len(hdr) + len(f.Data) + trailLen))
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

// close does nothing: the handler's return ends the HTTP/2 stream.
func (p *responsePartWriter) close() {}

// snapshot answers with the newest frame, starting the camera when it is idle.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	ctx, cancel := context.WithTimeout(r.Context(), s.SnapshotTimeout)
	defer cancel()
	f, err := h.Snapshot(ctx, r.RemoteAddr)
	if err != nil {
		if r.Context().Err() != nil {
			return // the client left
		}
		// Only that the camera is down and since when: a token holder may
		// read this, and the error is for authenticated status and the log.
		msg := "camera " + strconv.Quote(h.Name()) + " has no picture yet"
		if st := h.Status(); errors.Is(err, hub.ErrNoFrame) && st.LastFrame != nil {
			msg = "camera " + strconv.Quote(h.Name()) + " unavailable since " + st.LastFrame.UTC().Format(time.RFC3339)
		}
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, msg)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/jpeg")
	hd.Set("Content-Length", strconv.Itoa(len(f.Data)))
	hd.Set("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
	hd.Set("X-Timestamp", strconv.FormatFloat(float64(f.Time.UnixMicro())/1e6, 'f', 6, 64))
	hd.Set("Content-Disposition", `inline; filename="`+h.Name()+"-"+f.Time.Format("20060102-150405")+`.jpg"`)
	w.Write(f.Data)
}
