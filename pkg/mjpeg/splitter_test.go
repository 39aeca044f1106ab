package mjpeg_test

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// splitAll reads frames until an error and returns them with that error.
func splitAll(s *mjpeg.Splitter) ([][]byte, error) {
	var frames [][]byte
	for {
		f, err := s.Next()
		if err != nil {
			return frames, err
		}
		if n, err := mjpeg.FrameLen(f); err != nil || n != len(f) {
			panic("Splitter returned a frame that FrameLen rejects")
		}
		frames = append(frames, f)
	}
}

func sameFrames(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames (sizes %v), want %d (sizes %v)", len(got), sizes(got), len(want), sizes(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d: got %d bytes, want %d bytes (differ)", i, len(got[i]), len(want[i]))
		}
		if cap(got[i]) != len(got[i]) {
			t.Errorf("frame %d: cap %d, want exactly len %d", i, cap(got[i]), len(got[i]))
		}
	}
}

func sizes(frames [][]byte) []int {
	var s []int
	for _, f := range frames {
		s = append(s, len(f))
	}
	return s
}

// chunkings returns readers that deliver data in different chunk sizes.
func chunkings(data []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"all at once":    bytes.NewReader(data),
		"one byte":       iotest.OneByteReader(bytes.NewReader(data)),
		"half reads":     iotest.HalfReader(bytes.NewReader(data)),
		"EOF with data":  iotest.DataErrReader(bytes.NewReader(data)),
		"random 1-7":     newChunkReader(data, 1, 7),
		"random 1-300":   newChunkReader(data, 2, 300),
		"random 1-5000":  newChunkReader(data, 3, 5000),
		"random 1-70000": newChunkReader(data, 4, 70000),
	}
}

func TestSplitterChunkings(t *testing.T) {
	var want [][]byte
	valid := validJPEGs(t)
	for _, name := range slices.Sorted(maps.Keys(valid)) {
		want = append(want, valid[name])
	}
	want = append(want, want[0], want[1]) // repeats
	stream := concat(want...)
	for name, r := range chunkings(stream) {
		t.Run(name, func(t *testing.T) {
			s := newSplitter(r, 0)
			got, err := splitAll(s)
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			sameFrames(t, got, want)
			if s.Drops.Load() != 0 {
				t.Errorf("Dropped = %d, want 0", s.Drops.Load())
			}
			if _, err := s.Next(); err != io.EOF {
				t.Errorf("Next after EOF = %v, want io.EOF", err)
			}
		})
	}
}

func TestSplitterGarbage(t *testing.T) {
	a := makeJPEG(t, 64, 48, 75, 1)
	b := withEXIF(makeJPEG(t, 80, 60, 60, 2), makeJPEG(t, 16, 12, 50, 3))
	c := readTestdata(t, "progressive.jpg")
	// Garbage that never forms an SOI: lone 0xFF, EOI, stuffing, text.
	g1 := []byte("HTTP/1.0 200 OK\r\n\r\n\xFF")
	g2 := []byte{0xFF, 0xD9, 0xFF, 0x00, 0xFF, 0xFF, 0x12}
	g3 := []byte("\r\n--boundary\r\nContent-Type: image/jpeg\r\n\r\n")
	g4 := []byte{0xFF}
	stream := concat(g1, a, g2, b, g3, c, a, g4)
	for name, r := range chunkings(stream) {
		t.Run(name, func(t *testing.T) {
			s := newSplitter(r, 0)
			got, err := splitAll(s)
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			sameFrames(t, got, [][]byte{a, b, c, a})
			if s.Drops.Load() != 0 {
				t.Errorf("Dropped = %d, want 0", s.Drops.Load())
			}
		})
	}
}

func TestSplitterTruncatedThenGood(t *testing.T) {
	a := makeJPEG(t, 64, 48, 75, 1)
	b := makeJPEG(t, 48, 32, 75, 2)
	c := readTestdata(t, "restart.jpg")
	sos := bytes.Index(a, []byte{0xFF, 0xDA})
	dqt := bytes.Index(a, []byte{0xFF, 0xDB})
	cuts := map[string]int{
		"after SOI":          2,
		"inside marker":      3,
		"inside DQT length":  dqt + 3,
		"inside DQT":         dqt + 20,
		"inside SOS header":  sos + 5,
		"in scan data":       sos + 100,
		"in scan, before D9": len(a) - 2,
		"in scan, after FF":  len(a) - 1,
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			stream := concat(a, a[:cut], b, c)
			for chunking, r := range chunkings(stream) {
				s := newSplitter(r, 0)
				got, err := splitAll(s)
				if err != io.EOF {
					t.Fatalf("%s: err = %v, want io.EOF", chunking, err)
				}
				sameFrames(t, got, [][]byte{a, b, c})
				if s.Drops.Load() != 1 {
					t.Errorf("%s: Dropped = %d, want 1", chunking, s.Drops.Load())
				}
			}
		})
	}
}

