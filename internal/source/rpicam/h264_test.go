package rpicam_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/rpicam"
	"github.com/framecast/framecast/pkg/h264"
)

func TestH264Args(t *testing.T) {
	base := []string{"--codec", "h264", "--inline", "--output", "-", "--timeout", "0", "--nopreview", "--flush"}
	s := &rpicam.Source{Width: 1280, Height: 720, FPS: 25, Quality: 85, HFlip: true, Rotation: 180, Camera: 1,
		Bitrate: 2_000_000, Intra: 50, Profile: "baseline", Level: "4.1", ExtraArgs: []string{"--awb", "indoor"}}
	want := append(base, "--width", "1280", "--height", "720", "--framerate", "25", "--hflip", "--rotation", "180",
		"--camera", "1", "--bitrate", "2000000", "--intra", "50", "--profile", "baseline", "--level", "4.1", "--awb", "indoor")
	if got := s.H264Args(); !reflect.DeepEqual(got, want) {
		t.Errorf("H264Args() =\n%q\nwant\n%q", got, want)
	}
	if got := (&rpicam.Source{}).H264Args(); !reflect.DeepEqual(got, append(base, "--camera", "0")) {
		t.Errorf("H264Args() of the defaults = %q", got)
	}
}

// TestH264ThroughHub runs a fake rpicam-vid that writes libx264 H.264 with
// one and with three slices a picture: the flags are exact, and a consumer
// of the hub starts at an IDR picture of the size asked for and gets every
// picture whole.
func TestH264ThroughHub(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	for _, slices := range []int{1, 3} {
		t.Run(strconv.Itoa(slices)+" slices", func(t *testing.T) {
			dir := installFake(t, "rpicam-vid")
			t.Setenv("FFMPEG", ff)
			t.Setenv("FAKE_SLICES", strconv.Itoa(slices))
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			src := &rpicam.Source{Width: 320, Height: 240, FPS: 30, Quality: 70, VFlip: true, Bitrate: 500000, Intra: 10,
				Profile: "baseline", Grace: 2 * time.Second, Logger: log}
			h := hub.New(hub.Config{Name: "pi", Source: src, Codec: hub.H264, IdleTimeout: time.Minute, Logger: log})
			defer h.Close()
			v := h.Join("test")
			defer v.Leave()
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			f, err := h.NextAU(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !f.Key || f.Width != 320 || f.Height != 240 {
				t.Fatalf("first access unit: key %v, %dx%d", f.Key, f.Width, f.Height)
			}
			keys := 0
			for range 25 {
				if f, err = h.NextAU(ctx, f); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, nal := range h264.NALUnits(f.Data) {
					if t := h264.NALType(nal); t == h264.NALSlice || t == h264.NALSliceIDR {
						n++
					}
				}
				if n != slices {
					t.Fatalf("a picture of %d slices, want %d", n, slices)
				}
				if f.Key {
					keys++
				}
			}
			if keys < 2 {
				t.Errorf("%d IDR pictures in 25, want one every 10", keys)
			}
			args, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			want := "--codec\nh264\n--inline\n--output\n-\n--timeout\n0\n--nopreview\n--flush\n--width\n320\n--height\n240\n--framerate\n30\n" +
				"--vflip\n--camera\n0\n--bitrate\n500000\n--intra\n10\n--profile\nbaseline\n"
			if string(args) != want {
				t.Errorf("rpicam-vid got args\n%s\nwant\n%s", args, want)
			}
		})
	}
}
