package server

import (
	"io"
	"testing"

	"github.com/framecast/framecast/internal/fake"
)

// BenchmarkViewerWrite measures one viewer's write of one frame to a
// loopback socket whose reader keeps up: the part header, the JPEG and the
// trailer in one writev. It allocates nothing.
func BenchmarkViewerWrite(b *testing.B) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"640x480", 640, 480}, {"1280x720", 1280, 720}} {
		b.Run(size.name, func(b *testing.B) {
			data := fake.JPEG(size.w, size.h, 1)
			hdr := []byte("Content-Type: image/jpeg\r\nContent-Length: 45000\r\nX-Timestamp: 1732500000.123456\r\n\r\n")
			srv, cli := socketPair(b)
			go io.Copy(io.Discard, cli)
			p := newConnWriter(b, srv)
			b.SetBytes(int64(len(hdr) + len(data) + len(trailer)))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.part(hdr, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
