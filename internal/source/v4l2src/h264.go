package v4l2src

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/v4l2"
)

// RunH264 is Run for a device that encodes H.264 itself
// (V4L2_PIX_FMT_H264: some UVC webcams and HDMI grabbers, the Raspberry
// Pi's legacy camera driver): it captures in that format at the wanted size
// and frame rate, asks for Bitrate and KeyframeInterval where the device
// has the controls, and emits the access units the device writes, cut by
// h264.Splitter whether a buffer holds one picture, several or part of one.
// Nothing is transcoded: a device without H.264 is an error naming the
// formats it has.
//
// An access unit is emitted once the start of the next one has been read,
// so one buffer after the one that completed it. After pictures were lost
// (a gap in the driver's sequence numbers, a buffer flagged erroneous) the
// access units up to the next IDR picture are dropped and counted: they
// could not be decoded.
func (s *Source) RunH264(ctx context.Context, emit func(h264.AccessUnit)) error {
	return s.run(ctx, true, func(c *capture) error { return c.runH264(emit) })
}

// applyEncoder asks the device for Bitrate and KeyframeInterval through its
// codec controls. A device without them keeps its own settings (most UVC
// cameras take these only through vendor extension units); a value the
// device refuses goes to OnControlError. It returns an error only when the
// device went away.
func (s *Source) applyEncoder(d *v4l2.Device) error {
	set := func(name string, value int, ids ...uint32) error {
		if value <= 0 {
			return nil
		}
		for _, id := range ids {
			c, err := d.QueryControl(id)
			if errors.Is(err, ErrDisconnected) {
				return err
			}
			if err != nil || c.Flags&(v4l2.CtrlFlagDisabled|v4l2.CtrlFlagReadOnly) != 0 {
				continue // absent: try the next kind
			}
			err = d.SetControl(id, int32(value))
			if errors.Is(err, ErrDisconnected) {
				return err
			}
			if err != nil && s.OnControlError != nil {
				s.OnControlError(name, value, fmt.Errorf("v4l2: %s: setting %s (%d..%d) to %d: %w", d.Path(), c.Name, c.Min, c.Max, value, err))
			}
			return nil
		}
		return nil
	}
	if err := set("bitrate", s.Bitrate, v4l2.CIDVideoBitrate); err != nil {
		return err
	}
	// Encoders name the keyframe interval one way or the other.
	return set("keyframe_interval", s.KeyframeInterval, v4l2.CIDVideoH264IPeriod, v4l2.CIDVideoGOPSize)
}

// runH264 cuts the device's H.264 into access units and emits them. A loss
// of pictures ends the stream for the splitter, which returns the last
// whole access unit; a new one starts at the buffer after the loss, and
// what comes before its first IDR picture is dropped.
func (c *capture) runH264(emit func(h264.AccessUnit)) error {
	r := &bufferReader{c: c}
	waitKey := false
	for {
		sp := h264.NewSplitter(r, 0)
		var dropped int64
		for {
			au, err := sp.Next()
			if d := sp.Dropped(); d != dropped {
				c.s.invalid.Add(uint64(d - dropped))
				dropped = d
			}
			if errors.Is(err, io.EOF) {
				break // pictures were lost: start again after them
			}
			if err != nil {
				return err
			}
			au.Time = r.timeOf(sp.End())
			if waitKey && !au.Key {
				c.s.invalid.Add(1)
				continue
			}
			waitKey = false
			c.s.frames.Add(1)
			emit(au)
		}
		waitKey = true
		r.restart()
	}
}

// bufferReader hands the bytes of the device's buffers to a Splitter. Each
// buffer is copied out and given back to the driver as soon as it is
// dequeued (a loopback device's writer may reuse it at once), and when
// pictures were lost before one, Read returns io.EOF before its bytes.
type bufferReader struct {
	c       *capture
	pend    []byte      // the latest buffer's bytes not read yet
	lost    bool        // pictures were lost before pend
	off     int64       // the stream offset of pend[0], for the current splitter
	spans   []span      // buffers whose bytes may be in access units to come
	prev    v4l2.Buffer // the latest buffer, to tell a repeat
	haveOne bool
}

// span is where a buffer ended in the stream, and when it was captured.
type span struct {
	end int64
	t   time.Time
}

func (r *bufferReader) Read(p []byte) (int, error) {
	for len(r.pend) == 0 {
		if r.lost {
			return 0, io.EOF
		}
		f, lost, err := r.c.next()
		if err != nil {
			return 0, err
		}
		// v4l2loopback hands out the last picture again when its writer
		// is late (sustain_framerate, timeout image): once is enough for
		// H.264. A driver that leaves the sequence number at 0 still
		// stamps each buffer with its own time.
		p := r.prev
		repeat := r.haveOne && f.Sequence == p.Sequence && f.Timestamp == p.Timestamp && f.BytesUsed == p.BytesUsed
		r.prev, r.haveOne = f.Buffer, true
		if !repeat {
			r.pend = append(r.pend[:0], f.Data...)
			r.lost = lost
			t := r.c.clock.wall(f.Buffer)
			r.spans = append(r.spans, span{end: r.off + int64(len(r.pend)), t: t})
		}
		if err := r.c.requeue(f); err != nil {
			return 0, err
		}
	}
	if r.lost {
		return 0, io.EOF
	}
	n := copy(p, r.pend)
	r.pend = r.pend[n:]
	r.off += int64(n)
	return n, nil
}

// restart readies the reader for a new splitter after a loss: pend, the
// buffer after it, starts the new stream.
func (r *bufferReader) restart() {
	r.lost = false
	r.off = 0
	r.spans = r.spans[:0]
	if len(r.pend) > 0 {
		r.spans = append(r.spans, span{end: int64(len(r.pend)), t: r.c.clock.last})
	}
}

// timeOf returns the capture time of the buffer holding the byte before
// stream offset end (an access unit's last byte), forgetting the buffers
// before it.
func (r *bufferReader) timeOf(end int64) time.Time {
	if len(r.spans) == 0 {
		return time.Now()
	}
	i := 0
	for i < len(r.spans)-1 && r.spans[i].end < end {
		i++
	}
	t := r.spans[i].t
	r.spans = append(r.spans[:0], r.spans[i:]...)
	return t
}
