package mjpeg

import (
	"bytes"
	"errors"
)

// ErrTruncated is returned when a JPEG ends before its EOI marker. The bytes
// seen so far are a valid start of a JPEG; more bytes may complete it.
var ErrTruncated = errors.New("mjpeg: truncated JPEG")

// ErrInvalid is returned when bytes are not a JPEG structure: no SOI at the
// start, a segment length below 2, a marker where none may be, a frame header
// (SOFn) with zero width, a frame or scan header (SOS) whose length does not
// fit its component count, an SOS before the SOFn, a second SOFn, or an EOI
// before any SOS.
var ErrInvalid = errors.New("mjpeg: invalid JPEG")

// JPEG marker codes (the byte after 0xFF).
const (
	markerTEM   = 0x01
	markerSOF0  = 0xC0
	markerDHT   = 0xC4
	markerJPG   = 0xC8
	markerDAC   = 0xCC
	markerSOF15 = 0xCF
	markerRST0  = 0xD0
	markerRST7  = 0xD7
	markerSOI   = 0xD8
	markerEOI   = 0xD9
	markerSOS   = 0xDA
)

// isSOF reports whether m starts a frame header (SOF0-3, 5-7, 9-11, 13-15).
func isSOF(m byte) bool {
	return m >= markerSOF0 && m <= markerSOF15 && m != markerDHT && m != markerJPG && m != markerDAC
}

// isStandalone reports whether m is a marker without a length field, other
// than SOI and EOI.
func isStandalone(m byte) bool {
	return m == markerTEM || (m >= markerRST0 && m <= markerRST7)
}

// walker states.
const (
	stSOI    = iota // expecting FF D8 at offset 0
	stMarker        // expecting a marker (possibly after fill bytes)
	stScan          // inside entropy-coded data
)

// walker walks the markers of one JPEG. It keeps where it got to, so that a
// JPEG arriving a few bytes at a time is walked once, not once per arrival.
type walker struct {
	pos    int // next offset to look at; may lie beyond the bytes seen so far
	state  uint8
	sawSOF bool
	sawSOS bool
}

