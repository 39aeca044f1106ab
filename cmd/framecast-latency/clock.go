package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// picture is one raw yuv420p picture: the stamp's band at the top, a
// moving checkerboard below it, so the encoders have motion to code as a
// camera's picture would give them.
type picture struct {
	g   geometry
	buf []byte // Y, then U, then V
}

func newPicture(w, h int) (*picture, error) {
	if w%2 != 0 || h%2 != 0 {
		return nil, fmt.Errorf("%dx%d: yuv420p needs an even width and height", w, h)
	}
	g, err := newGeometry(w, h)
	if err != nil {
		return nil, err
	}
	p := &picture{g: g, buf: make([]byte, w*h*3/2)}
	u, v := p.buf[w*h:w*h*5/4], p.buf[w*h*5/4:]
	for y := range h / 2 {
		for x := range w / 2 {
			i := y*w/2 + x
			u[i], v[i] = 128, 128
			if 2*y >= g.codeHeight() {
				u[i], v[i] = byte(64+128*x*2/w), byte(64+128*y*2/h)
			}
		}
	}
	return p, nil
}

// draw makes p picture number n stamped ms; the stamp is drawn last.
func (p *picture) draw(n int, ms func() int64) {
	w, h := p.g.w, p.g.h
	for y := p.g.codeHeight(); y < h; y++ {
		line := p.buf[y*w : y*w+w]
		for x := range line {
			// A checkerboard moving over a fixed grain: the encoder
			// has both motion and detail to code.
			v := 60
			if ((x+4*n)/20+y/20)%2 == 0 {
				v = 180
			}
			line[x] = byte(v + int(grain(x, y)))
		}
	}
	drawCode(p.buf[:w*h], p.g, ms())
}

// runClock writes raw yuv420p pictures of w x h at fps a second to out, each
// stamped with the wall-clock time in milliseconds at which it is written,
// until a write fails (the reader went away) or ctx ends. Pictures are
// never queued: a late one is written when it is ready, stamped then.
// Stamps only grow.
func runClock(ctx context.Context, out io.Writer, w, h, fps int) error {
	if fps <= 0 {
		return fmt.Errorf("fps %d: want more than 0", fps)
	}
	p, err := newPicture(w, h)
	if err != nil {
		return err
	}
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	last := int64(0)
	for n := 0; ; n++ {
		// Stamps name pictures, so two never share one (a late picture
		// and the next can be written within a millisecond).
		p.draw(n, func() int64 {
			last = max(last+1, time.Now().UnixMilli())
			return last
		})
		if _, err := out.Write(p.buf); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// grain is a fixed pseudo-random texture of 0 to 31 at x, y.
func grain(x, y int) uint32 {
	h := uint32(x)*0x9e3779b1 ^ uint32(y)*0x85ebca77
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	return h & 31
}
