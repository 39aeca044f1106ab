package v4l2

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	dev "github.com/framecast/framecast/v4l2"
)

var testDevice = dev.DeviceInfo{
	Path:       "/dev/video0",
	Capability: dev.Capability{Driver: "uvcvideo", Card: "HD Webcam", BusInfo: "usb-0000:00:14.0-1", Version: 6<<16 | 1<<8 | 192},
	Inputs:     []dev.Input{{Index: 0, Name: "Camera 1"}},
	Formats: []dev.FormatInfo{
		{FormatDesc: dev.FormatDesc{Description: "Motion-JPEG", PixelFormat: dev.PixelMJPEG, Flags: dev.FmtFlagCompressed},
			Sizes: []dev.SizeInfo{{FrameSize: dev.FrameSize{Type: dev.FrmDiscrete, Width: 1280, Height: 720},
				Intervals: []dev.FrameInterval{{Type: dev.FrmDiscrete, Interval: dev.Fract{Numerator: 1, Denominator: 30}},
					{Type: dev.FrmDiscrete, Interval: dev.Fract{Numerator: 2, Denominator: 25}}}}}},
	},
	Controls: []dev.Control{
		{Name: "Brightness", Type: dev.CtrlInteger, Min: -64, Max: 64, Step: 1, Value: 3, HasValue: true},
		{Name: "Power Line Frequency", Type: dev.CtrlMenu, Max: 2, Default: 1, Value: 2, HasValue: true,
			Menu: []dev.MenuItem{{Index: 0, Name: "Disabled"}, {Index: 1, Name: "50 Hz"}, {Index: 2, Name: "60 Hz"}}},
		{Name: "White Balance Temperature", Type: dev.CtrlInteger, Min: 2800, Max: 6500, Step: 10, Flags: dev.CtrlFlagInactive, Value: 4600, HasValue: true},
	},
}

func TestWriteDeviceTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDeviceTable(&buf, []dev.DeviceInfo{testDevice}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"/dev/video0", "HD Webcam (driver uvcvideo 6.1.192, usb-0000:00:14.0-1)", "Camera 1",
		"MJPG", "Motion-JPEG (compressed)", "1280x720", "30, 12.5 fps",
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
	if err := WriteDeviceJSON(&buf, []dev.DeviceInfo{testDevice}); err != nil {
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

func TestControlKey(t *testing.T) {
	tests := map[string]string{
		"White Balance Temperature":  "white_balance_temperature",
		"Exposure Time, Absolute":    "exposure_time_absolute",
		"Inject V4L2_BUF_FLAG_ERROR": "inject_v4l2_buf_flag_error",
		"  Gain ":                    "gain",
	}
	for in, want := range tests {
		if got := ControlKey(in); got != want {
			t.Errorf("ControlKey(%q) = %q, want %q", in, got, want)
		}
		if normalName(ControlKey(in)) != normalName(in) {
			t.Errorf("SetControl would not find %q by its key %q", in, ControlKey(in))
		}
	}
}
