// Package testpattern is framecast's built-in source for when no camera is
// attached: colour bars with a moving ball, the wall-clock time to the
// millisecond, a frame counter (as text and as a 32-cell binary strip), the
// picture size, the frame rate and the camera name, drawn live and encoded as
// JPEG at a steady frame rate.
package testpattern

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/framecast/framecast/internal/picture"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// Defaults used for zero fields of Source.
const (
	DefaultWidth   = 640
	DefaultHeight  = 480
	DefaultFPS     = 30
	DefaultQuality = picture.DefaultQuality
	DefaultName    = "framecast test pattern"
)

// MaxFPS is the highest frame rate a Source accepts.
const MaxFPS = 1000

// Source draws the test pattern. Its zero value is ready to use; set fields
// before Run and leave them alone while it runs.
type Source struct {
	// Width and Height are the picture size in pixels, 1 to picture.MaxSize;
	// zero means DefaultWidth (640) and DefaultHeight (480).
	Width, Height int
	// FPS is the frame rate, 1 to MaxFPS; zero means DefaultFPS (30).
	FPS int
	// Quality is the JPEG quality, 1 to 100; zero means DefaultQuality (80).
	Quality int
	// Name is the camera name shown in the picture; empty means DefaultName.
	Name string

	dropped atomic.Int64
}

// Dropped counts the frames not made because their time passed while an
// earlier one was drawn or taken (by a slow emit), over every run.
func (s *Source) Dropped() int64 { return s.dropped.Load() }

// Run emits a frame at once and then one per tick of a ticker at FPS, until
// ctx ends; then it returns nil. When drawing and encoding a frame takes
// longer than a tick, the ticks missed meanwhile are skipped, not queued.
// Each frame's Time is when its picture was drawn, and its Data is a new
// slice that Run never touches again. Run returns an error at once when a
// field is out of range.
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	c, err := s.config()
	if err != nil {
		return err
	}
	r := newRenderer(c)
	period := time.Second / time.Duration(c.fps)
	tick := time.NewTicker(period)
	defer tick.Stop()
	start := time.Now()
	var late int64 // frames of this run not made
	for n := uint64(1); ; n++ {
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		// This is frame n; the ticks of the frames before it since start
		// that the ticker skipped were frames not made.
		if d := int64(now.Sub(start)/period) - int64(n-1) - late; d > 0 {
			late += d
			s.dropped.Add(d)
		}
		data, err := r.render(now, n)
		if err != nil {
			return err
		}
		emit(mjpeg.Frame{Data: data, Time: now})
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// config is a Source with its defaults applied and its fields checked.
type config struct {
	width, height, fps, quality int
	name                        string
}

func (s *Source) config() (config, error) {
	c := config{s.Width, s.Height, s.FPS, s.Quality, s.Name}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.width, DefaultWidth)
	def(&c.height, DefaultHeight)
	def(&c.fps, DefaultFPS)
	def(&c.quality, DefaultQuality)
	if c.name == "" {
		c.name = DefaultName
	}
	switch {
	case c.width < 1 || c.width > picture.MaxSize || c.height < 1 || c.height > picture.MaxSize:
		return c, fmt.Errorf("testpattern: size %dx%d out of range 1..%d", c.width, c.height, picture.MaxSize)
	case c.fps < 1 || c.fps > MaxFPS:
		return c, fmt.Errorf("testpattern: fps %d out of range 1..%d", c.fps, MaxFPS)
	case c.quality < 1 || c.quality > 100:
		return c, fmt.Errorf("testpattern: quality %d out of range 1..100", c.quality)
	}
	return c, nil
}
