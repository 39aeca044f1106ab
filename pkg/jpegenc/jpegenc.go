// Package jpegenc encodes raw camera frames (YUYV, UYVY, NV12, YU12, YV12)
// as JPEG in pure Go. Frames are converted straight into a reused 4:2:0
// image.YCbCr, with no RGB round trip, and compressed by a baseline encoder
// written for speed (about 2-3 times image/jpeg's rate; see the benchmarks).
package jpegenc

import (
	"errors"
	"fmt"
	"image"
)

// Format is a raw pixel layout.
type Format int

// Raw formats the Encoder reads.
const (
	YUYV Format = iota + 1 // packed 4:2:2: Y0 Cb Y1 Cr
	UYVY                   // packed 4:2:2: Cb Y0 Cr Y1
	NV12                   // Y plane, then one plane of interleaved Cb Cr at 4:2:0
	YU12                   // planar 4:2:0: Y, Cb, Cr (I420)
	YV12                   // planar 4:2:0: Y, Cr, Cb
)

// String returns the format's V4L2 four-character code.
func (f Format) String() string {
	switch f {
	case YUYV:
		return "YUYV"
	case UYVY:
		return "UYVY"
	case NV12:
		return "NV12"
	case YU12:
		return "YU12"
	case YV12:
		return "YV12"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ErrShortFrame is returned when a raw frame holds fewer bytes than its
// format, size and stride need.
var ErrShortFrame = errors.New("jpegenc: raw frame too short")

// DefaultQuality is the quality used when Encoder.Quality is 0.
const DefaultQuality = 80

// Encoder turns raw frames into JPEGs. It keeps its buffers between frames,
// so it is meant to live as long as a stream; it is not safe for concurrent
// use (give each goroutine its own).
type Encoder struct {
	// Quality is the JPEG quality, 1..100 (0 means DefaultQuality).
	Quality int

	img     image.YCbCr
	quant   *quantTables
	lastLen int // size of the previous JPEG, to size the next one's buffer
}

// MinLen returns how many bytes a frame of format f needs at width x height
// with the given stride (bytes per line of the first plane; 0 means packed).
func MinLen(f Format, width, height, stride int) int {
	switch f {
	case YUYV, UYVY:
		if stride == 0 {
			stride = 4 * ((width + 1) / 2)
		}
		return stride*(height-1) + 4*((width+1)/2)
	case NV12:
		if stride == 0 {
			stride = width
		}
		return stride*height + stride*((height+1)/2-1) + 2*((width+1)/2)
	case YU12, YV12:
		if stride == 0 {
			stride = width
		}
		cs := stride / 2
		return stride*height + 2*cs*((height+1)/2)
	}
	return 0
}

// Encode compresses one raw frame of format f, width x height pixels, whose
// first plane has stride bytes per line (0 means tightly packed), and returns
// the JPEG in a new slice that the caller owns. raw is only read.
func (e *Encoder) Encode(raw []byte, f Format, width, height, stride int) ([]byte, error) {
	if err := e.Convert(raw, f, width, height, stride); err != nil {
		return nil, err
	}
	q := e.Quality
	if q == 0 {
		q = DefaultQuality
	}
	if e.quant == nil || e.quant.quality != max(1, min(q, 100)) {
		e.quant = newQuantTables(q)
	}
	m := &e.img
	v := imageYCbCr420{y: m.Y, cb: m.Cb, cr: m.Cr, yStride: m.YStride, cStride: m.CStride, w: m.Rect.Dx(), h: m.Rect.Dy()}
	b := appendJPEG(make([]byte, 0, e.lastLen+e.lastLen/8+1024), &v, e.quant)
	e.lastLen = len(b)
	return b, nil
}

// EncodeImage appends the JPEG of m, a 4:2:0 picture, to dst. It is how a
// picture drawn in YCbCr (a test pattern, a "no signal" card) is encoded
// without image/jpeg's conversion to 4:4:4 and back.
func (e *Encoder) EncodeImage(dst []byte, m *image.YCbCr) ([]byte, error) {
	r := m.Rect
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return dst, fmt.Errorf("jpegenc: %v pictures are not supported, only 4:2:0", m.SubsampleRatio)
	}
	if r.Empty() || r.Dx() > 65535 || r.Dy() > 65535 {
		return dst, fmt.Errorf("jpegenc: cannot encode a %dx%d picture", r.Dx(), r.Dy())
	}
	q := e.Quality
	if q == 0 {
		q = DefaultQuality
	}
	if e.quant == nil || e.quant.quality != max(1, min(q, 100)) {
		e.quant = newQuantTables(q)
	}
	v := imageYCbCr420{y: m.Y[m.YOffset(r.Min.X, r.Min.Y):], cb: m.Cb[m.COffset(r.Min.X, r.Min.Y):],
		cr: m.Cr[m.COffset(r.Min.X, r.Min.Y):], yStride: m.YStride, cStride: m.CStride, w: r.Dx(), h: r.Dy()}
	return appendJPEG(dst, &v, e.quant), nil
}

// Image returns the 4:2:0 image the last Convert (or Encode) produced. It is
// overwritten by the next call.
func (e *Encoder) Image() *image.YCbCr { return &e.img }

// Convert turns one raw frame into the Encoder's 4:2:0 image (see Image)
// without compressing it.
func (e *Encoder) Convert(raw []byte, f Format, width, height, stride int) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("jpegenc: bad size %dx%d", width, height)
	}
	need := MinLen(f, width, height, stride)
	if need == 0 {
		return fmt.Errorf("jpegenc: unknown format %v", f)
	}
	if len(raw) < need {
		return fmt.Errorf("%w: %d bytes, %v %dx%d needs %d", ErrShortFrame, len(raw), f, width, height, need)
	}
	e.prepare(width, height)
	switch f {
	case YUYV:
		if stride == 0 {
			stride = 4 * ((width + 1) / 2)
		}
		e.packed422(raw, width, height, stride, 0, 1, 3)
	case UYVY:
		if stride == 0 {
			stride = 4 * ((width + 1) / 2)
		}
		e.packed422(raw, width, height, stride, 1, 0, 2)
	case NV12:
		if stride == 0 {
			stride = width
		}
		e.nv12(raw, width, height, stride)
	case YU12, YV12:
		if stride == 0 {
			stride = width
		}
		e.planar(raw, width, height, stride, f == YV12)
	}
	return nil
}

