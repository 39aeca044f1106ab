package source

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"strings"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/v4l2src"
)

// newV4L2 builds the source of a V4L2 camera: device is a node such as
// /dev/video0 or /dev/v4l/by-id/usb-…-video-index0, or empty for the first
// capture device. An absent device is no error (it may be plugged in
// later: the hub retries and shows "no signal" meanwhile); a node that is
// there but is no capture device is.
func newV4L2(c config.Camera, device string, log *slog.Logger) (hub.Source, string, error) {
	if device != "" && !strings.HasPrefix(device, "/") {
		return nil, "", fmt.Errorf("v4l2: %q is not a device path: use v4l2 (the first capture device), v4l2:/dev/video0 or v4l2:/dev/v4l/by-id/NAME", device)
	}
	hflip, vflip := c.HFlip, c.VFlip
	switch c.Rotation {
	case 0:
	case 180:
		hflip, vflip = !hflip, !vflip
	default:
		return nil, "", fmt.Errorf("v4l2: rotation %d is not supported: use 0 or 180 (done with the camera's flip controls)", c.Rotation)
	}
	values := maps.Clone(c.Controls)
	flip := func(on bool, name string) {
		if _, set := values[name]; on && !set {
			if values == nil {
				values = map[string]int{}
			}
			values[name] = 1
		}
	}
	flip(hflip, "horizontal_flip")
	flip(vflip, "vertical_flip")
	clog := log.With("camera", c.Name)
	s := &v4l2src.Source{
		Device: device, Width: c.Size.Width, Height: c.Size.Height, FPS: c.FPS, Quality: c.Quality,
		Bitrate: c.Bitrate, KeyframeInterval: c.KeyframeInterval,
		ControlValues: values,
		OnStart: func(set v4l2src.Settings) {
			how := "encoding"
			if set.Passthrough {
				how = "passthrough"
			}
			clog.Info("v4l2 started", "device", set.Device, "card", set.Card, "driver", set.Driver,
				"format", set.Format.String(), "size", fmt.Sprintf("%dx%d", set.Width, set.Height), "fps", set.FPS,
				"mode", how, "buffers", set.Buffers)
			if set.Width != c.Size.Width || set.Height != c.Size.Height {
				clog.Warn("v4l2: the driver chose another size", "asked", c.Size.String(),
					"got", fmt.Sprintf("%dx%d", set.Width, set.Height), "hint", "framecast devices lists the sizes it offers")
			}
		},
		OnControlError: func(name string, value int, err error) {
			clog.Warn("v4l2 control not set", "control", name, "value", value, "err", err)
		},
	}
	if err := s.Check(); err != nil {
		return nil, "", err
	}
	where := device
	if device == "" {
		where = "first capture device"
	} else if _, err := os.Stat(device); errors.Is(err, fs.ErrNotExist) {
		clog.Warn("v4l2 device absent: showing no signal until it appears", "device", device)
	}
	d := fmt.Sprintf("v4l2 %s %v@%d", where, c.Size, c.FPS)
	if c.Codec == string(hub.H264) {
		d += " H.264"
	}
	return s, d, nil
}
