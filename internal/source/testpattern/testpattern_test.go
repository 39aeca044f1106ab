package testpattern

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// collect runs s inside the current synctest bubble until it has emitted n
// frames, then cancels it and checks that it returns nil at once, without
// any (fake) time passing.
func collect(t *testing.T, s *Source, n int, emitHook func(mjpeg.Frame)) []mjpeg.Frame {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	frames := make(chan mjpeg.Frame, n)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(f mjpeg.Frame) {
			frames <- f
			if emitHook != nil {
				emitHook(f)
			}
		})
	}()
	var got []mjpeg.Frame
	for len(got) < n {
		select {
		case f := <-frames:
			got = append(got, f)
		case err := <-done:
			t.Fatalf("Run returned early after %d frames: %v", len(got), err)
		}
	}
	cancel()
	start := time.Now()
	synctest.Wait()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	default:
		t.Fatal("Run still running after ctx was cancelled and everything else blocked")
	}
	if !time.Now().Equal(start) {
		t.Fatal("Run waited for time to pass after cancel")
	}
	return got
}

func TestFramesDecodeAtSize(t *testing.T) {
	tests := []struct {
		w, h         int
		wantW, wantH int
	}{
		{0, 0, DefaultWidth, DefaultHeight},
		{1280, 720, 1280, 720},
		{17, 15, 17, 15},
		{16, 16, 16, 16},
		{1, 1, 1, 1},
		{333, 7, 333, 7},
		{7, 333, 7, 333},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d", tt.w, tt.h), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				frames := collect(t, &Source{Width: tt.w, Height: tt.h}, 2, nil)
				for _, f := range frames {
					img := decode(t, f.Data)
					if got := img.Bounds().Size(); got != image.Pt(tt.wantW, tt.wantH) {
						t.Fatalf("frame is %v, want %dx%d", got, tt.wantW, tt.wantH)
					}
				}
			})
		})
	}
}

func TestFramesMoveAndCount(t *testing.T) {
	for _, size := range []image.Point{{640, 480}, {1280, 720}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n = 6
				s := &Source{Width: size.X, Height: size.Y, FPS: 25, Quality: 70}
				frames := collect(t, s, n, nil)
				l := newLayout(size.X, size.Y)
				for i, f := range frames {
					if got := readCounter(l, decode(t, f.Data)); got != uint32(i+1) {
						t.Errorf("frame %d: counter strip reads %d, want %d", i, got, i+1)
					}
					if i == 0 {
						continue
					}
					prev := frames[i-1]
					if bytes.Equal(prev.Data, f.Data) {
						t.Errorf("frame %d is the same as the one before", i)
					}
					if &prev.Data[0] == &f.Data[0] {
						t.Errorf("frame %d shares its Data with the one before", i)
					}
					if want := prev.Time.Add(time.Second / 25); !f.Time.Equal(want) {
						t.Errorf("frame %d captured at %v, want one tick after the last, %v", i, f.Time, want)
					}
				}
			})
		})
	}
}

func TestRunSkipsTicksWhenBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := true
		// The first emit takes a whole second, as a stalled consumer or a
		// slow encoder would: about 30 ticks pass meanwhile.
		src := &Source{Width: 64, Height: 48, FPS: 30}
		frames := collect(t, src, 8, func(mjpeg.Frame) {
			if slow {
				slow = false
				time.Sleep(time.Second)
			}
		})
		tick := time.Second / 30
		immediate := 0
		for i := 2; i < len(frames); i++ {
			gap := frames[i].Time.Sub(frames[i-1].Time)
			if gap < tick/2 {
				immediate++
			}
		}
		// One pending tick may fire at once; queued ticks would fire many.
		if immediate > 1 {
			t.Errorf("%d frames came back to back after a slow one: ticks were queued, not skipped", immediate)
		}
		// The second frame came at the 30th tick: 29 frames were not made.
		if d := src.Dropped(); d != 29 {
			t.Errorf("Dropped = %d, want 29", d)
		}
	})
}

func TestRunCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := (&Source{}).Run(ctx, func(mjpeg.Frame) { t.Error("emitted after cancel") })
	if err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		s       *Source
		want    config
		wantErr bool
	}{
		{"defaults", &Source{}, config{640, 480, 30, 80, DefaultName}, false},
		{"set", &Source{Width: 1280, Height: 720, FPS: 60, Quality: 95, Name: "door"}, config{1280, 720, 60, 95, "door"}, false},
		{"8K", &Source{Width: 7680, Height: 4320}, config{7680, 4320, 30, 80, DefaultName}, false},
		{"negative width", &Source{Width: -1}, config{}, true},
		{"too high", &Source{Height: 1 << 16}, config{}, true},
		{"negative fps", &Source{FPS: -5}, config{}, true},
		{"fps too high", &Source{FPS: MaxFPS + 1}, config{}, true},
		{"quality too high", &Source{Quality: 101}, config{}, true},
		{"negative quality", &Source{Quality: -1}, config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.config()
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				if err := tt.s.Run(t.Context(), func(mjpeg.Frame) {}); err == nil {
					t.Fatal("Run accepted it")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("config() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// The clock, counter and moving parts sit inside the picture at every size
// up to 8K (only the layout is checked there: a whole 8K frame is not cheap).
func TestLayoutFits(t *testing.T) {
	for _, s := range []image.Point{{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}, {3840, 2160}, {7680, 4320}} {
		l := newLayout(s.X, s.Y)
		frame := image.Rect(0, 0, s.X, s.Y)
		if !l.code.In(frame) || l.code.Max.Y > s.Y {
			t.Errorf("%v: counter strip %v outside the picture", s, l.code)
		}
		if l.nameY < l.panel.Min.Y {
			t.Errorf("%v: text starts at %d, above the panel %v", s, l.nameY, l.panel)
		}
	}
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("frame does not decode: %v", err)
	}
	return img
}

// readCounter reads the binary counter strip of a decoded frame.
func readCounter(l layout, img image.Image) uint32 {
	var n uint32
	for i := range counterBits {
		r := l.cellRect(i)
		c := image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
		if y, _, _, _ := img.At(c.X, c.Y).RGBA(); y>>8 > 140 {
			n |= 1 << i
		}
	}
	return n
}

// BenchmarkFrame measures drawing and encoding one frame, the whole cost of
// a frame in Run. Measure on one core with
//
//	GOMAXPROCS=1 go test -bench . -run '^$' ./source/testpattern
func BenchmarkFrame(b *testing.B) {
	for _, s := range []image.Point{{640, 480}, {1280, 720}, {1920, 1080}} {
		b.Run(fmt.Sprintf("%dx%d", s.X, s.Y), func(b *testing.B) {
			c, err := (&Source{Width: s.X, Height: s.Y}).config()
			if err != nil {
				b.Fatal(err)
			}
			r := newRenderer(c)
			now := time.Now()
			size := 0
			n := uint64(0)
			for b.Loop() {
				n++
				data, err := r.render(now.Add(time.Duration(n)*time.Second/30), n)
				if err != nil {
					b.Fatal(err)
				}
				size += len(data)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(size)/float64(n), "bytes/frame")
		})
	}
}

// The hub reports the frames every source drops.
var _ hub.Dropper = (*Source)(nil)
