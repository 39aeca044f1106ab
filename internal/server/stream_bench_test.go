package server

import (
	"io"
	"testing"
)

// BenchmarkViewerWrite measures one viewer's write of one frame to a
// loopback socket whose reader keeps up: the part header, the JPEG and the
// trailer in one writev. It allocates nothing.
func BenchmarkViewerWrite(b *testing.B) {
	// The frame sizes of docs/BENCHMARKS.md's footage; the bytes need not
	// be a JPEG to be written.
	for _, size := range []struct {
		name string
		n    int
	}{{"41KB", 41 << 10}, {"102KB", 102 << 10}} {
		b.Run(size.name, func(b *testing.B) {
			data := make([]byte, size.n)
			hdr := []byte("Content-Type: image/jpeg\r\nContent-Length: 41984\r\nX-Timestamp: 1732500000.123456\r\n\r\n")
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
