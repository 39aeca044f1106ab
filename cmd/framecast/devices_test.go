package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/framecast/framecast/pkg/v4l2"
)

// withDevices makes framecast devices see devs and err.
func withDevices(t *testing.T, devs []v4l2.DeviceInfo, err error) {
	old := listDevices
	listDevices = func() ([]v4l2.DeviceInfo, error) { return devs, err }
	t.Cleanup(func() { listDevices = old })
}

func webcam() v4l2.DeviceInfo {
	return v4l2.DeviceInfo{
		Path:       "/dev/video0",
		Capability: v4l2.Capability{Driver: "uvcvideo", Card: "HD Pro Webcam C920", BusInfo: "usb-0000:00:14.0-1", Version: 6<<16 | 1<<8},
		Formats: []v4l2.FormatInfo{{
			FormatDesc: v4l2.FormatDesc{PixelFormat: v4l2.PixelMJPEG, Description: "Motion-JPEG", Flags: v4l2.FmtFlagCompressed},
			Sizes: []v4l2.SizeInfo{{FrameSize: v4l2.FrameSize{Type: v4l2.FrmDiscrete, Width: 1280, Height: 720},
				Intervals: []v4l2.FrameInterval{{Type: v4l2.FrmDiscrete, Interval: v4l2.Fract{Numerator: 1, Denominator: 30}}}}},
		}},
		Controls: []v4l2.Control{{ID: 0x00980900, Type: v4l2.CtrlInteger, Name: "Brightness", Max: 255, Step: 1, Default: 128, Value: 140, HasValue: true}},
	}
}

func TestDevicesCommand(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		devs      []v4l2.DeviceInfo
		err       error
		code      int
		out, errs []string // parts of stdout and stderr
		exactOut  string   // the whole stdout, when set
	}{
		{name: "none", exactOut: "no V4L2 capture devices\n", errs: []string{"no /dev/video* node captures video: is the camera plugged in"}},
		{name: "none as JSON", args: []string{"-json"}, exactOut: "[]\n"},
		{name: "one", devs: []v4l2.DeviceInfo{webcam()}, out: []string{
			"/dev/video0", "HD Pro Webcam C920 (driver uvcvideo 6.1.0, usb-0000:00:14.0-1)", "MJPG", "1280x720", "30 fps",
			"brightness", "default 128", "value 140", "Use a device as -source v4l2:PATH"}},
		{name: "one as JSON", args: []string{"--json"}, devs: []v4l2.DeviceInfo{webcam()}, out: []string{`"path": "/dev/video0"`, `"Card": "HD Pro Webcam C920"`}},
		{name: "one fails, one works", devs: []v4l2.DeviceInfo{webcam()},
			err: errors.Join(errors.New("v4l2: open /dev/video2: permission denied")), out: []string{"/dev/video0"},
			errs: []string{"framecast devices: v4l2: open /dev/video2: permission denied\n"}},
		{name: "all fail", err: errors.Join(errors.New("v4l2: open /dev/video0: permission denied"), errors.New("v4l2: open /dev/video1: permission denied")),
			code: 1, exactOut: "no V4L2 capture devices\n",
			errs: []string{"framecast devices: v4l2: open /dev/video0: permission denied\nframecast devices: v4l2: open /dev/video1: permission denied\n", "the user in the video group"}},
		{name: "unexpected argument", args: []string{"/dev/video0"}, code: 2, errs: []string{`framecast devices: unexpected argument "/dev/video0"`}},
		{name: "unknown flag", args: []string{"-yaml"}, code: 2, errs: []string{"usage: framecast devices [-json]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withDevices(t, tt.devs, tt.err)
			var out, errb bytes.Buffer
			a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
			code := a.run(context.Background(), append([]string{"devices"}, tt.args...), nil)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errb.String())
			}
			if tt.exactOut != "" && out.String() != tt.exactOut {
				t.Errorf("stdout %q, want %q", out.String(), tt.exactOut)
			}
			for _, want := range tt.out {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out.String())
				}
			}
			for _, want := range tt.errs {
				if !strings.Contains(errb.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errb.String())
				}
			}
			if len(tt.errs) == 0 && errb.Len() > 0 {
				t.Errorf("stderr: %s", errb.String())
			}
			if strings.Contains(strings.Join(tt.args, " "), "json") && tt.code == 0 {
				var v []any
				if err := json.Unmarshal(out.Bytes(), &v); err != nil {
					t.Errorf("not JSON: %v\n%s", err, out.String())
				}
			}
		})
	}
}