// walk continues walking b, which holds the JPEG from its SOI onwards and
// extends the b of the previous call. It returns the JPEG's length, or
// ErrTruncated when b ends first, or ErrInvalid.
func (w *walker) walk(b []byte) (int, error) {
	for {
		var n int
		var err error
		switch w.state {
		case stSOI:
			err = w.soi(b)
		case stMarker:
			n, err = w.marker(b)
		case stScan:
			err = w.scan(b)
		}
		// A JPEG is never 0 bytes long: n is 0 until the EOI.
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// soi checks the SOI at the start of b.
func (w *walker) soi(b []byte) error {
	if len(b) < 2 {
		if len(b) == 1 && b[0] != 0xFF {
			return ErrInvalid
		}
		return ErrTruncated
	}
	if b[0] != 0xFF || b[1] != markerSOI {
		return ErrInvalid
	}
	w.pos = 2
	w.state = stMarker
	return nil
}

// marker reads the marker at w.pos and steps over its segment. At the EOI
// it returns the JPEG's length.
func (w *walker) marker(b []byte) (int, error) {
	p := w.pos
	if p >= len(b) {
		return 0, ErrTruncated
	}
	if b[p] != 0xFF {
		return 0, ErrInvalid
	}
	// Skip fill bytes: any marker may be preceded by extra 0xFF.
	for p+1 < len(b) && b[p+1] == 0xFF {
		p++
	}
	w.pos = p
	if p+1 >= len(b) {
		return 0, ErrTruncated
	}
	m := b[p+1]
	switch {
	case m == markerEOI:
		if !w.sawSOS {
			return 0, ErrInvalid
		}
		return p + 2, nil
	case m == 0x00 || m == markerSOI:
		return 0, ErrInvalid
	case isStandalone(m):
		w.pos = p + 2
		return 0, nil
	}
	if p+3 >= len(b) {
		return 0, ErrTruncated
	}
	n := int(b[p+2])<<8 | int(b[p+3])
	if n < 2 {
		return 0, ErrInvalid
	}
	if err := w.header(b, p, m, n); err != nil {
		return 0, err
	}
	// The segment may end beyond b; the next call checks that.
	w.pos = p + 2 + n
	return 0, nil
}

// header checks the frame and scan headers (SOF, SOS) of the segment with
// marker m and length n at b[p:].
func (w *walker) header(b []byte, p int, m byte, n int) error {
	switch {
	case isSOF(m):
		// One frame header, before the first scan, sized for its
		// components: Lf = 8 + 3*Nf. Checking this catches a JPEG cut
		// short and followed by the next one.
		if w.sawSOF {
			return ErrInvalid
		}
		if p+9 >= len(b) {
			return ErrTruncated
		}
		if nf := int(b[p+9]); nf == 0 || n != 8+3*nf {
			return ErrInvalid
		}
		if b[p+7] == 0 && b[p+8] == 0 {
			return ErrInvalid // zero width
		}
		w.sawSOF = true
	case m == markerSOS:
		// Ls = 6 + 2*Ns, with 1 to 4 components in a scan.
		if !w.sawSOF {
			return ErrInvalid
		}
		if p+4 >= len(b) {
			return ErrTruncated
		}
		if ns := int(b[p+4]); ns == 0 || ns > 4 || n != 6+2*ns {
			return ErrInvalid
		}
		w.sawSOS = true
		w.state = stScan
	}
	return nil
}

// scan steps over entropy-coded data to the next marker.
func (w *walker) scan(b []byte) error {
	p := w.pos
	if p > len(b) {
		return ErrTruncated
	}
	for {
		i := bytes.IndexByte(b[p:], 0xFF)
		if i < 0 {
			w.pos = len(b)
			return ErrTruncated
		}
		p += i
		if p+1 >= len(b) {
			w.pos = p
			return ErrTruncated
		}
		m := b[p+1]
		if m == 0x00 || (m >= markerRST0 && m <= markerRST7) {
			// A stuffed 0xFF or a restart marker: still scan data.
			p += 2
			continue
		}
		if m == 0xFF {
			// Fill byte; the marker (or stuffing) follows.
			p++
			continue
		}
		break
	}
	w.pos = p
	w.state = stMarker
	return nil
}

// FrameLen returns the length of the JPEG at the start of b, from its SOI
// (FF D8) through its EOI (FF D9), found by walking its marker segments and
// entropy-coded data. Segments are skipped by their length, so a thumbnail
// JPEG inside an APP1 (EXIF) segment does not end the frame; progressive
// JPEGs with several scans are walked to their final EOI. Bytes after the EOI
// are ignored.
//
// FrameLen returns ErrTruncated when b ends before the EOI (more bytes may
// complete the JPEG) and ErrInvalid when b does not hold a JPEG structure.
func FrameLen(b []byte) (int, error) {
	var w walker
	return w.walk(b)
}

// Size returns the width and height of the JPEG at the start of b, read from
// its frame header (SOF0-3, 5-7, 9-11 or 13-15). Only the header segments
// before the first scan are needed. A height of 0 means the JPEG defines its
// height later, in a DNL segment.
//
// Size returns ErrTruncated when b ends before the frame header and
// ErrInvalid when b is not a JPEG or has no frame header before its first
// scan.
func Size(b []byte) (width, height int, err error) {
	if len(b) < 2 {
		if len(b) == 1 && b[0] != 0xFF {
			return 0, 0, ErrInvalid
		}
		return 0, 0, ErrTruncated
	}
	if b[0] != 0xFF || b[1] != markerSOI {
		return 0, 0, ErrInvalid
	}
	p := 2
	for {
		if p >= len(b) {
			return 0, 0, ErrTruncated
		}
		if b[p] != 0xFF {
			return 0, 0, ErrInvalid
		}
		for p+1 < len(b) && b[p+1] == 0xFF {
			p++
		}
		if p+1 >= len(b) {
			return 0, 0, ErrTruncated
		}
		m := b[p+1]
		switch {
		case m == 0x00 || m == markerSOI || m == markerEOI || m == markerSOS:
			return 0, 0, ErrInvalid
		case isStandalone(m):
			p += 2
			continue
		}
		if p+3 >= len(b) {
			return 0, 0, ErrTruncated
		}
		n := int(b[p+2])<<8 | int(b[p+3])
		if n < 2 {
			return 0, 0, ErrInvalid
		}
		if isSOF(m) {
			// Lf(2) P(1) Y(2) X(2) Nf(1)
			if n < 8 {
				return 0, 0, ErrInvalid
			}
			if p+8 >= len(b) {
				return 0, 0, ErrTruncated
			}
			height = int(b[p+5])<<8 | int(b[p+6])
			width = int(b[p+7])<<8 | int(b[p+8])
			if width == 0 {
				return 0, 0, ErrInvalid
			}
			return width, height, nil
		}
		p += 2 + n
	}
}
