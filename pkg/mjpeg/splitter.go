package mjpeg

import (
	"bytes"
	"io"
	"sync/atomic"
)

// DefaultMaxFrameSize is the largest frame a Splitter or Reader accepts when
// no other limit is given: 4 MiB. A camera's 4K (3840x2160) MJPEG frame is
// 1 to 2 MB even at high quality; a larger one comes from a broken or
// hostile source, and every slow viewer may keep one frame in memory.
const DefaultMaxFrameSize = 4 << 20

const (
	// minRead is the least free space the splitter offers to a Read.
	minRead = 32 << 10
	// initialBufSize is the splitter's first buffer size.
	initialBufSize = 128 << 10
	// maxEmptyReads is how many (0, nil) reads in a row mean no progress.
	maxEmptyReads = 100
	// maxMaxFrameSize keeps buffer sizes far from overflowing a 32-bit int.
	maxMaxFrameSize = 1 << 30
)

// Splitter cuts whole JPEGs out of a byte stream of concatenated JPEGs, such
// as the output of a camera in MJPEG mode or of ffmpeg -f mjpeg. The stream
// may arrive in any chunking.
//
// Bytes between frames are skipped until the next SOI. A frame that turns out
// invalid, or grows beyond the maximum frame size, is dropped and counted
// (see Drops), and the splitter resynchronises on the next SOI after it.
//
// A Splitter is not safe for concurrent use; Drops may be read at any time.
type Splitter struct {
	// Drops, when set before the first Next, counts the frames dropped
	// because they were invalid, too large, or cut short by the end of the
	// stream. One counter may serve several splitters: a camera keeps one
	// total over all its runs.
	Drops *atomic.Int64

	r   io.Reader
	max int

	// buf[lo:] holds bytes read but not yet consumed.
	buf []byte
	lo  int

	inFrame bool // buf[lo:] starts with an SOI that w is walking
	w       walker
	err     error // sticky read error
}

// NewSplitter returns a Splitter reading from r that drops frames larger
// than maxFrameSize bytes. A maxFrameSize of zero or less means
// DefaultMaxFrameSize; more than 1 GiB means 1 GiB. The Splitter buffers at
// most about maxFrameSize plus 64 KiB.
func NewSplitter(r io.Reader, maxFrameSize int) *Splitter {
	if maxFrameSize <= 0 {
		maxFrameSize = DefaultMaxFrameSize
	}
	maxFrameSize = min(maxFrameSize, maxMaxFrameSize)
	return &Splitter{r: r, max: maxFrameSize}
}

// Next returns the next whole JPEG, SOI through EOI. The returned slice is
// newly allocated, holds exactly the frame's bytes and belongs to the caller.
//
// At the end of the stream Next drops any partial frame and returns io.EOF.
// Other read errors are returned as they are, after the frames already read;
// once Next has returned an error it returns the same error again.
func (s *Splitter) Next() ([]byte, error) {
	for {
		if f, ok := s.scan(); ok {
			return f, nil
		}
		if s.err != nil {
			if s.err != io.EOF {
				return nil, s.err
			}
			// End of stream: the frame in progress can never complete, but
			// another frame may start inside it (it may have been cut short).
			if s.inFrame {
				s.drop(2)
				continue
			}
			s.skip(len(s.buf) - s.lo)
			return nil, io.EOF
		}
		s.fill()
	}
}

// scan looks for a whole frame in the buffered bytes.
func (s *Splitter) scan() ([]byte, bool) {
	for {
		if !s.inFrame {
			b := s.buf[s.lo:]
			i := bytes.Index(b, []byte{0xFF, markerSOI})
			if i < 0 {
				// Keep a final 0xFF: it may be the first half of an SOI.
				n := len(b)
				if n > 0 && b[n-1] == 0xFF {
					n--
				}
				s.skip(n)
				return nil, false
			}
			s.skip(i)
			s.inFrame = true
			s.w = walker{}
		}
		b := s.buf[s.lo:]
		if len(b) > s.max {
			b = b[:s.max]
		}
		n, err := s.w.walk(b)
		switch err {
		case nil:
			f := make([]byte, n)
			copy(f, b)
			s.lo += n
			s.inFrame = false
			return f, true
		case ErrTruncated:
			if len(b) < s.max {
				return nil, false
			}
			// Too large: an SOI cannot lie inside the frame's entropy data,
			// so the next one after the part seen is the next frame.
			s.drop(max(s.max-1, 2))
		default:
			// Invalid: the next frame may start inside this one (this one
			// may have been cut short), so look again just after its SOI.
			s.drop(2)
		}
	}
}

// drop drops the frame in progress and consumes its first n bytes.
func (s *Splitter) drop(n int) {
	if s.Drops != nil {
		s.Drops.Add(1)
	}
	s.inFrame = false
	s.skip(n)
}

// skip consumes n buffered bytes that are not part of a frame.
func (s *Splitter) skip(n int) { s.lo += n }

// fill reads more bytes into the buffer, making room first. It records a read
// error in s.err.
func (s *Splitter) fill() {
	if cap(s.buf)-len(s.buf) < minRead && s.lo > 0 {
		// Move the unconsumed bytes (a partial frame at most) to the front.
		n := copy(s.buf[:cap(s.buf)], s.buf[s.lo:])
		s.buf = s.buf[:n]
		s.lo = 0
	}
	if cap(s.buf)-len(s.buf) < minRead {
		// The buffer never needs to hold more than one frame plus one read.
		c := min(max(2*cap(s.buf), initialBufSize), s.max+2*minRead)
		c = max(c, len(s.buf)+minRead)
		nb := make([]byte, len(s.buf), c)
		copy(nb, s.buf)
		s.buf = nb
	}
	for range maxEmptyReads {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	s.err = io.ErrNoProgress
}
