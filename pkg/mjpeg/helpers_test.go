package mjpeg_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// makeJPEG encodes a w×h picture (a gradient with noise, so that the
// entropy-coded data holds stuffed 0xFF bytes) at the given quality.
func makeJPEG(tb testing.TB, w, h, quality int, seed uint64) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(64))
			img.SetRGBA(x, y, color.RGBA{uint8(x*255/w) ^ n, uint8(y*255/h) + n, uint8(x+y) | n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// readTestdata returns a file of testdata.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// withEXIF returns jpg with an APP1 EXIF segment right after its SOI whose
// IFD1 carries thumb as the EXIF thumbnail, the way cameras store it.
func withEXIF(jpg, thumb []byte) []byte {
	be := binary.BigEndian
	var tiff []byte
	tiff = append(tiff, "MM\x00\x2a"...)
	tiff = be.AppendUint32(tiff, 8) // IFD0 offset
	// IFD0: no entries, then the offset of IFD1.
	tiff = be.AppendUint16(tiff, 0)
	tiff = be.AppendUint32(tiff, 14)
	// IFD1: JPEGInterchangeFormat and JPEGInterchangeFormatLength.
	thumbOff := uint32(14 + 2 + 2*12 + 4)
	tiff = be.AppendUint16(tiff, 2)
	tiff = appendIFDEntry(tiff, 0x0201, thumbOff)
	tiff = appendIFDEntry(tiff, 0x0202, uint32(len(thumb)))
	tiff = be.AppendUint32(tiff, 0)
	tiff = append(tiff, thumb...)

	seg := []byte{0xFF, 0xE1, 0, 0}
	seg = append(seg, "Exif\x00\x00"...)
	seg = append(seg, tiff...)
	be.PutUint16(seg[2:], uint16(len(seg)-2))

	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func appendIFDEntry(b []byte, tag uint16, v uint32) []byte {
	be := binary.BigEndian
	b = be.AppendUint16(b, tag)
	b = be.AppendUint16(b, 4) // LONG
	b = be.AppendUint32(b, 1)
	return be.AppendUint32(b, v)
}

// withFill returns jpg with fill bytes (extra 0xFF) before every marker
// after the SOI, in the headers and in the scan data alike. jpg must be a
// well-formed JPEG.
func withFill(jpg []byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	fill := []byte{0xFF, 0xFF, 0xFF}
	p := 2
	for p < len(jpg) {
		m := jpg[p+1]
		out = append(out, fill...)
		if m == 0xD9 || (m >= 0xD0 && m <= 0xD7) {
			out = append(out, jpg[p:p+2]...)
			p += 2
		} else {
			end := p + 2 + int(binary.BigEndian.Uint16(jpg[p+2:]))
			out = append(out, jpg[p:end]...)
			p = end
		}
		if m == 0xDA || (m >= 0xD0 && m <= 0xD7) {
			// Copy scan data up to the next marker that is not FF 00.
			for p < len(jpg) && (jpg[p] != 0xFF || jpg[p+1] == 0x00) {
				out = append(out, jpg[p])
				p++
			}
		}
	}
	return out
}

// chunkReader returns its data in chunks of random sizes from 1 to max.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
	max  int
}

func newChunkReader(data []byte, seed uint64, max int) *chunkReader {
	return &chunkReader{data: data, rng: rand.New(rand.NewPCG(seed, 2)), max: max}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+r.rng.IntN(r.max), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// partWriter writes frames as framecast serves them: the opening boundary
// once, then per frame its header block, its JPEG and the part trailer.
type partWriter struct {
	w        io.Writer
	boundary string
	opened   bool
}

func newPartWriter(w io.Writer, boundary string) *partWriter {
	return &partWriter{w: w, boundary: boundary}
}

func (p *partWriter) WriteFrame(f mjpeg.Frame) error {
	var b []byte
	if !p.opened {
		b = mjpeg.OpeningBoundary(p.boundary)
		p.opened = true
	}
	b = append(mjpeg.AppendPartHeader(b, f), f.Data...)
	_, err := p.w.Write(append(b, mjpeg.PartTrailer(p.boundary)...))
	return err
}

// newSplitter is mjpeg.NewSplitter with a counter of dropped frames.
func newSplitter(r io.Reader, maxFrameSize int) *mjpeg.Splitter {
	s := mjpeg.NewSplitter(r, maxFrameSize)
	s.Drops = new(atomic.Int64)
	return s
}
