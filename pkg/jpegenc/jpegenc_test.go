package jpegenc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"testing"
)

// testPicture returns a 4:2:0 picture with smooth gradients, colour bars and
// fine texture, whose chroma is constant over each 2x2 block so that
// converting to and from 4:2:2 is exact.
func testPicture(width, height int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			v := x*255/width/2 + y*255/height/2
			if y > height/2 && (x/3+y/2)%5 == 0 { // texture in the lower half
				v = 255 - v
			}
			m.Y[y*m.YStride+x] = uint8(v)
		}
	}
	for y := 0; y < (height+1)/2; y++ {
		for x := 0; x < (width+1)/2; x++ {
			bar := x * 16 / ((width + 1) / 2)
			m.Cb[y*m.CStride+x] = uint8(bar*15 + y%7)
			m.Cr[y*m.CStride+x] = uint8(255 - bar*13 - x%5)
		}
	}
	return m
}

// rawFrom lays the picture out in format f with stride (0 means packed),
// padding every line with 0xEE bytes.
func rawFrom(m *image.YCbCr, f Format, stride int) []byte {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	switch f {
	case YUYV, UYVY:
		if stride == 0 {
			stride = 4 * cw
		}
		raw := bytes.Repeat([]byte{0xEE}, stride*h)
		for y := 0; y < h; y++ {
			l := raw[y*stride:]
			for i := 0; i < cw; i++ {
				y0 := m.Y[y*m.YStride+2*i]
				y1 := y0
				if 2*i+1 < w {
					y1 = m.Y[y*m.YStride+2*i+1]
				}
				cb, cr := m.Cb[y/2*m.CStride+i], m.Cr[y/2*m.CStride+i]
				g := []byte{y0, cb, y1, cr}
				if f == UYVY {
					g = []byte{cb, y0, cr, y1}
				}
				copy(l[4*i:], g)
			}
		}
		return raw
	case NV12:
		if stride == 0 {
			stride = w
		}
		raw := bytes.Repeat([]byte{0xEE}, stride*h+stride*ch)
		for y := 0; y < h; y++ {
			copy(raw[y*stride:], m.Y[y*m.YStride:y*m.YStride+w])
		}
		for y := 0; y < ch; y++ {
			l := raw[stride*h+y*stride:]
			for i := 0; i < cw; i++ {
				l[2*i], l[2*i+1] = m.Cb[y*m.CStride+i], m.Cr[y*m.CStride+i]
			}
		}
		return raw
	default: // YU12, YV12
		if stride == 0 {
			stride = w
		}
		cs := stride / 2
		raw := bytes.Repeat([]byte{0xEE}, stride*h+2*cs*ch)
		for y := 0; y < h; y++ {
			copy(raw[y*stride:], m.Y[y*m.YStride:y*m.YStride+w])
		}
		p1, p2 := m.Cb, m.Cr
		if f == YV12 {
			p1, p2 = p2, p1
		}
		for y := 0; y < ch; y++ {
			copy(raw[stride*h+y*cs:], p1[y*m.CStride:y*m.CStride+cw])
			copy(raw[stride*h+cs*ch+y*cs:], p2[y*m.CStride:y*m.CStride+cw])
		}
		return raw
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		f             Format
		width, height int
		stride        int
	}{
		{YUYV, 64, 48, 0},
		{YUYV, 64, 48, 160},
		{YUYV, 33, 17, 0},
		{UYVY, 64, 48, 0},
		{NV12, 64, 48, 0},
		{NV12, 62, 30, 64},
		{YU12, 64, 48, 0},
		{YU12, 64, 48, 96},
		{YV12, 64, 48, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v_%dx%d_stride%d", tt.f, tt.width, tt.height, tt.stride), func(t *testing.T) {
			want := testPicture(tt.width, tt.height)
			raw := rawFrom(want, tt.f, tt.stride)
			var e Encoder
			if err := e.Convert(raw, tt.f, tt.width, tt.height, tt.stride); err != nil {
				t.Fatal(err)
			}
			got := e.Image()
			if got.Rect != want.Rect || !bytes.Equal(got.Y, want.Y) || !bytes.Equal(got.Cb, want.Cb) || !bytes.Equal(got.Cr, want.Cr) {
				t.Fatal("converted planes differ from the picture")
			}
			if err := e.Convert(raw[:MinLen(tt.f, tt.width, tt.height, tt.stride)-1], tt.f, tt.width, tt.height, tt.stride); !errors.Is(err, ErrShortFrame) {
				t.Fatalf("one byte short: %v, want ErrShortFrame", err)
			}
		})
	}
}

func TestEncodeDecodes(t *testing.T) {
	pic := testPicture(320, 240)
	raw := rawFrom(pic, YUYV, 0)
	e := Encoder{Quality: 90}
	var prev []byte
	for i := 0; i < 2; i++ { // the second run reuses the buffers
		b, err := e.Encode(raw, YUYV, 320, 240, 0)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != pic.Rect {
			t.Fatalf("decoded %v, want %v", img.Bounds(), pic.Rect)
		}
		d := img.(*image.YCbCr)
		var sum, n int
		for y := 0; y < 240; y++ {
			for x := 0; x < 320; x++ {
				diff := int(d.Y[y*d.YStride+x]) - int(pic.Y[y*pic.YStride+x])
				sum += diff * diff
				n++
			}
		}
		if mse := float64(sum) / float64(n); mse > 40 {
			t.Errorf("luma mean squared error %.1f at quality 90", mse)
		}
		if prev != nil && !bytes.Equal(prev, b) {
			t.Error("the same frame encoded twice differs")
		}
		prev = b
	}
}
