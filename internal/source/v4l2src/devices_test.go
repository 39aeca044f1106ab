package v4l2src

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/framecast/framecast/pkg/v4l2"
)

var testDevice = v4l2.DeviceInfo{
	Path:       "/dev/video0",
	Capability: v4l2.Capability{Driver: "uvcvideo", Card: "HD Webcam", BusInfo: "usb-0000:00:14.0-1", Version: 6<<16 | 1<<8 | 192},
	Inputs:     []v4l2.Input{{Index: 0, Name: "Camera 1"}},
	Formats: []v4l2.FormatInfo{
		{FormatDesc: v4l2.FormatDesc{Description: "Motion-JPEG", PixelFormat: v4l2.PixelMJPEG, Flags: v4l2.FmtFlagCompressed},
			Sizes: []v4l2.SizeInfo{{FrameSize: v4l2.FrameSize{Type: v4l2.FrmDiscrete, Width: 1280, Height: 720},
				Intervals: []v4l2.FrameInterval{{Type: v4l2.FrmDiscrete, Interval: v4l2.Fract{Numerator: 1, Denominator: 30}},
					{Type: v4l2.FrmDiscrete, Interval: v4l2.Fract{Numerator: 2, Denominator: 25}}}}}},
		{FormatDesc: v4l2.FormatDesc{Description: "H.264", PixelFormat: v4l2.PixelH264, Flags: v4l2.FmtFlagCompressed},
			Sizes: []v4l2.SizeInfo{{FrameSize: v4l2.FrameSize{Type: v4l2.FrmDiscrete, Width: 1920, Height: 1080},
				Intervals: []v4l2.FrameInterval{{Type: v4l2.FrmDiscrete, Interval: v4l2.Fract{Numerator: 1, Denominator: 30}}}}}},
	},
	Controls: []v4l2.Control{
		{Name: "Brightness", Type: v4l2.CtrlInteger, Min: -64, Max: 64, Step: 1, Value: 3, HasValue: true},
		{Name: "Power Line Frequency", Type: v4l2.CtrlMenu, Max: 2, Default: 1, Value: 2, HasValue: true,
			Menu: []v4l2.MenuItem{{Index: 0, Name: "Disabled"}, {Index: 1, Name: "50 Hz"}, {Index: 2, Name: "60 Hz"}}},
		{Name: "White Balance Temperature", Type: v4l2.CtrlInteger, Min: 2800, Max: 6500, Step: 10, Flags: v4l2.CtrlFlagInactive, Value: 4600, HasValue: true},
	},
}

func TestWriteDeviceTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDeviceTable(&buf, []v4l2.DeviceInfo{testDevice}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"/dev/video0", "HD Webcam (driver uvcvideo 6.1.192, usb-0000:00:14.0-1)", "Camera 1",
		"MJPG", "Motion-JPEG (compressed)", "1280x720", "30, 12.5 fps",
		"H264", "H.264 (compressed; codec h264)", "1920x1080",
		"brightness", "-64..64", "value 3",
		"power_line_frequency", "0: Disabled, 1: 50 Hz, 2: 60 Hz",
		"white_balance_temperature", "step 10", "(inactive)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	WriteDeviceTable(&buf, nil)
	if !strings.Contains(buf.String(), "no V4L2 capture devices") {
		t.Errorf("empty listing: %q", buf.String())
	}
}

func TestWriteDeviceJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDeviceJSON(&buf, []v4l2.DeviceInfo{testDevice}); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	f := back[0]["formats"].([]any)[0].(map[string]any)
	if back[0]["path"] != "/dev/video0" || f["PixelFormat"] != "MJPG" {
		t.Fatalf("JSON: %s", buf.String())
	}
	buf.Reset()
	WriteDeviceJSON(&buf, nil)
	if strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("no devices: %q, want []", buf.String())
	}
}
