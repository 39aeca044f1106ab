package mjpeg_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// cameraFrame encodes a 640x480 picture that compresses like a camera
// frame: about 45 KB at quality 75.
func cameraFrame(tb testing.TB, seed uint64) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			n := uint8(rng.IntN(24))
			img.SetRGBA(x, y, color.RGBA{uint8(x/3) + n, uint8(y/2) + n, uint8((x+y)/5) + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// loopReader returns data over and over, at most chunk bytes per Read.
type loopReader struct {
	data  []byte
	off   int
	chunk int
}

func (r *loopReader) Read(p []byte) (int, error) {
	if len(p) > r.chunk {
		p = p[:r.chunk]
	}
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

func BenchmarkSplitter(b *testing.B) {
	var frames [][]byte
	for i := range 4 {
		frames = append(frames, cameraFrame(b, uint64(i)))
	}
	stream := concat(frames...)
	avg := len(stream) / len(frames)
	for _, chunk := range []int{1, 4096, 65536, 1 << 20} {
		b.Run("read="+strconv.Itoa(chunk), func(b *testing.B) {
			b.SetBytes(int64(avg))
			b.ReportAllocs()
			s := newSplitter(&loopReader{data: stream, chunk: chunk}, 0)
			for b.Loop() {
				if _, err := s.Next(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(avg), "B/frame")
		})
	}
}

func BenchmarkFrameLen(b *testing.B) {
	f := cameraFrame(b, 1)
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := mjpeg.FrameLen(f); err != nil || n != len(f) {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkAppendPartHeader(b *testing.B) {
	f := mjpeg.Frame{Data: make([]byte, 45000), Time: time.Now()}
	buf := make([]byte, 0, mjpeg.PartHeaderMaxLen)
	b.ReportAllocs()
	for b.Loop() {
		buf = mjpeg.AppendPartHeader(buf[:0], f)
	}
}

func BenchmarkReader(b *testing.B) {
	var frames [][]byte
	for i := range 4 {
		frames = append(frames, cameraFrame(b, uint64(i)))
	}
	avg := len(concat(frames...)) / len(frames)
	for _, mode := range []string{"Content-Length", "boundary"} {
		b.Run(mode, func(b *testing.B) {
			var stream bytes.Buffer
			stream.WriteString("--b\r\n")
			for _, f := range frames {
				if mode == "Content-Length" {
					stream.WriteString("Content-Type: image/jpeg\r\nContent-Length: " + strconv.Itoa(len(f)) + "\r\n\r\n")
				} else {
					stream.WriteString("Content-Type: image/jpeg\r\n\r\n")
				}
				stream.Write(f)
				stream.WriteString("\r\n--b\r\n")
			}
			// Looping the stream after its opening boundary keeps it valid.
			data := stream.Bytes()
			r := mjpeg.NewReader(&loopReader{data: data, chunk: 65536}, "b")
			b.SetBytes(int64(avg))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.NextPart(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
