package picture_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/picture"
)

func TestNewIsBlack(t *testing.T) {
	img := picture.New(5, 3)
	if got := img.Bounds(); got != image.Rect(0, 0, 5, 3) {
		t.Fatalf("bounds %v", got)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Fatalf("subsampling %v, want 4:2:0", img.SubsampleRatio)
	}
	if r, g, b, _ := img.At(4, 2).RGBA(); r>>8 > 1 || g>>8 > 1 || b>>8 > 1 {
		t.Fatalf("new picture not black: %d %d %d", r>>8, g>>8, b>>8)
	}
}

func TestFill(t *testing.T) {
	c := picture.RGB(200, 40, 40)
	tests := []struct {
		name    string
		r       image.Rectangle
		inside  []image.Point
		outside []image.Point
	}{
		{"even edges", image.Rect(2, 2, 6, 6), []image.Point{{2, 2}, {5, 5}}, []image.Point{{1, 1}, {6, 6}, {0, 9}}},
		{"odd edges", image.Rect(3, 3, 7, 5), []image.Point{{3, 3}, {6, 4}}, []image.Point{{2, 3}, {7, 4}, {3, 5}}},
		{"past the edges", image.Rect(-5, -5, 4, 3), []image.Point{{0, 0}, {3, 2}}, []image.Point{{4, 3}, {9, 9}}},
		{"wholly outside", image.Rect(20, 20, 30, 30), nil, []image.Point{{0, 0}, {9, 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := picture.New(10, 10)
			picture.Fill(img, tt.r, c)
			for _, p := range tt.inside {
				if got := img.YCbCrAt(p.X, p.Y); got.Y != c.Y || got.Cb != c.Cb || got.Cr != c.Cr {
					t.Errorf("at %v got %v, want %v", p, got, c)
				}
			}
			for _, p := range tt.outside {
				if got := img.Y[img.YOffset(p.X, p.Y)]; got != 0 {
					t.Errorf("luma at %v = %d, want untouched 0", p, got)
				}
			}
		})
	}
}

func TestTextDrawsInsideItsCells(t *testing.T) {
	for _, scale := range []int{1, 2, 3} {
		img := picture.New(100, 60)
		picture.Text(img, 10, 20, scale, "Hi\u2603", picture.Gray(255))
		cells := image.Rect(10, 20, 10+picture.TextWidth("Hi\u2603", scale), 20+picture.LineHeight(scale))
		lit := make([]int, 3)
		for y := range 60 {
			for x := range 100 {
				if img.Y[img.YOffset(x, y)] == 0 {
					continue
				}
				p := image.Pt(x, y)
				if !p.In(cells) {
					t.Fatalf("scale %d: pixel %v lit outside %v", scale, p, cells)
				}
				lit[(x-10)/(picture.GlyphAdvance*scale)]++
			}
		}
		for i, n := range lit {
			if n == 0 {
				t.Errorf("scale %d: glyph %d drew nothing (runes outside ASCII draw a box)", scale, i)
			}
		}
	}
}

func TestTextClips(t *testing.T) {
	img := picture.New(17, 15)
	for _, p := range []image.Point{{-30, -5}, {10, 10}, {-1000, 0}, {0, 1000}, {16, 14}} {
		picture.Text(img, p.X, p.Y, 4, "clipped text", picture.Gray(255))
		picture.TextCentered(img, p.X, p.Y, 0, "scale zero", picture.Gray(255))
	}
}

func TestDisc(t *testing.T) {
	img := picture.New(40, 40)
	c := picture.RGB(250, 250, 250)
	picture.Disc(img, 20, 20, 8, c)
	if got := img.YCbCrAt(20, 20); got.Y != c.Y {
		t.Errorf("centre luma %d, want %d", got.Y, c.Y)
	}
	if got := img.Y[img.YOffset(2, 2)]; got != 0 {
		t.Errorf("corner luma %d, want untouched 0", got)
	}
	// The edge is anti-aliased: some pixel on the rim is partly covered.
	partial := false
	for x := 10; x < 20; x++ {
		if v := img.Y[img.YOffset(x, 20)]; v > 0 && v < c.Y {
			partial = true
		}
	}
	if !partial {
		t.Error("edge has no partly covered pixel")
	}
	// Partly or wholly outside: clipped, no panic.
	picture.Disc(img, -3, 39, 10, c)
	picture.Disc(img, 500, 500, 10, c)
	picture.Disc(img, 5, 5, 0, c)
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name    string
		w, h    int
		quality int
		wantErr bool
	}{
		{"vga", 640, 480, 80, false},
		{"default quality", 33, 17, 0, false},
		{"quality above 100", 8, 8, 1000, false},
		{"one pixel", 1, 1, 50, false},
		{"too wide", picture.MaxSize + 1, 1, 80, true},
		{"empty", 0, 0, 80, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := picture.New(tt.w, tt.h)
			prefix := []byte("keep")
			b, err := picture.Encode(prefix, img, tt.quality)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, prefix) {
				t.Fatal("dst was not appended to")
			}
			decodeSize(t, b[len(prefix):], tt.w, tt.h)
		})
	}
}