// prepare sizes the reused image for width x height at 4:2:0.
func (e *Encoder) prepare(width, height int) {
	cw, ch := (width+1)/2, (height+1)/2
	if e.img.Rect.Dx() == width && e.img.Rect.Dy() == height {
		return
	}
	e.img = image.YCbCr{
		Y:              make([]byte, width*height),
		Cb:             make([]byte, cw*ch),
		Cr:             make([]byte, cw*ch),
		YStride:        width,
		CStride:        cw,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, width, height),
	}
}

// packed422 converts YUYV-like frames: yOff is the offset of the first luma
// byte in a 4-byte group, cbOff and crOff those of the chroma bytes. Chroma
// of two lines is averaged into one 4:2:0 line.
func (e *Encoder) packed422(raw []byte, width, height, stride, yOff, cbOff, crOff int) {
	m := &e.img
	cw := (width + 1) / 2
	lw := 4 * cw
	for row := 0; row < height; row += 2 {
		l0 := raw[row*stride : row*stride+lw]
		l1 := l0
		y0 := m.Y[row*width : row*width+width]
		for x := range y0 {
			y0[x] = l0[2*x+yOff]
		}
		if row+1 < height {
			l1 = raw[(row+1)*stride : (row+1)*stride+lw]
			y1 := m.Y[(row+1)*width : (row+1)*width+width]
			for x := range y1 {
				y1[x] = l1[2*x+yOff]
			}
		}
		cb := m.Cb[row/2*cw : row/2*cw+cw]
		cr := m.Cr[row/2*cw : row/2*cw+cw]
		for i := range cb {
			cb[i] = uint8((uint16(l0[4*i+cbOff]) + uint16(l1[4*i+cbOff]) + 1) >> 1)
			cr[i] = uint8((uint16(l0[4*i+crOff]) + uint16(l1[4*i+crOff]) + 1) >> 1)
		}
	}
}

// nv12 copies the luma plane and splits the interleaved chroma plane.
func (e *Encoder) nv12(raw []byte, width, height, stride int) {
	m := &e.img
	for row := 0; row < height; row++ {
		copy(m.Y[row*width:row*width+width], raw[row*stride:])
	}
	uv := raw[stride*height:]
	cw, ch := (width+1)/2, (height+1)/2
	for row := 0; row < ch; row++ {
		l := uv[row*stride : row*stride+2*cw]
		cb := m.Cb[row*cw : row*cw+cw]
		cr := m.Cr[row*cw : row*cw+cw]
		for i := range cw {
			cb[i] = l[2*i]
			cr[i] = l[2*i+1]
		}
	}
}

// planar copies the three planes; swap is true for YV12 (Cr before Cb).
func (e *Encoder) planar(raw []byte, width, height, stride int, swap bool) {
	m := &e.img
	for row := 0; row < height; row++ {
		copy(m.Y[row*width:row*width+width], raw[row*stride:])
	}
	cw, ch, cs := (width+1)/2, (height+1)/2, stride/2
	p1 := raw[stride*height:]
	p2 := p1[cs*ch:]
	cb, cr := m.Cb, m.Cr
	if swap {
		cb, cr = cr, cb
	}
	for row := 0; row < ch; row++ {
		copy(cb[row*cw:row*cw+cw], p1[row*cs:])
		copy(cr[row*cw:row*cw+cw], p2[row*cs:])
	}
}
