package jpegenc

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

// segment returns the first marker segment of kind m in a JPEG.
func segment(t *testing.T, b []byte, m byte) []byte {
	t.Helper()
	for p := 2; p+4 <= len(b); {
		n := int(b[p+2])<<8 | int(b[p+3])
		if b[p+1] == m {
			return b[p : p+2+n]
		}
		if b[p+1] == 0xDA {
			break
		}
		p += 2 + n
	}
	t.Fatalf("no segment FF %02X", m)
	return nil
}

// psnr compares the luma of a decoded JPEG with the picture's.
func psnr(t *testing.T, b []byte, want *image.YCbCr) float64 {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	got, ok := img.(*image.YCbCr)
	if !ok || got.Rect != want.Rect || got.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("decoded %T %v, want 4:2:0 %v", img, img.Bounds(), want.Rect)
	}
	var sum float64
	w, h := want.Rect.Dx(), want.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := float64(got.Y[y*got.YStride+x]) - float64(want.Y[y*want.YStride+x])
			sum += d * d
		}
	}
	if sum == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/(sum/float64(w*h)))
}

// TestBaselineAgainstImageJPEG checks the encoder against image/jpeg at the
// same quality: the same quantization tables, a picture as faithful.
func TestBaselineAgainstImageJPEG(t *testing.T) {
	tests := []struct{ w, h, quality int }{
		{320, 240, 80},
		{320, 240, 50},
		{320, 240, 100},
		{320, 240, 10},
		{33, 17, 80}, // partial MCUs
		{1, 1, 80},
		{648, 486, 75},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d_q%d", tt.w, tt.h, tt.quality), func(t *testing.T) {
			pic := testPicture(tt.w, tt.h)
			e := Encoder{Quality: tt.quality}
			ours, err := e.Encode(rawFrom(pic, YU12, 0), YU12, tt.w, tt.h, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ref bytes.Buffer
			if err := jpeg.Encode(&ref, pic, &jpeg.Options{Quality: tt.quality}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(segment(t, ours, 0xDB), segment(t, ref.Bytes(), 0xDB)) {
				t.Error("quantization tables differ from image/jpeg's at the same quality")
			}
			if !bytes.Equal(segment(t, ours, 0xC4), segment(t, ref.Bytes(), 0xC4)) {
				t.Error("Huffman tables differ from image/jpeg's")
			}
			p, pref := psnr(t, ours, pic), psnr(t, ref.Bytes(), pic)
			t.Logf("PSNR %.2f dB (image/jpeg %.2f dB), %d bytes (image/jpeg %d)", p, pref, len(ours), ref.Len())
			if p < pref-0.5 {
				t.Errorf("PSNR %.2f dB, image/jpeg gets %.2f dB", p, pref)
			}
		})
	}
}

func TestBitWriterStuffing(t *testing.T) {
	var w bitWriter
	w.put(0xFFFF, 16)
	w.put(0x7F, 7) // with the 1-bit padding: another 0xFF
	w.flush()
	want := []byte{0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00}
	if !bytes.Equal(w.buf, want) {
		t.Fatalf("% X, want % X", w.buf, want)
	}
	w = bitWriter{}
	w.put(0x12FF34FF, 32)
	w.flush()
	if want := []byte{0x12, 0xFF, 0x00, 0x34, 0xFF, 0x00}; !bytes.Equal(w.buf, want) {
		t.Fatalf("% X, want % X", w.buf, want)
	}
}

func TestEncodeImage(t *testing.T) {
	pic := testPicture(96, 64)
	e := Encoder{Quality: 80}
	prefix := []byte("kept")
	b, err := e.EncodeImage(append([]byte(nil), prefix...), pic)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, prefix) {
		t.Fatal("EncodeImage did not append to dst")
	}
	var ref bytes.Buffer
	jpeg.Encode(&ref, pic, &jpeg.Options{Quality: 80})
	if p, pref := psnr(t, b[len(prefix):], pic), psnr(t, ref.Bytes(), pic); p < pref-0.5 {
		t.Errorf("PSNR %.2f dB, image/jpeg gets %.2f dB", p, pref)
	}

	// A sub-picture starts where its rectangle does, not at the planes' start.
	sub := pic.SubImage(image.Rect(32, 16, 80, 48)).(*image.YCbCr)
	b, err = e.EncodeImage(nil, sub)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got := img.(*image.YCbCr)
	if got.Rect.Dx() != 48 || got.Rect.Dy() != 32 {
		t.Fatalf("sub-picture decoded as %v", got.Rect)
	}
	if d := int(got.Y[10*got.YStride+10]) - int(sub.Y[sub.YOffset(42, 26)]); d < -12 || d > 12 {
		t.Errorf("sub-picture's pixel (10,10) is %d off", d)
	}

	for _, bad := range []*image.YCbCr{
		image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio444),
		image.NewYCbCr(image.Rect(0, 0, 0, 8), image.YCbCrSubsampleRatio420),
	} {
		if _, err := e.EncodeImage(nil, bad); err == nil {
			t.Errorf("%v %v: no error", bad.SubsampleRatio, bad.Rect)
		}
	}
}
