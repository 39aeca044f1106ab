package mjpeg_test

import (
	"bytes"
	"errors"
	"image/jpeg"
	"testing"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// validJPEGs returns well-formed JPEGs of many shapes, by name.
//
// testdata/*.jpg are 64x48 pictures of ffmpeg's testsrc2 source encoded by
// libjpeg-turbo's cjpeg: restart.jpg with -restart 1 (baseline, DRI and
// RST0-7), progressive.jpg with -progressive, progressive_restart.jpg with
// -progressive -restart 1 -optimize.
func validJPEGs(tb testing.TB) map[string][]byte {
	tb.Helper()
	small := makeJPEG(tb, 32, 24, 50, 1)
	return map[string][]byte{
		"tiny q10":         makeJPEG(tb, 8, 8, 10, 2),
		"odd 33x17 q90":    makeJPEG(tb, 33, 17, 90, 3),
		"320x240 q75":      makeJPEG(tb, 320, 240, 75, 4),
		"640x480 q100":     makeJPEG(tb, 640, 480, 100, 5),
		"exif thumbnail":   withEXIF(makeJPEG(tb, 160, 120, 80, 6), small),
		"fill bytes":       withFill(makeJPEG(tb, 64, 48, 80, 7)),
		"restart markers":  readTestdata(tb, "restart.jpg"),
		"progressive":      readTestdata(tb, "progressive.jpg"),
		"progressive fill": withFill(readTestdata(tb, "progressive.jpg")),
		// image/jpeg cannot decode this one (progressive with restart
		// intervals); libjpeg's djpeg can.
		"progressive restart": readTestdata(tb, "progressive_restart.jpg"),
	}
}

func TestValidJPEGsDecode(t *testing.T) {
	// The test inputs themselves must be real JPEGs.
	for name, b := range validJPEGs(t) {
		if name == "progressive restart" {
			continue
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: image/jpeg cannot decode the test input: %v", name, err)
		}
	}
}

func TestFrameLenValid(t *testing.T) {
	for name, b := range validJPEGs(t) {
		t.Run(name, func(t *testing.T) {
			n, err := mjpeg.FrameLen(b)
			if err != nil || n != len(b) {
				t.Fatalf("FrameLen = %d, %v; want %d, nil", n, err, len(b))
			}
			// Bytes after the EOI are not part of the frame.
			n, err = mjpeg.FrameLen(concat(b, []byte{0xFF, 0xD8, 0xFF, 0xD9, 1, 2}))
			if err != nil || n != len(b) {
				t.Fatalf("FrameLen with trailing bytes = %d, %v; want %d, nil", n, err, len(b))
			}
			// Every proper prefix is the start of a JPEG (for large frames,
			// the first and last 2000 and a sample in between).
			for i := 0; i < len(b); i++ {
				if i > 2000 && i < len(b)-2000 {
					i += 97
				}
				if _, err := mjpeg.FrameLen(b[:i]); err != mjpeg.ErrTruncated {
					t.Fatalf("FrameLen(first %d bytes) = %v; want ErrTruncated", i, err)
				}
			}
		})
	}
}

func TestFrameLenInvalid(t *testing.T) {
	good := makeJPEG(t, 16, 16, 75, 1)
	sos := bytes.Index(good, []byte{0xFF, 0xDA})
	sof := bytes.Index(good, []byte{0xFF, 0xC0})
	tests := []struct {
		name string
		b    []byte
	}{
		{"no SOI", []byte{0x00, 0xD8, 0xFF, 0xD9}},
		{"SOI second byte wrong", []byte{0xFF, 0xD9}},
		{"one byte not FF", []byte{0x12}},
		{"EOI without SOS", []byte{0xFF, 0xD8, 0xFF, 0xD9}},
		{"segment length 0", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00}},
		{"segment length 1", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9}},
		{"no marker after SOI", []byte{0xFF, 0xD8, 0x00, 0x00}},
		{"FF 00 in headers", []byte{0xFF, 0xD8, 0xFF, 0x00}},
		{"SOI in headers", []byte{0xFF, 0xD8, 0xFF, 0xD8, 0xFF, 0xD9}},
		{"SOS before SOF", concat(good[:sof], good[sos:])},
		{"garbage after segment", concat(good[:sos], []byte{0x12, 0x34}, good[sos:])},
		{"SOI in scan data", concat(good[:len(good)-2], []byte{0xFF, 0xD8}, good)},
		{"second SOF", concat(good[:sos], good[sof:sos], good[sos:])},
		{"SOF after scan", concat(good[:len(good)-2], good[sof:])},
		{"SOF length not 8+3*Nf", concat(good[:sof+3], []byte{good[sof+3] + 1}, good[sof+4:])},
		{"SOS length not 6+2*Ns", concat(good[:sos+3], []byte{good[sos+3] + 2}, good[sos+4:])},
		{"SOS with 0 components", concat(good[:sos], []byte{0xFF, 0xDA, 0x00, 0x06, 0x00, 0x00, 0x3F, 0x00}, good[sos+14:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := mjpeg.FrameLen(tt.b); err != mjpeg.ErrInvalid {
				t.Fatalf("FrameLen = %d, %v; want ErrInvalid", n, err)
			}
		})
	}
}

