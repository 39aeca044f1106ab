// Package source builds a camera's source from its configuration: the
// source kinds (auto, v4l2, rpicam, testpattern, file, exec, http) and how
// a camera's settings map onto each. It is the one package besides the
// command's wiring that imports the source packages.
package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/auto"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/internal/source/file"
	"github.com/framecast/framecast/internal/source/httpsrc"
	"github.com/framecast/framecast/internal/source/rpicam"
	"github.com/framecast/framecast/internal/source/testpattern"
)

// New builds the source of camera c, and a description for status. It
// starts nothing. Its errors do not name the field: the caller adds where
// c.Source came from (the flag, the variable or the file line).
func New(c config.Camera, log *slog.Logger) (hub.Source, string, error) {
	if c.Codec == string(hub.H264) {
		// Only these can give H.264 (see hub.H264Source).
		if kind, _, _ := strings.Cut(c.Source, ":"); kind != "rpicam" && kind != "exec" && kind != "v4l2" && !strings.HasPrefix(c.Source, "/dev/") {
			return nil, "", fmt.Errorf("codec h264 needs source rpicam, v4l2:/dev/videoN (a device that sends H.264), " +
				"or exec:COMMAND writing Annex-B H.264 (as in exec:ffmpeg -i rtsp://camera/stream -c:v copy -bsf:v h264_mp4toannexb -f h264 -)")
		}
	}
	if strings.HasPrefix(c.Source, "/dev/") {
		return newV4L2(c, c.Source, log)
	}
	kind, arg, _ := strings.Cut(c.Source, ":")
	switch kind {
	case "v4l2":
		return newV4L2(c, arg, log)
	case "testpattern":
		return &testpattern.Source{Width: c.Size.Width, Height: c.Size.Height, FPS: c.FPS, Quality: c.Quality, Name: c.Name},
			fmt.Sprintf("testpattern %v@%d", c.Size, c.FPS), nil
	case "file":
		if arg == "" {
			return nil, "", fmt.Errorf("file: needs a path, as in file:/path/to/video.mjpeg")
		}
		s := &file.Source{Path: arg, FPS: c.FPS, MaxFrameSize: int(c.MaxFrameSize)}
		// An absent file is no error, as an absent V4L2 device is not: it
		// may be mounted later, and the hub retries. One that is there but
		// cannot be used is.
		if err := s.Check(); errors.Is(err, fs.ErrNotExist) {
			log.Warn("file absent: showing no signal until it appears", "camera", c.Name, "path", arg)
		} else if err != nil {
			return nil, "", fmt.Errorf("%s: %w", c.Source, err)
		}
		return s, fmt.Sprintf("file %s @%d", arg, c.FPS), nil
	case "rpicam":
		return newRpicam(c, "", log)
	case "exec":
		args, err := config.Split(arg)
		if err != nil {
			return nil, "", fmt.Errorf("exec: %w", err)
		}
		if len(args) == 0 {
			return nil, "", fmt.Errorf("exec: needs a command, as in exec:ffmpeg -i rtsp://camera/stream -f mjpeg -")
		}
		adoptOrphans(log)
		s := &execsrc.Source{Args: append(args, c.SourceArgs...), MaxFrameSize: int(c.MaxFrameSize), Logger: log.With("camera", c.Name)}
		// Only the program's name: its arguments may hold a camera's password.
		return s, "exec " + filepath.Base(args[0]), nil
	case "http", "https", "snapshot+http", "snapshot+https":
		s := &httpsrc.Source{URL: c.Source, FPS: c.FPS, MaxFrameSize: int(c.MaxFrameSize), Logger: log.With("camera", c.Name)}
		if err := s.Check(); err != nil {
			return nil, "", err
		}
		return s, s.String(), nil
	case "auto":
		return autoSource(c, log)
	}
	return nil, "", fmt.Errorf("unknown kind %q: use auto, v4l2, v4l2:/dev/videoN, rpicam, testpattern, file:PATH, exec:COMMAND, http(s)://URL or snapshot+http(s)://URL", kind)
}

// newRpicam builds a Raspberry Pi camera source; program empty means the
// one rpicam.Find finds, which must exist.
func newRpicam(c config.Camera, program string, log *slog.Logger) (hub.Source, string, error) {
	s := &rpicam.Source{
		Program: program, Width: c.Size.Width, Height: c.Size.Height, FPS: c.FPS, Quality: c.Quality,
		HFlip: c.HFlip, VFlip: c.VFlip, Rotation: c.Rotation, Camera: c.Index, ExtraArgs: c.SourceArgs,
		Bitrate: c.Bitrate, Intra: c.KeyframeInterval, Profile: c.H264Profile, Level: c.H264Level,
		MaxFrameSize: int(c.MaxFrameSize), Logger: log.With("camera", c.Name),
	}
	if err := s.Check(); err != nil {
		return nil, "", err
	}
	if s.Program == "" {
		p, err := rpicam.Find()
		if err != nil {
			return nil, "", err
		}
		s.Program = p
	}
	adoptOrphans(log)
	d := fmt.Sprintf("%s camera %d %v@%d", filepath.Base(s.Program), c.Index, c.Size, c.FPS)
	if c.Codec == string(hub.H264) {
		d += " H.264"
	}
	return s, d, nil
}

// autoSource picks the camera's source (see package auto) and logs why.
func autoSource(c config.Camera, log *slog.Logger) (hub.Source, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch := auto.Probe{}.Choose(ctx, c.Index)
	log.Info("source auto", "camera", c.Name, "chose", string(ch.Kind), "reason", ch.Reason)
	switch ch.Kind {
	case auto.Rpicam:
		src, d, err := newRpicam(c, ch.Program, log)
		return src, "auto: " + d, err
	case auto.V4L2:
		v := c
		v.Source = "v4l2:" + ch.Device
		src, d, err := New(v, log)
		if err == nil {
			return src, "auto: " + d, nil
		}
		log.Warn("source auto: cannot use the V4L2 device; showing the test pattern", "camera", c.Name, "device", ch.Device, "err", err)
	}
	t := c
	t.Source = "testpattern"
	src, d, err := New(t, log)
	return src, "auto: " + d, err
}

var adoptOnce sync.Once

// adoptOrphans makes framecast the reaper of what killed commands leave
// behind, so none lingers as a zombie when PID 1 does not reap (containers).
func adoptOrphans(log *slog.Logger) {
	adoptOnce.Do(func() {
		if err := execsrc.Subreaper(); err != nil {
			log.Debug("cannot become a child subreaper", "err", err)
		}
	})
}
