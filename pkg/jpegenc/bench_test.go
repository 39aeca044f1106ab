package jpegenc

import (
	"bytes"
	"flag"
	"fmt"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

var benchSizes = []struct{ w, h int }{{640, 480}, {1280, 720}}

// BenchmarkEncodeYUYV measures YUYV to JPEG at quality 80 on one core.
func BenchmarkEncodeYUYV(b *testing.B) {
	for _, s := range benchSizes {
		raw := rawFrom(testPicture(s.w, s.h), YUYV, 0)
		b.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(b *testing.B) {
			e := Encoder{Quality: 80}
			b.SetBytes(int64(len(raw)))
			cpu := cpuTime()
			for b.Loop() {
				if _, err := e.Encode(raw, YUYV, s.w, s.h, 0); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, cpu)
		})
	}
}

// BenchmarkEncodeYUYVParallel measures YUYV to JPEG with one Encoder per
// goroutine on every core (GOMAXPROCS goroutines).
func BenchmarkEncodeYUYVParallel(b *testing.B) {
	for _, s := range benchSizes {
		raw := rawFrom(testPicture(s.w, s.h), YUYV, 0)
		b.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				e := Encoder{Quality: 80}
				for pb.Next() {
					if _, err := e.Encode(raw, YUYV, s.w, s.h, 0); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRates(b, cpu)
		})
	}
}

// BenchmarkConvertYUYV measures only the YUYV to 4:2:0 conversion.
func BenchmarkConvertYUYV(b *testing.B) {
	for _, s := range benchSizes {
		raw := rawFrom(testPicture(s.w, s.h), YUYV, 0)
		b.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(b *testing.B) {
			var e Encoder
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if err := e.Convert(raw, YUYV, s.w, s.h, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var ppmDir = flag.String("ppm", "", "write the benchmark pictures as PPM files into this folder (for tjbench)")

// TestWriteBenchPictures writes the benchmark pictures as PPM, into -ppm DIR
// when given, so that tjbench can compress the same frames.
func TestWriteBenchPictures(t *testing.T) {
	dir := *ppmDir
	if dir == "" {
		dir = t.TempDir()
	}
	for _, s := range benchSizes {
		m := testPicture(s.w, s.h)
		buf := fmt.Appendf(nil, "P6\n%d %d\n255\n", s.w, s.h)
		for y := 0; y < s.h; y++ {
			for x := 0; x < s.w; x++ {
				c := m.YCbCrAt(x, y)
				r, g, bl := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				buf = append(buf, r, g, bl)
			}
		}
		name := filepath.Join(dir, fmt.Sprintf("%dx%d.ppm", s.w, s.h))
		if err := os.WriteFile(name, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		// What tjbench reads: a P6 header and three bytes a pixel.
		got, err := os.ReadFile(name)
		var w, h, maxval int
		n, _ := fmt.Sscanf(string(got), "P6\n%d %d\n%d\n", &w, &h, &maxval)
		if err != nil || n != 3 || w != s.w || h != s.h || maxval != 255 || len(got) != len(fmt.Sprintf("P6\n%d %d\n255\n", w, h))+3*w*h {
			t.Fatalf("%s: not a %dx%d PPM (%d bytes, header %d %d %d)", name, s.w, s.h, len(got), w, h, maxval)
		}
	}
}

// BenchmarkEncodeYUYVImageJPEG measures the same work done by image/jpeg
// (conversion as above, then jpeg.Encode of the 4:2:0 image), for comparison.
func BenchmarkEncodeYUYVImageJPEG(b *testing.B) {
	for _, s := range benchSizes {
		raw := rawFrom(testPicture(s.w, s.h), YUYV, 0)
		b.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(b *testing.B) {
			var e Encoder
			var out bytes.Buffer
			b.SetBytes(int64(len(raw)))
			cpu := cpuTime()
			for b.Loop() {
				if err := e.Convert(raw, YUYV, s.w, s.h, 0); err != nil {
					b.Fatal(err)
				}
				out.Reset()
				if err := jpeg.Encode(&out, e.Image(), &jpeg.Options{Quality: 80}); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, cpu)
		})
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports frames per wall-clock second and frames per CPU
// second since cpu (a cpuTime reading). On a machine shared with other
// work the second is the steadier measure of the encoder's own speed.
func reportRates(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	if used := cpuTime() - cpu; used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), "frames/cpu-s")
	}
}
