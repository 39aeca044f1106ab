// Package fake holds test doubles shared by framecast's tests: real JPEGs
// made to order and scripted sources.
package fake

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"sync"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// JPEG returns a real w×h JPEG whose picture depends on n, so frames made
// with different n differ.
func JPEG(w, h, n int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = byte(i*7 + n*13)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = byte(n*29), byte(255-n*17)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Gray returns a w×h JPEG of one flat grey level.
func Gray(w, h int, level uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = level
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Source emits Frames in turn, one every Period, looping, until ctx ends.
// Hold makes it emit once and then wait for ctx.
type Source struct {
	Frames [][]byte
	Period time.Duration
	Hold   bool

	mu      sync.Mutex
	runs    int
	running int
}

// Run emits frames until ctx ends.
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	s.mu.Lock()
	s.runs++
	s.running++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	if s.Hold {
		emit(mjpeg.Frame{Data: s.Frames[0], Time: time.Now()})
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(s.Period)
	defer t.Stop()
	for i := 0; ; i++ {
		emit(mjpeg.Frame{Data: s.Frames[i%len(s.Frames)], Time: time.Now()})
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Counts reports how often Run was called and how many runs are going on.
func (s *Source) Counts() (runs, running int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs, s.running
}