func TestSplitterPartialAtEOF(t *testing.T) {
	a := makeJPEG(t, 64, 48, 75, 1)
	s := newSplitter(bytes.NewReader(concat(a, a[:len(a)/2])), 0)
	got, err := splitAll(s)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	sameFrames(t, got, [][]byte{a})
	if s.Drops.Load() != 1 {
		t.Errorf("Dropped = %d, want 1", s.Drops.Load())
	}
}

func TestSplitterInvalidFrameDropped(t *testing.T) {
	a := makeJPEG(t, 64, 48, 75, 1)
	bad := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 1, 2, 3} // length 1
	noSOS := []byte{0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x03, 'x', 0xFF, 0xD9}
	for name, r := range chunkings(concat(bad, a, noSOS, a)) {
		s := newSplitter(r, 0)
		got, err := splitAll(s)
		if err != io.EOF {
			t.Fatalf("%s: err = %v, want io.EOF", name, err)
		}
		sameFrames(t, got, [][]byte{a, a})
		if s.Drops.Load() != 2 {
			t.Errorf("%s: Dropped = %d, want 2", name, s.Drops.Load())
		}
	}
}

func TestSplitterOversized(t *testing.T) {
	small := makeJPEG(t, 64, 48, 75, 1)
	big := makeJPEG(t, 320, 240, 95, 2)
	const max = 20000
	if len(small) > max || len(big) <= max {
		t.Fatalf("test frames: small %d, big %d bytes; want them around %d", len(small), len(big), max)
	}
	for name, r := range chunkings(concat(small, big, small, big, big, small)) {
		t.Run(name, func(t *testing.T) {
			s := newSplitter(r, max)
			got, err := splitAll(s)
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			sameFrames(t, got, [][]byte{small, small, small})
			if s.Drops.Load() != 3 {
				t.Errorf("Dropped = %d, want 3", s.Drops.Load())
			}
		})
	}
	// A frame of exactly the maximum size is accepted.
	s := newSplitter(bytes.NewReader(concat(small, small)), len(small))
	got, err := splitAll(s)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	sameFrames(t, got, [][]byte{small, small})
}

// endlessFrame is an SOI, headers and then scan data that never ends,
// followed after n scan bytes by a good frame.
type endlessFrame struct {
	head, tail []byte
	n          int
}

func (r *endlessFrame) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	if r.n > 0 {
		n := min(len(p), r.n)
		for i := range p[:n] {
			p[i] = byte(i) & 0x7F
		}
		r.n -= n
		return n, nil
	}
	if len(r.tail) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.tail)
	r.tail = r.tail[n:]
	return n, nil
}

func TestSplitterOversizedMemoryBounded(t *testing.T) {
	good := makeJPEG(t, 64, 48, 75, 1)
	sos := bytes.Index(good, []byte{0xFF, 0xDA})
	head := good[:sos+14] // through the SOS segment of a 3-component image
	const scan = 64 << 20
	r := &endlessFrame{head: head, tail: good, n: scan}
	s := newSplitter(r, 64<<10)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := splitAll(s)
	runtime.ReadMemStats(&after)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	sameFrames(t, got, [][]byte{good})
	if s.Drops.Load() != 1 {
		t.Errorf("Dropped = %d, want 1", s.Drops.Load())
	}
	// 64 MiB went through a splitter limited to 64 KiB frames.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("allocated %d bytes for a 64 MiB oversized frame; want at most 4 MiB", alloc)
	}
}

func TestSplitterReadError(t *testing.T) {
	a := makeJPEG(t, 64, 48, 75, 1)
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(concat(a, a, a[:100])), iotest.ErrReader(boom))
	s := newSplitter(r, 0)
	got, err := splitAll(s)
	if err != boom {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	sameFrames(t, got, [][]byte{a, a})
	if _, err := s.Next(); err != boom {
		t.Errorf("Next again = %v, want %v", err, boom)
	}
}

// emptyReader returns 0, nil forever.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestSplitterNoProgress(t *testing.T) {
	s := newSplitter(emptyReader{}, 0)
	if _, err := s.Next(); err != io.ErrNoProgress {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

func TestSplitterCountersConcurrent(t *testing.T) {
	// Dropped and Drops are read by status pages while Next runs.
	a := makeJPEG(t, 32, 24, 75, 1)
	stream := concat([]byte("junk"), a, a[:50], a, []byte{0xFF, 0xD8, 0x00}, a)
	s := newSplitter(iotest.OneByteReader(bytes.NewReader(stream)), 0)
	var total atomic.Int64
	s.Drops = &total
	done := make(chan struct{})
	polled := make(chan int64)
	go func() {
		var last int64
		for {
			select {
			case <-done:
				polled <- last
				return
			default:
				last = s.Drops.Load() + total.Load()
			}
		}
	}()
	got, err := splitAll(s)
	close(done)
	<-polled
	if err != io.EOF || len(got) != 3 {
		t.Fatalf("got %d frames, %v; want 3, io.EOF", len(got), err)
	}
	if s.Drops.Load() != 2 || total.Load() != 2 {
		t.Errorf("Dropped = %d, Drops = %d; want 2", s.Drops.Load(), total.Load())
	}
}
