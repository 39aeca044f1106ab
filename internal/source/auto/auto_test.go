package auto_test

import (
	"context"
	"errors"
	"testing"

	"github.com/framecast/framecast/internal/source/auto"
	"github.com/framecast/framecast/internal/source/rpicam"
)

func TestChoose(t *testing.T) {
	imx708 := rpicam.Camera{Index: 0, Model: "imx708", Info: "4608x2592 10-bit RGGB"}
	ov5647 := rpicam.Camera{Index: 1, Model: "ov5647", Info: "2592x1944 10-bit GBRG"}
	webcam := auto.Device{Path: "/dev/video0", Driver: "uvcvideo", Card: "HD Pro Webcam C920"}
	unicam := auto.Device{Path: "/dev/video0", Driver: "unicam", Card: "unicam"}
	grabber := auto.Device{Path: "/dev/video2", Driver: "uvcvideo", Card: "USB Video"}
	notInstalled := func() (string, error) { return "", rpicam.ErrNotInstalled }
	installed := func() (string, error) { return "/usr/bin/rpicam-vid", nil }
	cams := func(c ...rpicam.Camera) func(context.Context, string) ([]rpicam.Camera, error) {
		return func(context.Context, string) ([]rpicam.Camera, error) { return append([]rpicam.Camera{}, c...), nil }
	}
	devs := func(d ...auto.Device) func() ([]auto.Device, error) {
		return func() ([]auto.Device, error) { return d, nil }
	}
	tests := []struct {
		name  string
		probe auto.Probe
		index int
		want  auto.Choice
	}{
		{"pi camera", auto.Probe{FindRpicam: installed, ListRpicam: cams(imx708), ListV4L2: devs(webcam)}, 0,
			auto.Choice{Kind: auto.Rpicam, Program: "/usr/bin/rpicam-vid", Reason: "rpicam-vid lists camera 0: imx708 [4608x2592 10-bit RGGB]"}},
		{"second pi camera", auto.Probe{FindRpicam: installed, ListRpicam: cams(imx708, ov5647), ListV4L2: devs()}, 1,
			auto.Choice{Kind: auto.Rpicam, Program: "/usr/bin/rpicam-vid", Reason: "rpicam-vid lists camera 1: ov5647 [2592x1944 10-bit GBRG]"}},
		{"rpicam without camera, webcam", auto.Probe{FindRpicam: installed, ListRpicam: cams(), ListV4L2: devs(webcam)}, 0,
			auto.Choice{Kind: auto.V4L2, Device: "/dev/video0", Reason: `rpicam-vid lists no camera; V4L2 capture device /dev/video0 is "HD Pro Webcam C920" (uvcvideo)`}},
		{"no rpicam, raw pi nodes skipped", auto.Probe{FindRpicam: notInstalled, ListV4L2: devs(unicam, grabber)}, 0,
			auto.Choice{Kind: auto.V4L2, Device: "/dev/video2", Reason: `rpicam-vid and libcamera-vid are not installed; V4L2 capture device /dev/video2 is "USB Video" (uvcvideo)`}},
		{"rpicam fails", auto.Probe{FindRpicam: installed,
			ListRpicam: func(context.Context, string) ([]rpicam.Camera, error) {
				return nil, errors.New("rpicam-vid --list-cameras: exit status 255")
			}, ListV4L2: devs()}, 0,
			auto.Choice{Kind: auto.TestPattern, Reason: "rpicam-vid --list-cameras: exit status 255; no V4L2 capture device: showing the test pattern"}},
		{"index beyond", auto.Probe{FindRpicam: installed, ListRpicam: cams(imx708), ListV4L2: devs(webcam)}, 1,
			auto.Choice{Kind: auto.TestPattern, Reason: "rpicam-vid lists 1 camera(s), none with index 1; 1 V4L2 capture device(s), none with index 1: showing the test pattern"}},
		{"nothing", auto.Probe{FindRpicam: notInstalled, ListV4L2: func() ([]auto.Device, error) { return nil, errors.New("permission denied") }}, 0,
			auto.Choice{Kind: auto.TestPattern, Reason: "rpicam-vid and libcamera-vid are not installed; no usable V4L2 capture device (permission denied): showing the test pattern"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.probe.Choose(context.Background(), tt.index); got != tt.want {
				t.Errorf("Choose =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// The real probe runs on any machine: it must come back with a choice.
func TestChooseHere(t *testing.T) {
	c := auto.Probe{}.Choose(context.Background(), 0)
	if c.Kind == "" || c.Reason == "" {
		t.Fatalf("Choose() = %+v", c)
	}
	t.Logf("here: %s (%s)", c.Kind, c.Reason)
}