func TestFrameLenHandcrafted(t *testing.T) {
	// Minimal structures walked by markers alone: the entropy data is not
	// decoded, so stuffing, restart markers and fill bytes are what matter.
	head := []byte{
		0xFF, 0xD8,
		0xFF, 0xDD, 0x00, 0x04, 0x00, 0x01, // DRI
		0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 0x01, 0x11, 0x00, // SOF0 32x16
		0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, // SOS
	}
	tests := []struct {
		name string
		scan []byte
	}{
		{"plain", []byte{1, 2, 3, 0xFF, 0xD9}},
		{"stuffing", []byte{0xFF, 0x00, 0xFF, 0x00, 7, 0xFF, 0x00, 0xFF, 0xD9}},
		{"restarts", []byte{1, 0xFF, 0xD0, 2, 0xFF, 0xD1, 0xFF, 0x00, 0xFF, 0xD7, 0xFF, 0xD9}},
		{"fill before EOI", []byte{1, 0xFF, 0xFF, 0xFF, 0xD9}},
		{"fill before restart", []byte{1, 0xFF, 0xFF, 0xD0, 2, 0xFF, 0xD9}},
		// The COM segment's length covers the first FF D9.
		{"TEM and COM after scan", []byte{1, 0xFF, 0x01, 0xFF, 0xFE, 0x00, 0x04, 0xFF, 0xD9, 0xFF, 0xD9}},
		{"second scan", []byte{1, 0xFF, 0xC4, 0x00, 0x02, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 5, 0xFF, 0xD9}},
		{"empty scan", []byte{0xFF, 0xD9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := concat(head, tt.scan)
			want := len(b)
			n, err := mjpeg.FrameLen(concat(b, []byte{0xAA, 0xFF}))
			if err != nil || n != want {
				t.Fatalf("FrameLen = %d, %v; want %d, nil", n, err, want)
			}
			w, h, err := mjpeg.Size(b)
			if err != nil || w != 32 || h != 16 {
				t.Fatalf("Size = %d, %d, %v; want 32, 16, nil", w, h, err)
			}
		})
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		w, h int
	}{
		{"640x480", makeJPEG(t, 640, 480, 75, 1), 640, 480},
		{"33x17", makeJPEG(t, 33, 17, 75, 1), 33, 17},
		{"1x1", makeJPEG(t, 1, 1, 75, 1), 1, 1},
		{"exif thumbnail", withEXIF(makeJPEG(t, 160, 120, 80, 6), makeJPEG(t, 16, 12, 80, 6)), 160, 120},
		{"progressive SOF2", readTestdata(t, "progressive.jpg"), 64, 48},
		{"restart", readTestdata(t, "restart.jpg"), 64, 48},
		{"fill", withFill(makeJPEG(t, 50, 40, 75, 1)), 50, 40},
		// DHT (C4), JPG (C8) and DAC (CC) are not frame headers even
		// though they lie in the SOFn range.
		{"DHT DAC JPG first", []byte{
			0xFF, 0xD8,
			0xFF, 0xC4, 0x00, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x01,
			0xFF, 0xCC, 0x00, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x01,
			0xFF, 0xC8, 0x00, 0x08, 0x00, 0x11, 0x22, 0x33, 0x44, 0x01,
			0xFF, 0xC9, 0x00, 0x08, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01,
		}, 3, 2},
		{"SOF15 DNL height", []byte{0xFF, 0xD8, 0xFF, 0xCF, 0x00, 0x08, 0x08, 0x00, 0x00, 0x01, 0x00, 0x01}, 256, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h, err := mjpeg.Size(tt.b)
			if err != nil || w != tt.w || h != tt.h {
				t.Fatalf("Size = %d, %d, %v; want %d, %d, nil", w, h, err, tt.w, tt.h)
			}
		})
	}
}

func TestSizeErrors(t *testing.T) {
	good := makeJPEG(t, 16, 16, 75, 1)
	sof := bytes.Index(good, []byte{0xFF, 0xC0})
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, mjpeg.ErrTruncated},
		{"SOI only", good[:2], mjpeg.ErrTruncated},
		{"cut in SOF", good[:sof+6], mjpeg.ErrTruncated},
		{"not a JPEG", []byte("hello"), mjpeg.ErrInvalid},
		{"no SOF before SOS", []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02}, mjpeg.ErrInvalid},
		{"EOI first", []byte{0xFF, 0xD8, 0xFF, 0xD9}, mjpeg.ErrInvalid},
		{"short SOF", []byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x04, 0x08, 0x00, 0xFF, 0xD9}, mjpeg.ErrInvalid},
		{"zero width", []byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x08, 0x08, 0x00, 0x10, 0x00, 0x00, 0x01}, mjpeg.ErrInvalid},
		{"bad length", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01}, mjpeg.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w, h, err := mjpeg.Size(tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("Size = %d, %d, %v; want %v", w, h, err, tt.want)
			}
		})
	}
}
