package mjpeg

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// encodeTestJPEG returns a small colour JPEG made by image/jpeg, which always
// writes exactly the Annex K tables in one DHT segment.
func encodeTestJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 48; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 7), uint8(x * y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stripDHT removes every DHT segment before the first scan, as a UVC webcam
// would send the frame.
func stripDHT(t *testing.T, b []byte) []byte {
	t.Helper()
	out := append([]byte(nil), b[:2]...)
	p := 2
	for b[p+1] != markerSOS {
		n := int(b[p+2])<<8 | int(b[p+3])
		if b[p+1] != markerDHT {
			out = append(out, b[p:p+2+n]...)
		}
		p += 2 + n
	}
	return append(out, b[p:]...)
}

func TestStandardDHTMatchesImageJPEG(t *testing.T) {
	b := encodeTestJPEG(t)
	i := bytes.Index(b, []byte{0xFF, markerDHT})
	if i < 0 {
		t.Fatal("image/jpeg wrote no DHT")
	}
	n := int(b[i+2])<<8 | int(b[i+3])
	if got := b[i : i+2+n]; !bytes.Equal(got, standardDHT) {
		t.Fatalf("standard DHT (%d bytes) differs from image/jpeg's (%d bytes)", len(standardDHT), len(got))
	}
	if len(standardDHT) != 420 {
		t.Errorf("standard DHT is %d bytes, want 420", len(standardDHT))
	}
}

func TestAppendWithDHT(t *testing.T) {
	orig := encodeTestJPEG(t)
	noDHT := stripDHT(t, orig)
	if _, err := jpeg.Decode(bytes.NewReader(noDHT)); err == nil {
		t.Fatal("a JPEG without DHT decoded; the test proves nothing")
	}
	want, err := jpeg.Decode(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []byte
		has     bool
		grownBy int
	}{
		{"without DHT", noDHT, false, len(standardDHT)},
		{"with DHT", orig, true, 0},
		{"not a JPEG", []byte("hello, world"), true, 0},
		{"truncated header", noDHT[:20], true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, has, ok := dhtInsertAt(tt.in); (has || !ok) != tt.has {
				t.Errorf("has DHT = %v, want %v", has || !ok, tt.has)
			}
			prefix := []byte("prefix")
			out := AppendWithDHT(append([]byte(nil), prefix...), tt.in)
			if !bytes.HasPrefix(out, prefix) {
				t.Fatal("dst's bytes were not kept")
			}
			out = out[len(prefix):]
			if len(out) != len(tt.in)+tt.grownBy {
				t.Fatalf("appended %d bytes, want %d", len(out), len(tt.in)+tt.grownBy)
			}
			if tt.grownBy == 0 {
				if !bytes.Equal(out, tt.in) {
					t.Fatal("bytes changed")
				}
				return
			}
			if n, err := FrameLen(out); err != nil || n != len(out) {
				t.Fatalf("FrameLen = %d, %v; want %d", n, err, len(out))
			}
			got, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("decoding after insertion: %v", err)
			}
			if !samePixels(got, want) {
				t.Fatal("pixels differ from the original JPEG's")
			}
		})
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}
