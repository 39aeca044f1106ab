package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/framecast/framecast/internal/fake"
)

// stamps are the test's stamps: today's times and the edges of the range.
func stamps(n int) []int64 {
	out := []int64{0, 1, 1<<stampBits - 1, 0x5555_5555_5555, 0xaaaa_aaaa_aaaa}
	for i := len(out); i < n; i++ {
		out = append(out, 1_796_000_000_000+int64(i)*33+int64(i*i%7))
	}
	return out
}

// TestCodeRoundTrip: every stamp comes back exactly from the picture it was
// drawn in, untouched and after real libx264 (the encoder settings of the
// benchmark, and a starved bitrate) and MJPEG compression decoded by ffmpeg.
func TestCodeRoundTrip(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	const w, h = 640, 480
	p, err := newPicture(w, h)
	if err != nil {
		t.Fatal(err)
	}
	want := stamps(90)
	var raw bytes.Buffer
	for i, ms := range want {
		p.draw(i, func() int64 { return ms })
		raw.Write(p.buf)
		if got, err := decode(cellMeans(p.buf, w, p.g)); err != nil || got != ms {
			t.Fatalf("picture %d as drawn: %d, %v; want %d", i, got, err, ms)
		}
	}
	in := []string{"-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", strconv.Itoa(w) + "x" + strconv.Itoa(h), "-framerate", "30", "-i", "-"}
	for _, tc := range []struct {
		name string
		enc  []string
	}{
		{"x264", []string{"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "baseline", "-g", "60", "-f", "h264"}},
		{"x264-300kbit", []string{"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", "300k", "-maxrate", "300k", "-bufsize", "100k", "-g", "60", "-f", "h264"}},
		{"mjpeg", []string{"-c:v", "mjpeg", "-q:v", "5", "-f", "mjpeg"}},
		{"mjpeg-q20", []string{"-c:v", "mjpeg", "-q:v", "20", "-f", "mjpeg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "out")
			args := append([]string{"-hide_banner", "-loglevel", "error"}, in...)
			args = append(append(args, tc.enc...), "-fps_mode", "passthrough", "-y", file)
			enc := exec.Command(ff, args...)
			enc.Stdin = bytes.NewReader(raw.Bytes())
			if out, err := enc.CombinedOutput(); err != nil {
				t.Fatalf("encoding: %v\n%s", err, out)
			}
			// Gray is the decoded luma, as the browser's canvas gives it.
			dec := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-i", file, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-")
			var stderr bytes.Buffer
			dec.Stderr = &stderr
			y, err := dec.Output()
			if err != nil {
				t.Fatalf("decoding: %v\n%s", err, stderr.Bytes())
			}
			if len(y) != len(want)*w*h {
				t.Fatalf("%d bytes decoded, want %d pictures of %d", len(y), len(want), w*h)
			}
			for i, ms := range want {
				got, err := decode(cellMeans(y[i*w*h:(i+1)*w*h], w, p.g))
				if err != nil || got != ms {
					t.Errorf("picture %d: %d, %v; want %d", i, got, err, ms)
				}
			}
		})
	}
}

// TestCodeUnreadable: a picture with no code, or a code with one pair
// flipped or unclear, reads as unreadable, never as a wrong stamp.
func TestCodeUnreadable(t *testing.T) {
	g, err := newGeometry(640, 480)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]byte, 640*480)
	for i := range y {
		y[i] = 128
	}
	if ms, err := decode(cellMeans(y, 640, g)); !errors.Is(err, errUnreadable) {
		t.Errorf("grey picture: %d, %v; want errUnreadable", ms, err)
	}
	drawCode(y, g, 1_796_123_456_789)
	good := cellMeans(y, 640, g)
	for i := range pairs {
		flipped := append([]float64(nil), good...)
		flipped[2*i], flipped[2*i+1] = flipped[2*i+1], flipped[2*i]
		if ms, err := decode(flipped); !errors.Is(err, errUnreadable) {
			t.Errorf("pair %d flipped: %d, %v; want errUnreadable", i, ms, err)
		}
		unclear := append([]float64(nil), good...)
		mid := (unclear[2*i] + unclear[2*i+1]) / 2
		unclear[2*i], unclear[2*i+1] = mid-minContrast/2+1, mid+minContrast/2-1
		if ms, err := decode(unclear); !errors.Is(err, errUnreadable) {
			t.Errorf("pair %d unclear: %d, %v; want errUnreadable", i, ms, err)
		}
	}
	if _, err := decode(good[:10]); err == nil {
		t.Error("10 cells decoded")
	}
	if _, err := newGeometry(40, 480); err == nil {
		t.Error("a 40 pixel wide picture has room for the code")
	}
}
