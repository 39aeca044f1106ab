package hub

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"
	"time"

	"github.com/framecast/framecast/internal/redact"
)

// Viewer is one client of a hub: a stream or a snapshot waiting for a frame.
// While any viewer is joined the source runs.
type Viewer struct {
	// Addr is the client's address, for status.
	Addr string
	// Since is when the viewer joined.
	Since time.Time
	// Frames and Bytes count what was sent to the viewer; its writer adds to them.
	Frames, Bytes atomic.Int64

	h    *Hub
	held *Frame // the frame it writes (Next); guarded by h.mu
}

// ViewerStatus describes one connected viewer.
type ViewerStatus struct {
	Addr      string  `json:"addr"`
	Seconds   float64 `json:"connected_seconds"`
	Frames    int64   `json:"frames"`
	Bytes     int64   `json:"bytes"`
	FPS       float64 `json:"fps"`
	Bandwidth float64 `json:"bytes_per_second"`
}

// Join registers a viewer and starts the source if it is not running.
// The caller must call Leave when done.
func (h *Hub) Join(addr string) *Viewer {
	v := &Viewer{Addr: addr, Since: time.Now(), h: h}
	h.mu.Lock()
	h.viewers[v] = struct{}{}
	h.idleGen++
	h.startLocked()
	h.mu.Unlock()
	return v
}

// Leave unregisters v; the source stops IdleTimeout after the last viewer left.
func (v *Viewer) Leave() {
	h := v.h
	h.mu.Lock()
	defer h.mu.Unlock()
	h.letGoLocked(v.held)
	v.held = nil
	if _, ok := h.viewers[v]; !ok {
		return
	}
	delete(h.viewers, v)
	// Under mu, so Status never counts a leaving viewer twice.
	h.sentFrames.Add(v.Frames.Load())
	h.sentBytes.Add(v.Bytes.Load())
	h.idleGen++
	if len(h.viewers) > 0 || h.cfg.IdleTimeout <= 0 {
		return
	}
	gen := h.idleGen
	time.AfterFunc(h.cfg.IdleTimeout, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.idleGen == gen && len(h.viewers) == 0 {
			h.stopLocked()
		}
	})
}

// ErrNoFrame is returned by Snapshot when the source gave no picture in time.
var ErrNoFrame = errors.New("no frame available")

// Snapshot returns the newest camera frame, starting the source and waiting
// for its first frame when needed, until ctx ends. A "no signal" card is
// never returned: while the source is down, Snapshot waits for a real frame.
// An H.264 camera has no JPEG to give: Snapshot returns ErrNotJPEG at once.
func (h *Hub) Snapshot(ctx context.Context, addr string) (*Frame, error) {
	if h.cfg.Codec == H264 {
		return nil, ErrNotJPEG
	}
	v := h.Join(addr)
	defer v.Leave()
	var seq uint64
	for {
		f, err := h.Next(ctx, seq)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, ErrNoFrame
			}
			return nil, err
		}
		if !f.NoSignal {
			v.Frames.Add(1)
			v.Bytes.Add(int64(len(f.Data)))
			return f, nil
		}
		seq = f.Seq
	}
}

// Status is a snapshot of a hub's state, as /api/status reports it.
// FrameAgeMS is Status time minus LastFrame in milliseconds, both on the
// server's clock, so a page can show it without trusting its own clock.
type Status struct {
	Name           string         `json:"name"`
	Source         string         `json:"source"`
	Codec          Codec          `json:"codec"`
	SourceDetail   string         `json:"source_detail,omitempty"`
	State          State          `json:"state"`
	Width          int            `json:"width"`
	Height         int            `json:"height"`
	FPS            float64        `json:"fps"`
	Viewers        int            `json:"viewers"`
	FramesCaptured int64          `json:"frames_captured"`
	BytesCaptured  int64          `json:"bytes_captured"`
	FramesSent     int64          `json:"frames_sent"`
	BytesSent      int64          `json:"bytes_sent"`
	FramesDropped  int64          `json:"frames_dropped"`
	Restarts       int64          `json:"restarts"`
	LastFrame      *time.Time     `json:"last_frame,omitempty"`
	FrameAgeMS     *float64       `json:"frame_age_ms,omitempty"`
	LastError      string         `json:"last_error,omitempty"`
	LastErrorAt    *time.Time     `json:"last_error_at,omitempty"`
	ViewerList     []ViewerStatus `json:"viewer_list"`
}

// Dropper is implemented by sources that lose frames: broken or oversized
// ones dropped, and for a device, frames the driver skipped or that were
// shed while every encoder was busy. Status reports the count.
type Dropper interface {
	Dropped() int64
}

// Detailer is implemented by sources that can say what they really run
// with (the format, size and rate a camera driver chose); Status reports it
// as SourceDetail.
type Detailer interface {
	Detail() string
}

// Status reports the hub's state now.
func (h *Hub) Status() Status {
	now := time.Now()
	h.mu.Lock()
	st := Status{
		Name:      h.cfg.Name,
		Source:    h.cfg.Describe,
		Codec:     h.Codec(),
		State:     h.state,
		Width:     h.width,
		Height:    h.height,
		Viewers:   len(h.viewers),
		LastError: h.lastErr,
		Restarts:  h.restarts.Load(),
	}
	if !h.lastFrame.IsZero() {
		t := h.lastFrame
		st.LastFrame = &t
		age := float64(now.Sub(t).Microseconds()) / 1000
		st.FrameAgeMS = &age
	}
	if !h.errAt.IsZero() {
		t := h.errAt
		st.LastErrorAt = &t
	}
	st.FramesSent, st.BytesSent = h.sentFrames.Load(), h.sentBytes.Load()
	st.ViewerList = make([]ViewerStatus, 0, len(h.viewers))
	for v := range h.viewers {
		fr, by := v.Frames.Load(), v.Bytes.Load()
		st.FramesSent += fr
		st.BytesSent += by
		secs := now.Sub(v.Since).Seconds()
		vs := ViewerStatus{Addr: v.Addr, Seconds: secs, Frames: fr, Bytes: by}
		if secs > 0 {
			vs.FPS, vs.Bandwidth = float64(fr)/secs, float64(by)/secs
		}
		st.ViewerList = append(st.ViewerList, vs)
	}
	if h.state == Running {
		st.FPS = h.fpsLocked(now)
	}
	h.mu.Unlock()
	sort.Slice(st.ViewerList, func(i, j int) bool { return st.ViewerList[i].Seconds > st.ViewerList[j].Seconds })
	st.FramesCaptured, st.BytesCaptured = h.captured.Load(), h.capturedBytes.Load()
	if d, ok := h.cfg.Source.(Dropper); ok {
		st.FramesDropped = d.Dropped()
	}
	if d, ok := h.cfg.Source.(Detailer); ok {
		st.SourceDetail = redact.URLs(d.Detail())
	}
	return st
}

// fpsLocked is the capture rate over the recent frames; it falls towards
// zero when frames stop coming. Callers hold mu.
func (h *Hub) fpsLocked(now time.Time) float64 {
	n := min(h.nt, len(h.times))
	if n < 2 {
		return 0
	}
	newest := h.times[(h.nt-1)%len(h.times)]
	oldest := h.times[(h.nt-n)%len(h.times)]
	span := newest.Sub(oldest)
	if gap := now.Sub(newest); gap > span/time.Duration(n-1) {
		span += gap // frames stopped: let the figure fall
	}
	if span <= 0 {
		return 0
	}
	return float64(n-1) / span.Seconds()
}