func TestNoSignal(t *testing.T) {
	tests := []struct {
		w, h  int
		since time.Duration
	}{
		{640, 480, 12 * time.Second},
		{1280, 720, -1},
		{1920, 1080, 3 * time.Hour},
		{320, 240, 0},
		{17, 15, time.Minute},
		{16, 16, -1},
		{1, 1, 0},
		{1000, 30, 0},
	}
	for _, tt := range tests {
		b, err := picture.NoSignal(tt.w, tt.h, 80, tt.since)
		if err != nil {
			t.Fatalf("%dx%d: %v", tt.w, tt.h, err)
		}
		decodeSize(t, b, tt.w, tt.h)
	}
}

func TestNoSignalBadSize(t *testing.T) {
	for _, s := range []image.Point{{0, 480}, {640, 0}, {-1, -1}, {picture.MaxSize + 1, 10}} {
		if _, err := picture.NoSignal(s.X, s.Y, 80, 0); err == nil {
			t.Errorf("%v: no error", s)
		}
	}
}

func TestNoSignalShowsText(t *testing.T) {
	b, err := picture.NoSignal(640, 480, 90, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// The card is dark; its centre band holds bright title pixels.
	bright := 0
	for y := 150; y < 330; y++ {
		for x := 100; x < 540; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r>>8 > 200 {
				bright++
			}
		}
	}
	if bright < 100 {
		t.Errorf("only %d bright pixels in the middle of the card", bright)
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s ago"},
		{0, "0s ago"},
		{999 * time.Millisecond, "0s ago"},
		{12 * time.Second, "12s ago"},
		{200 * time.Second, "3m 20s ago"},
		{2*time.Hour + 5*time.Minute + 9*time.Second, "2h 5m ago"},
		{76 * time.Hour, "3d 4h ago"},
	}
	for _, tt := range tests {
		if got := picture.Ago(tt.d); got != tt.want {
			t.Errorf("Ago(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestScaleFor(t *testing.T) {
	tests := []struct{ w, h, want int }{
		{17, 15, 1}, {320, 240, 1}, {640, 480, 2}, {1280, 720, 3},
		{1920, 1080, 4}, {3840, 2160, 9}, {100, 2160, 1},
	}
	for _, tt := range tests {
		if got := picture.ScaleFor(tt.w, tt.h); got != tt.want {
			t.Errorf("ScaleFor(%d, %d) = %d, want %d", tt.w, tt.h, got, tt.want)
		}
	}
}

func decodeSize(t *testing.T, b []byte, w, h int) {
	t.Helper()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode config: %v", err)
	}
	if cfg.Width != w || cfg.Height != h {
		t.Fatalf("JPEG is %dx%d, want %dx%d", cfg.Width, cfg.Height, w, h)
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("decode: %v", err)
	}
}
