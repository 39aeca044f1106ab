package h264

import (
	"bytes"
	"io"
	"sync/atomic"
)

// DefaultMaxAUSize is the largest access unit a Splitter accepts when no
// other limit is given: 4 MiB, far above a 1080p keyframe at any sane
// bitrate.
const DefaultMaxAUSize = 4 << 20

const (
	minRead         = 32 << 10 // the least free space offered to a Read
	initialBufSize  = 128 << 10
	maxEmptyReads   = 100      // (0, nil) reads in a row that mean no progress
	maxMaxAUSize    = 1 << 30  // keeps buffer sizes far from overflowing an int
	sliceHeaderPeek = 8        // bytes of a NAL unit that tell if it starts a picture
	maxZeroRun      = 64 << 10 // trailing zeros an access unit may carry beyond its limit
)

// Splitter cuts an Annex-B H.264 byte stream into access units. The stream
// may arrive in any chunking: boundaries are found in the stream's syntax,
// never in pauses between reads.
//
// A new access unit starts at an access unit delimiter, SPS, PPS, SEI (or
// NAL unit types 14 to 18) or at a slice whose first_mb_in_slice is 0, once
// the access unit being gathered holds a slice. Encoders that cut a picture
// into several slices (libx264 with -tune zerolatency uses one per thread)
// thus yield one access unit per picture.
//
// An access unit is complete only when the next one starts, so the Splitter
// returns it as soon as the first NAL unit header of the next has been read
// (for a slice, its first bytes): a source that flushes every picture, such
// as rpicam-vid --flush, gets each one back one picture later at most. At
// the end of the stream the last access unit is returned.
//
// Bytes before the first start code are skipped, and so are zero bytes
// between access units (trailing_zero_8bits, or the padding a V4L2 driver
// may leave after a picture in its buffer): an access unit starts at its
// start code. An access unit larger than
// the maximum size, or holding a NAL unit with a forbidden_zero_bit set, is
// dropped and counted, and so is every access unit after it up to the next
// IDR picture, as they could not be decoded without it.
//
// A Splitter is not safe for concurrent use, except for Dropped and Skipped.
type Splitter struct {
	r   io.Reader
	max int

	// buf[lo:] holds bytes read but not yet consumed; scan is where the
	// search for the next start code resumes.
	buf      []byte
	lo, scan int
	err      error // sticky read error

	au      auState
	waitKey bool // an access unit was dropped: drop until an IDR picture

	base int64 // the stream offset of buf[0]
	end  int64 // the stream offset just past the last access unit returned

	dropped atomic.Int64
	skipped atomic.Int64
}

// auState is the access unit being gathered.
type auState struct {
	open  bool // start is valid
	start int  // index in buf of its first start code
	vcl   bool // holds a slice
	key   bool // holds an IDR slice
	bad   bool // holds an invalid NAL unit
	big   bool // grew beyond the maximum size: its bytes are being discarded
}

// NewSplitter returns a Splitter reading from r that drops access units
// larger than maxAUSize bytes. A maxAUSize of zero or less means
// DefaultMaxAUSize; more than 1 GiB means 1 GiB.
func NewSplitter(r io.Reader, maxAUSize int) *Splitter {
	if maxAUSize <= 0 {
		maxAUSize = DefaultMaxAUSize
	}
	return &Splitter{r: r, max: min(maxAUSize, maxMaxAUSize)}
}

// Dropped returns the number of access units dropped so far: too large,
// invalid, or undecodable after such a one. It is safe to call from any
// goroutine.
func (s *Splitter) Dropped() int64 { return s.dropped.Load() }

// Skipped returns the number of bytes read so far that were not returned in
// an access unit: garbage before a start code, NAL units without a picture
// at the end of the stream, and dropped access units. It is safe to call
// from any goroutine.
func (s *Splitter) Skipped() int64 { return s.skipped.Load() }

// End returns the stream offset (bytes read from the start) just past the
// last byte of the access unit Next returned last, or 0 before the first:
// a caller that knows where each chunk of the stream began, such as the
// capture time of each buffer a device filled, can tell where the access
// unit came from.
func (s *Splitter) End() int64 { return s.end }

// Next returns the next access unit. Its Data is newly allocated and belongs
// to the caller.
//
// At the end of the stream Next returns the last access unit, then io.EOF.
// Other read errors are returned as they are, after the access units already
// complete; once Next has returned an error it returns the same error again.
func (s *Splitter) Next() (AccessUnit, error) {
	for {
		if au, ok := s.step(); ok {
			return au, nil
		}
		if s.err != nil {
			if au, ok := s.finish(); ok {
				return au, nil
			}
			return AccessUnit{}, s.err
		}
		s.fill()
	}
}

