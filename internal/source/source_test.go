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
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/internal/source/file"
	"github.com/framecast/framecast/internal/source/httpsrc"
	"github.com/framecast/framecast/internal/source/rpicam"
	"github.com/framecast/framecast/internal/source/v4l2src"
)

// noRpicam leaves only an empty folder on PATH, so no rpicam-vid is found.
func noRpicam(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
}

// withFakeRpicam puts an rpicam-vid that lists one camera first on PATH.
func withFakeRpicam(t *testing.T) string {
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'Available cameras'\necho '-----------------'\necho '0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)'\n"
	if err := os.WriteFile(filepath.Join(dir, "rpicam-vid"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return filepath.Join(dir, "rpicam-vid")
}

func TestNewSource(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	cam := config.DefaultCamera()
	cam.Name = "door"
	with := func(f func(*config.Camera)) config.Camera {
		c := cam
		f(&c)
		return c
	}
	tests := []struct {
		name     string
		cam      config.Camera
		setup    func(*testing.T)
		describe string // or, with err set, the error's text
		err      bool
		check    func(*testing.T, any)
	}{
		{name: "exec", cam: with(func(c *config.Camera) {
			c.Source = `exec:ffmpeg -rtsp_transport tcp -i "rtsp://u:p@cam/ch 1" -f mjpeg -`
			c.SourceArgs = []string{"-q:v", "5"}
		}), describe: "exec ffmpeg", check: func(t *testing.T, s any) {
			want := []string{"ffmpeg", "-rtsp_transport", "tcp", "-i", "rtsp://u:p@cam/ch 1", "-f", "mjpeg", "-", "-q:v", "5"}
			if got := s.(*execsrc.Source).Args; !reflect.DeepEqual(got, want) {
				t.Errorf("args %q, want %q", got, want)
			}
		}},
		{name: "exec h264", cam: with(func(c *config.Camera) {
			c.Source = "exec:ffmpeg -i rtsp://cam/ch1 -c:v copy -bsf:v h264_mp4toannexb -f h264 -"
			c.Codec = "h264"
		}), describe: "exec ffmpeg"},
		{name: "h264 from a test pattern", cam: with(func(c *config.Camera) { c.Source = "testpattern"; c.Codec = "h264" }), err: true,
			describe: "codec h264 needs source rpicam, v4l2:/dev/videoN (a device that sends H.264), or exec:COMMAND writing Annex-B H.264 (as in exec:ffmpeg -i rtsp://camera/stream -c:v copy -bsf:v h264_mp4toannexb -f h264 -)"},
		{name: "v4l2 h264", cam: with(func(c *config.Camera) {
			c.Source = "/dev/video-framecast-absent"
			c.Codec, c.Bitrate, c.KeyframeInterval = "h264", 1_500_000, 60
		}), describe: "v4l2 /dev/video-framecast-absent 640x480@30 H.264", check: func(t *testing.T, s any) {
			// The hub runs an H.264 camera's source with RunH264.
			v, ok := s.(hub.H264Source)
			if !ok {
				t.Fatalf("%T is no hub.H264Source", s)
			}
			if src := v.(*v4l2src.Source); src.Bitrate != 1_500_000 || src.KeyframeInterval != 60 {
				t.Errorf("bitrate %d, keyframe interval %d not passed on", src.Bitrate, src.KeyframeInterval)
			}
		}},
		{name: "exec empty", cam: with(func(c *config.Camera) { c.Source = "exec:" }), err: true,
			describe: "exec: needs a command, as in exec:ffmpeg -i rtsp://camera/stream -f mjpeg -"},
		{name: "exec bad quote", cam: with(func(c *config.Camera) { c.Source = `exec:ffmpeg -i 'x` }), err: true,
			describe: "exec: command has an unterminated ' quote"},
		{name: "http", cam: with(func(c *config.Camera) { c.Source = "http://admin:secret@10.0.0.9/mjpg/video.mjpg" }),
			describe: "http://admin:xxxxx@10.0.0.9/mjpg/video.mjpg", check: func(t *testing.T, s any) {
				if s.(*httpsrc.Source).URL != "http://admin:secret@10.0.0.9/mjpg/video.mjpg" {
					t.Error("URL changed")
				}
			}},
		{name: "snapshot", cam: with(func(c *config.Camera) { c.Source = "snapshot+https://cam.local/snap.jpg"; c.FPS = 2 }),
			describe: "snapshot+https://cam.local/snap.jpg", check: func(t *testing.T, s any) {
				if s.(*httpsrc.Source).FPS != 2 {
					t.Error("FPS not passed on")
				}
			}},
		{name: "http without host", cam: with(func(c *config.Camera) { c.Source = "http:///x" }), err: true,
			describe: `bad URL "http:///x": no host`},
		{name: "rpicam missing", cam: with(func(c *config.Camera) { c.Source = "rpicam" }), setup: noRpicam, err: true,
			describe: rpicam.ErrNotInstalled.Error()},
		{name: "rpicam", cam: with(func(c *config.Camera) {
			c.Source = "rpicam"
			c.Size = config.Size{Width: 1280, Height: 720}
			c.HFlip, c.Rotation, c.Index = true, 180, 0
			c.SourceArgs = []string{"--awb", "indoor"}
		}), setup: func(t *testing.T) { withFakeRpicam(t) }, describe: "rpicam-vid camera 0 1280x720@30", check: func(t *testing.T, s any) {
			args := strings.Join(s.(*rpicam.Source).Args(), " ")
			if !strings.Contains(args, "--width 1280 --height 720 --framerate 30 --quality 80 --hflip --rotation 180 --camera 0 --awb indoor") {
				t.Errorf("args %s", args)
			}
		}},
		{name: "rpicam rotation 90", cam: with(func(c *config.Camera) { c.Source = "rpicam"; c.Rotation = 90 }),
			setup: func(t *testing.T) { withFakeRpicam(t) }, err: true,
			describe: "rpicam: rotation 90 is not supported: use 0 or 180 (with hflip/vflip)"},
		{name: "auto finds the pi camera", cam: with(func(c *config.Camera) { c.Source = "auto" }),
			setup: func(t *testing.T) { withFakeRpicam(t) }, describe: "auto: rpicam-vid camera 0 640x480@30"},
		{name: "auto falls back", cam: with(func(c *config.Camera) { c.Source = "auto"; c.Index = 5 }),
			setup: noRpicam, describe: "auto: testpattern 640x480@30"},
		{name: "unknown", cam: with(func(c *config.Camera) { c.Source = "rtsp://cam/1" }), err: true,
			describe: `unknown kind "rtsp": use auto, v4l2, v4l2:/dev/videoN, rpicam, testpattern, file:PATH, exec:COMMAND, http(s)://URL or snapshot+http(s)://URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			src, describe, err := source.New(tt.cam, quiet)
			if tt.err {
				if err == nil || err.Error() != tt.describe {
					t.Fatalf("error %v, want %q", err, tt.describe)
				}
				return
			}
			if err != nil || describe != tt.describe {
				t.Fatalf("New = %q, %v; want %q", describe, err, tt.describe)
			}
			if tt.check != nil {
				tt.check(t, src)
			}
		})
	}
}

// An absent file is no error, as an absent V4L2 device is not: it may be
// mounted later, and the hub retries meanwhile. One that is there but
// holds nothing to show is.
func TestFileSource(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "later.mjpeg")
	var logs bytes.Buffer
	cam := config.DefaultCamera()
	cam.Source = "file:" + absent
	src, describe, err := source.New(cam, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || describe != "file "+absent+" @30" || src.(*file.Source).Path != absent {
		t.Errorf("absent file: %q, %v", describe, err)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="file absent: showing no signal until it appears" camera=camera path=`+absent) {
		t.Errorf("no warning: %s", logs.String())
	}
	for kind, want := range map[string]string{
		"file:":       "file: needs a path, as in file:/path/to/video.mjpeg",
		"file:" + dir: "file:" + dir + ": " + dir + ": no .jpg or .jpeg files in folder",
	} {
		cam.Source = kind
		if _, _, err := source.New(cam, slog.New(slog.DiscardHandler)); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", kind, err, want)
		}
	}
}
