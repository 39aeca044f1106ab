package mjpeg_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log"
	"sync/atomic"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// tinyJPEG encodes a w×h black picture.
func tinyJPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// A Splitter cuts the output of a camera or of `ffmpeg -f mjpeg -` into
// frames; garbage between frames is skipped.
func ExampleSplitter() {
	stream := io.MultiReader(
		bytes.NewReader(tinyJPEG(64, 48)),
		bytes.NewReader([]byte("noise")),
		bytes.NewReader(tinyJPEG(32, 16)),
	)
	s := mjpeg.NewSplitter(stream, 0)
	var dropped atomic.Int64
	s.Drops = &dropped
	for {
		frame, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		w, h, _ := mjpeg.Size(frame)
		fmt.Printf("frame %dx%d\n", w, h)
	}
	fmt.Println("dropped frames:", dropped.Load())
	// Output:
	// frame 64x48
	// frame 32x16
	// dropped frames: 0
}

// A multipart/x-mixed-replace stream as framecast writes it: the opening
// boundary, then per frame its header block, its JPEG and the part
// trailer. A Reader reads it back.
func ExampleReader() {
	frame := mjpeg.Frame{Data: tinyJPEG(16, 16), Time: time.Unix(1732500000, 123456000)}
	var stream bytes.Buffer
	stream.Write(mjpeg.OpeningBoundary(mjpeg.Boundary))
	stream.Write(mjpeg.AppendPartHeader(nil, frame))
	stream.Write(frame.Data)
	stream.Write(mjpeg.PartTrailer(mjpeg.Boundary))
	fmt.Println("Content-Type:", mjpeg.ContentType(mjpeg.Boundary))

	boundary, _ := mjpeg.BoundaryFromContentType(mjpeg.ContentType(mjpeg.Boundary))
	r := mjpeg.NewReader(&stream, boundary)
	part, err := r.NextPart()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("X-Timestamp:", part.Header.Get("X-Timestamp"))
	fmt.Println("same JPEG:", bytes.Equal(part.Body, frame.Data))
	// Output:
	// Content-Type: multipart/x-mixed-replace;boundary=framecast
	// X-Timestamp: 1732500000.123456
	// same JPEG: true
}

// The hub renders a frame's part header once; every viewer then writes the
// header, the shared JPEG and the trailer in one vectored write.
func ExampleAppendPartHeader() {
	frame := mjpeg.Frame{Data: tinyJPEG(8, 8), Time: time.Unix(1732500000, 0)}
	header := mjpeg.AppendPartHeader(nil, frame)
	fmt.Printf("%q\n", header[:len("Content-Type: image/jpeg\r\n")])
	fmt.Printf("%q\n", mjpeg.PartTrailer(mjpeg.Boundary))
	// Output:
	// "Content-Type: image/jpeg\r\n"
	// "\r\n--framecast\r\n"
}