// step walks the buffered NAL units until an access unit is complete.
func (s *Splitter) step() (AccessUnit, bool) {
	for {
		i := bytes.Index(s.buf[s.scan:], startCode)
		if i < 0 {
			// Keep the last two bytes: they may begin a start code.
			s.scan = max(s.scan, len(s.buf)-2)
			s.discard()
			return AccessUnit{}, false
		}
		sc := s.scan + i
		nal := s.buf[sc+3:]
		if len(nal) < sliceHeaderPeek && s.err == nil {
			// Too few bytes to tell where this NAL unit belongs.
			s.scan = sc
			return AccessUnit{}, false
		}
		s.scan = sc + 3
		starts := startsAU(nal[:min(len(nal), sliceHeaderPeek)])
		var out AccessUnit
		var ok bool
		if s.au.open && s.au.vcl && starts {
			out, ok = s.emit(s.au, trimZeros(s.buf[s.au.start:sc]))
			// The next access unit opens below at its start code: the
			// zeros between the two (trailing_zero_8bits, or a driver's
			// padding) are skipped, not carried as its first bytes.
			s.au = auState{}
		}
		if !s.au.open {
			// A zero byte just before sc makes a 4-byte start code.
			start := sc
			if start > s.lo && s.buf[start-1] == 0 {
				start--
			}
			s.skip(start - s.lo)
			s.au = auState{open: true, start: start}
		}
		if len(nal) > 0 {
			switch t := NALType(nal); {
			case nal[0]&0x80 != 0:
				s.au.bad = true
			case t >= NALSlice && t <= NALSliceIDR:
				s.au.vcl = true
				s.au.key = s.au.key || t == NALSliceIDR
			}
		}
		s.discard()
		if ok {
			return out, true
		}
	}
}

// startsAU reports whether the NAL unit nal (possibly cut short) begins a
// new access unit after one holding a slice (7.4.1.2.3).
func startsAU(nal []byte) bool {
	switch t := NALType(nal); {
	case t == NALAUD, t == NALSEI, t == NALSPS, t == NALPPS, t >= 14 && t <= 18:
		return true
	case t == NALSlice || t == 2 || t == NALSliceIDR: // 2: data partition A, with the slice header
		mb, err := firstMBInSlice(nal)
		return err == nil && mb == 0
	}
	return false
}

// emit ends the access unit au, whose bytes are data; it returns a copy of
// it unless it is to be dropped.
func (s *Splitter) emit(au auState, data []byte) (AccessUnit, bool) {
	s.lo = au.start
	switch {
	case au.big || au.bad || len(data) > s.max:
		s.waitKey = true
	case s.waitKey && !au.key:
	default:
		s.waitKey = false
		s.lo += len(data)
		s.end = s.base + int64(s.lo)
		return AccessUnit{Data: bytes.Clone(data), Key: au.key}, true
	}
	s.dropped.Add(1)
	s.skip(len(data))
	return AccessUnit{}, false
}

// discard lets go of buffered bytes no longer needed: garbage before any
// start code, and the bytes of an access unit that grew too large.
func (s *Splitter) discard() {
	switch {
	case !s.au.open:
		// Keep a zero byte before scan: it may begin a 4-byte start code.
		n := s.scan
		if n > s.lo && s.buf[n-1] == 0 {
			n--
		}
		s.skip(n - s.lo)
	case s.au.big:
		s.skip(s.scan - s.lo)
		s.au.start = s.scan
	case s.scan-s.au.start > s.max+maxZeroRun, len(trimZeros(s.buf[s.au.start:s.scan])) > s.max:
		// Trailing zeros are not counted: they may belong to the next start
		// code, and the size must not depend on how reads were chunked.
		s.au.big = true
		s.skip(s.scan - s.lo)
		s.au.start = s.scan
	}
}

// finish ends the stream: it returns the last access unit, if it is whole.
func (s *Splitter) finish() (AccessUnit, bool) {
	au := s.au
	s.au = auState{}
	var out AccessUnit
	var ok bool
	if s.err == io.EOF && au.open && au.vcl {
		out, ok = s.emit(au, trimZeros(s.buf[au.start:]))
	}
	s.skip(len(s.buf) - s.lo)
	return out, ok
}

// skip consumes n buffered bytes that are not part of an access unit.
func (s *Splitter) skip(n int) {
	if n > 0 {
		s.lo += n
		s.skipped.Add(int64(n))
	}
}

// fill reads more bytes into the buffer, making room first. It records a
// read error in s.err.
func (s *Splitter) fill() {
	if cap(s.buf)-len(s.buf) < minRead && s.lo > 0 {
		// Move the unconsumed bytes (one access unit at most) to the front.
		n := copy(s.buf[:cap(s.buf)], s.buf[s.lo:])
		s.buf = s.buf[:n]
		s.base += int64(s.lo)
		s.scan -= s.lo
		s.au.start -= s.lo
		s.lo = 0
	}
	if cap(s.buf)-len(s.buf) < minRead {
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
