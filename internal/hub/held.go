package hub

import "context"

// DefaultMaxHeldBytes is the MaxHeldBytes of a Config that sets none:
// sixteen of the largest frames a source accepts by default
// (mjpeg.DefaultMaxFrameSize), hundreds of ordinary ones.
const DefaultMaxHeldBytes = 64 << 20

// A frame is shared by every viewer, but a slow viewer still writing a
// frame keeps it in memory after newer ones replaced it: forty slow
// viewers of a camera sending 15 MB frames held 600 MB. The hub therefore
// counts the bytes of the frames viewers hold, each frame once however
// many hold it, and hands a viewer a frame that nobody holds yet only
// while the count stays within MaxHeldBytes. Otherwise the viewer waits
// until another lets go of one, and then takes the newest frame.

// Next is Hub.Next for a viewer that writes the frames it gets: the viewer
// lets go of the frame it got last, and holds the one it gets until its
// next call of Next or Latest, or Leave. While viewers hold more than
// MaxHeldBytes, a frame that no viewer holds yet is handed out only once
// some of them let go; a frame that others hold costs nothing and is
// handed out at once, as is any frame when no viewer holds one.
func (v *Viewer) Next(ctx context.Context, seq uint64) (*Frame, error) {
	h := v.h
	v.letGo()
	for {
		f, err := h.Next(ctx, seq)
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		if v.holdLocked(f) {
			h.mu.Unlock()
			return f, nil
		}
		released := h.released
		h.mu.Unlock()
		select {
		case <-released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Latest is Hub.Latest for a viewer that writes the frame: it holds the
// newest frame in place of the one it holds, when MaxHeldBytes allows;
// otherwise it keeps and returns the frame it holds.
func (v *Viewer) Latest() *Frame {
	h := v.h
	f := h.Latest()
	h.mu.Lock()
	defer h.mu.Unlock()
	if f == nil || f == v.held {
		return v.held
	}
	old := v.held
	v.held = nil
	h.letGoLocked(old)
	if v.holdLocked(f) {
		return f
	}
	v.holdLocked(old) // it held old a moment ago: it fits again
	return old
}

// holdLocked makes v hold f if MaxHeldBytes allows, and reports whether it
// did. v holds nothing. Callers hold h.mu.
func (v *Viewer) holdLocked(f *Frame) bool {
	h := v.h
	if f.holders == 0 {
		if h.held > 0 && h.held+len(f.Data) > h.cfg.MaxHeldBytes {
			return false
		}
		h.held += len(f.Data)
	}
	f.holders++
	v.held = f
	return true
}

// letGo releases the frame v holds, if any.
func (v *Viewer) letGo() {
	h := v.h
	h.mu.Lock()
	h.letGoLocked(v.held)
	v.held = nil
	h.mu.Unlock()
}

// letGoLocked drops one holder of f (nil for none). Callers hold h.mu.
func (h *Hub) letGoLocked(f *Frame) {
	if f == nil {
		return
	}
	f.holders--
	if f.holders == 0 {
		h.held -= len(f.Data)
		close(h.released)
		h.released = make(chan struct{})
	}
}
