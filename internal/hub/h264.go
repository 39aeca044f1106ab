package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// H264Source is a Source that can also produce the H.264 access units of a
// camera (see Config.Codec). RunH264 is like Run: it captures until ctx ends or the source fails, calling emit
// for every access unit in stream order; emit never blocks for long and
// takes ownership of the access unit.
type H264Source interface {
	Source
	RunH264(ctx context.Context, emit func(h264.AccessUnit)) error
}

// Codec names what a camera's frames hold.
type Codec string

// The codecs a hub carries.
const (
	MJPEG Codec = "mjpeg" // Frame.Data is a JPEG
	H264  Codec = "h264"  // Frame.Data is an H.264 access unit in Annex-B form
)

// DefaultMaxGOPBytes is the MaxGOPBytes of a Config that sets none: room for
// a few seconds of 1080p at the bitrates cameras use.
const DefaultMaxGOPBytes = 8 << 20

// ErrNotJPEG is returned by Snapshot for an H.264 camera.
var ErrNotJPEG = errors.New("the camera sends H.264, not JPEG")

// maxLagFrames is how far behind the newest picture a consumer of NextAU may
// be before it jumps to a newer IDR picture, when there is one.
const maxLagFrames = 30

// chain is the state of an H.264 camera's access units within one run of its
// source. Guarded by Hub.mu.
type chain struct {
	last     *Frame // the newest access unit; the next one is linked to it
	gop      *Frame // the newest IDR picture, while its GOP is within bounds
	gopBytes int    // bytes from gop to last
	sps, pps []byte // the newest parameter sets, for IDR pictures without them
}

// Codec returns what the camera's frames hold (Config.Codec).
func (h *Hub) Codec() Codec { return h.cfg.Codec }

// emitterH264 returns the emit function handed to one run of an H.264
// source.
func (h *Hub) emitterH264(ctx context.Context, alive func()) func(h264.AccessUnit) {
	return func(au h264.AccessUnit) {
		if ctx.Err() != nil || len(au.Data) == 0 {
			return
		}
		if au.Time.IsZero() {
			au.Time = time.Now()
		}
		alive()
		sps, pps := h264.ParameterSets(au.Data)
		size := ""
		var w, hh int
		if sps != nil {
			if s, err := h264.ParseSPS(sps); err == nil {
				w, hh = s.Width, s.Height
				size = fmt.Sprintf("%dx%d", w, hh)
			}
		}
		f := &Frame{Frame: mjpeg.Frame{Data: au.Data, Time: au.Time}, Key: au.Key}
		h.mu.Lock()
		defer h.mu.Unlock()
		if ctx.Err() != nil {
			return // see emitter
		}
		c := &h.chain
		if sps != nil {
			c.sps = sps
		}
		if pps != nil {
			c.pps = pps
		}
		if f.Key && (sps == nil || pps == nil) {
			// Some cameras send their parameter sets once, at the start:
			// a consumer starting at this picture needs them before it.
			if c.sps == nil || c.pps == nil {
				f.Key = false // cannot be decoded: no GOP starts here
			} else {
				f.Data = slices.Concat([]byte{0, 0, 0, 1}, c.sps, []byte{0, 0, 0, 1}, c.pps, au.Data)
			}
		}
		if w > 0 {
			h.width, h.height = w, hh
		}
		f.Width, f.Height = h.width, h.height
		h.captured.Add(1)
		h.capturedBytes.Add(int64(len(f.Data)))
		if h.state != Running {
			h.state = Running
			h.log.Info("source running", "codec", H264, "size", size)
		}
		h.lastFrame = f.Time
		h.times[h.nt%len(h.times)] = time.Now()
		h.nt++
		switch {
		case f.Key:
			c.gop, c.gopBytes = f, len(f.Data)
		case c.gop != nil:
			c.gopBytes += len(f.Data)
			if c.gopBytes > h.cfg.MaxGOPBytes {
				// Too long to keep: consumers that join wait for the next
				// IDR picture.
				c.gop = nil
			}
		}
		// Numbered, then linked, then published: a consumer that sees it
		// as the newest frame finds it after its predecessor too, and one
		// that finds it there reads its Seq.
		h.seq++
		f.Seq = h.seq
		if c.last != nil {
			c.last.next.Store(f)
		}
		c.last = f
		h.swap(&slot{frame: f, next: make(chan struct{})})
	}
}

// gopHead returns the IDR picture new consumers start at, or nil.
func (h *Hub) gopHead() *Frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.chain.gop
}

// NextAU returns the access unit of an H.264 camera to send after prev,
// waiting for it until ctx ends. Every access unit comes in stream order,
// except that a consumer more than maxLagFrames behind the newest one jumps
// ahead to a newer IDR picture when there is one.
//
// With prev nil, or when prev's successor will never come (the source was
// restarted or stopped meanwhile), NextAU returns the IDR picture that
// begins the newest group of pictures the hub keeps, so a new consumer's
// first picture comes at once; when there is none it waits for the next
// IDR picture. NextAU returns ErrClosed once the hub has been closed.
func (h *Hub) NextAU(ctx context.Context, prev *Frame) (*Frame, error) {
	for {
		s := h.cur.Load()
		if s.closed {
			return nil, ErrClosed
		}
		if prev != nil {
			if n := prev.next.Load(); n != nil {
				if s.frame != nil && s.frame.Seq-n.Seq >= maxLagFrames {
					if g := h.gopHead(); g != nil && g.Seq > n.Seq {
						return g, nil
					}
				}
				return n, nil
			}
			// Loaded after s: had prev a successor in s, it would be seen.
			if s.frame != nil && s.frame.Seq > prev.Seq {
				prev = nil // the chain was broken by a restart
				continue
			}
		} else if g := h.gopHead(); g != nil {
			return g, nil
		}
		select {
		case <-s.next:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
