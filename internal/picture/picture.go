// Package picture draws text and simple shapes straight into the planes of a
// 4:2:0 *image.YCbCr and encodes it as JPEG. The test pattern draws its
// frames with it, and the hub its "no signal" card.
//
// Drawing in Y'CbCr avoids an RGBA picture and its per-pixel conversion:
// image/jpeg encodes a *image.YCbCr as it is. Every function clips to the
// image's bounds, so nothing drawn partly or wholly outside it panics.
package picture

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"

	"github.com/framecast/framecast/pkg/jpegenc"
)

// DefaultQuality is the JPEG quality used when a quality of 0 or less is asked
// for.
const DefaultQuality = 80

// MaxSize is the largest width or height a JPEG picture can have here:
// image/jpeg refuses 65536 and more.
const MaxSize = 1<<16 - 1

// Color is a colour as the picture planes hold it: luma Y and chroma Cb, Cr
// (full-range, as JPEG uses).
type Color struct {
	Y, Cb, Cr uint8
}

// RGB returns the Color of an sRGB colour.
func RGB(r, g, b uint8) Color {
	y, cb, cr := color.RGBToYCbCr(r, g, b)
	return Color{y, cb, cr}
}

// Gray returns the neutral Color of luma y.
func Gray(y uint8) Color { return Color{y, 128, 128} }

// New returns a black 4:2:0 picture of the given size, with its top-left
// corner at (0, 0).
func New(width, height int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	// A zeroed Y'CbCr picture is dark green: set neutral chroma.
	fillBytes(img.Cb, 128)
	fillBytes(img.Cr, 128)
	return img
}

// Fill paints the rectangle r of img with c. Chroma is shared by 2x2 pixels,
// so a rectangle edge on an odd coordinate takes the colour one pixel beyond
// it (the last drawn wins).
func Fill(img *image.YCbCr, r image.Rectangle, c Color) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i := img.YOffset(r.Min.X, y)
		fillBytes(img.Y[i:i+r.Dx()], c.Y)
	}
	c0, n := chromaSpan(img, r.Min.X, r.Max.X)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		// Each chroma row covers two luma rows: paint it once.
		if y != r.Min.Y && !startsChromaRow(img, y) {
			continue
		}
		i := img.COffset(c0, y)
		fillBytes(img.Cb[i:i+n], c.Cb)
		fillBytes(img.Cr[i:i+n], c.Cr)
	}
}

// Disc paints a disc of radius r centred on (cx, cy) (in pixels, where pixel
// (x, y) spans x..x+1) with c, anti-aliasing its edge against what is below.
func Disc(img *image.YCbCr, cx, cy, r float64, c Color) {
	if !(r > 0) {
		return
	}
	box := image.Rect(int(math.Floor(cx-r-1)), int(math.Floor(cy-r-1)),
		int(math.Ceil(cx+r+1)), int(math.Ceil(cy+r+1))).Intersect(img.Rect)
	if box.Empty() {
		return
	}
	for y := box.Min.Y; y < box.Max.Y; y++ {
		dy := float64(y) + 0.5 - cy
		row := img.Y[img.YOffset(box.Min.X, y):]
		for x := box.Min.X; x < box.Max.X; x++ {
			dx := float64(x) + 0.5 - cx
			a := coverage(math.Sqrt(dx*dx+dy*dy), r, 1)
			if a > 0 {
				p := &row[x-box.Min.X]
				*p = blend(*p, c.Y, a)
			}
		}
	}
	// Chroma samples are 2x2 pixels: blend them over a 2-pixel-wide edge.
	c0, n := chromaSpan(img, box.Min.X, box.Max.X)
	for y := box.Min.Y; y < box.Max.Y; y++ {
		if y != box.Min.Y && !startsChromaRow(img, y) {
			continue
		}
		// The centre of the chroma sample holding (x, y) is the corner
		// shared by its four pixels.
		sy := float64(y&^1) + 1 - cy
		i := img.COffset(c0, y)
		for k := range n {
			sx := float64((c0&^1)+2*k) + 1 - cx
			a := coverage(math.Sqrt(sx*sx+sy*sy), r, 2)
			if a > 0 {
				img.Cb[i+k] = blend(img.Cb[i+k], c.Cb, a)
				img.Cr[i+k] = blend(img.Cr[i+k], c.Cr, a)
			}
		}
	}
}

// Encode returns img as a baseline JPEG of the given quality (1 to 100; 0 or
// less means DefaultQuality, more than 100 means 100). The bytes are appended
// to dst, which may be nil; a dst with room for the result saves growing it.
func Encode(dst []byte, img image.Image, quality int) ([]byte, error) {
	if quality <= 0 {
		quality = DefaultQuality
	}
	if s := img.Bounds().Size(); s.X > MaxSize || s.Y > MaxSize {
		return dst, fmt.Errorf("picture: %dx%d is larger than JPEG allows (%d)", s.X, s.Y, MaxSize)
	}
	if img.Bounds().Empty() {
		return dst, errors.New("picture: cannot encode an empty picture")
	}
	if m, ok := img.(*image.YCbCr); ok && m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		// Same tables and quality as image/jpeg, at about twice its speed.
		e := jpegenc.Encoder{Quality: quality}
		return e.EncodeImage(dst, m)
	}
	w := appendWriter{dst}
	if err := jpeg.Encode(&w, img, &jpeg.Options{Quality: quality}); err != nil {
		return dst, fmt.Errorf("picture: %w", err)
	}
	return w.b, nil
}

// appendWriter collects bytes in a slice. Its Flush and WriteByte spare
// image/jpeg from wrapping it in a bufio.Writer that it would allocate anew
// for every picture.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *appendWriter) WriteByte(c byte) error      { w.b = append(w.b, c); return nil }
func (w *appendWriter) Flush() error                { return nil }

// chromaSpan returns the first luma column whose chroma sample covers x0,
// and how many chroma samples cover the columns x0 to x1-1 of img.
func chromaSpan(img *image.YCbCr, x0, x1 int) (c0, n int) {
	i := img.COffset(x0, img.Rect.Min.Y)
	j := img.COffset(x1-1, img.Rect.Min.Y)
	return x0, j - i + 1
}

// startsChromaRow reports whether luma row y is the first of the rows that
// share a chroma row.
func startsChromaRow(img *image.YCbCr, y int) bool {
	return y == img.Rect.Min.Y || img.COffset(img.Rect.Min.X, y) != img.COffset(img.Rect.Min.X, y-1)
}

// coverage returns how much of a pixel (or chroma sample, width w) at
// distance d from a disc's centre the disc of radius r covers, 0 to 1.
func coverage(d, r, w float64) float64 {
	a := (r-d)/w + 0.5
	return min(max(a, 0), 1)
}

// blend mixes a towards b by the fraction t.
func blend(a, b uint8, t float64) uint8 {
	return uint8(float64(a) + (float64(b)-float64(a))*t + 0.5)
}

func fillBytes(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	// Doubling copies fill long rows at memmove speed.
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}
