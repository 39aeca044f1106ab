package source_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/source"
	"github.com/framecast/framecast/internal/source/v4l2src"
)

func TestNewSourceV4L2(t *testing.T) {
	notCamera := filepath.Join(t.TempDir(), "video0")
	if err := os.WriteFile(notCamera, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cam := config.DefaultCamera()
	cam.Name = "desk"
	with := func(f func(*config.Camera)) config.Camera {
		c := cam
		f(&c)
		return c
	}
	tests := []struct {
		name     string
		cam      config.Camera
		describe string // or the error's text
		err      bool
		device   string
		controls map[string]int
		log      string // a part of the log
	}{
		{name: "first device", cam: with(func(c *config.Camera) { c.Source = "v4l2" }),
			describe: "v4l2 first capture device 640x480@30"},
		{name: "absent device: hot-plug", cam: with(func(c *config.Camera) {
			c.Source = "v4l2:/dev/video-framecast-absent"
			c.Size, c.FPS, c.Quality = config.Size{Width: 1280, Height: 720}, 15, 60
		}), describe: "v4l2 /dev/video-framecast-absent 1280x720@15", device: "/dev/video-framecast-absent",
			log: "v4l2 device absent"},
		{name: "by-id path", cam: with(func(c *config.Camera) { c.Source = "v4l2:/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0" }),
			describe: "v4l2 /dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0 640x480@30",
			device:   "/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0"},
		{name: "bare device path", cam: with(func(c *config.Camera) { c.Source = "/dev/video7" }),
			describe: "v4l2 /dev/video7 640x480@30", device: "/dev/video7"},
		{name: "not a path", cam: with(func(c *config.Camera) { c.Source = "v4l2:video0" }), err: true,
			describe: `v4l2: "video0" is not a device path: use v4l2 (the first capture device), v4l2:/dev/video0 or v4l2:/dev/v4l/by-id/NAME`},
		{name: "not a V4L2 device", cam: with(func(c *config.Camera) { c.Source = "v4l2:/dev/null" }), err: true,
			describe: "v4l2: /dev/null is not a V4L2 device"},
		{name: "a file", cam: with(func(c *config.Camera) { c.Source = "v4l2:" + notCamera }), err: true,
			describe: "v4l2: " + notCamera + " is not a V4L2 device"},
		{name: "rotation 90", cam: with(func(c *config.Camera) { c.Source = "v4l2"; c.Rotation = 90 }), err: true,
			describe: "v4l2: rotation 90 is not supported: use 0 or 180 (done with the camera's flip controls)"},
		{name: "controls and flips", cam: with(func(c *config.Camera) {
			c.Source = "v4l2"
			c.HFlip = true
			c.Controls = map[string]int{"brightness": 140, "power_line_frequency": 1}
		}), describe: "v4l2 first capture device 640x480@30",
			controls: map[string]int{"brightness": 140, "power_line_frequency": 1, "horizontal_flip": 1}},
		{name: "rotation 180 with hflip", cam: with(func(c *config.Camera) { c.Source = "v4l2"; c.Rotation = 180; c.HFlip = true }),
			describe: "v4l2 first capture device 640x480@30", controls: map[string]int{"vertical_flip": 1}},
		{name: "a flip control set explicitly wins", cam: with(func(c *config.Camera) {
			c.Source = "v4l2"
			c.VFlip = true
			c.Controls = map[string]int{"vertical_flip": 0}
		}), describe: "v4l2 first capture device 640x480@30", controls: map[string]int{"vertical_flip": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			src, describe, err := source.New(tt.cam, slog.New(slog.NewTextHandler(&logs, nil)))
			if tt.err {
				if err == nil || err.Error() != tt.describe {
					t.Fatalf("error %v, want %q", err, tt.describe)
				}
				return
			}
			if err != nil || describe != tt.describe {
				t.Fatalf("New = %q, %v; want %q", describe, err, tt.describe)
			}
			s := src.(*v4l2src.Source)
			c := tt.cam
			if s.Device != tt.device || s.Width != c.Size.Width || s.Height != c.Size.Height || s.FPS != c.FPS || s.Quality != c.Quality {
				t.Errorf("source %+v", s)
			}
			if !reflect.DeepEqual(s.ControlValues, tt.controls) {
				t.Errorf("controls %v, want %v", s.ControlValues, tt.controls)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log lacks %q:\n%s", tt.log, logs.String())
			}
			if s.OnStart == nil || s.OnControlError == nil {
				t.Error("no OnStart or OnControlError: the driver's choices and refused controls would go unlogged")
			}
		})
	}
}

// The v4l2 source's callbacks log what the driver chose and which controls
// it refused.
func TestV4L2Logs(t *testing.T) {
	var logs bytes.Buffer
	cam := config.DefaultCamera()
	cam.Source = "v4l2:/dev/video-framecast-absent"
	src, _, err := source.New(cam, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*v4l2src.Source)
	s.OnStart(v4l2src.Settings{Device: "/dev/video0", Card: "HD Webcam", Driver: "uvcvideo", Width: 800, Height: 600, FPS: 15})
	s.OnControlError("brightnes", 3, os.ErrInvalid)
	for _, want := range []string{
		`msg="v4l2 started" camera=camera device=/dev/video0 card="HD Webcam" driver=uvcvideo`, `size=800x600 fps=15 mode=encoding`,
		`msg="v4l2: the driver chose another size" camera=camera asked=640x480 got=800x600`,
		`msg="v4l2 control not set" camera=camera control=brightnes value=3`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
