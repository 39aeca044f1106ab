package v4l2src

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/pkg/v4l2"
)

var testControls = []v4l2.Control{
	{ID: 0x00980900, Type: v4l2.CtrlInteger, Name: "Brightness", Min: 0, Max: 255, Step: 1},
	{ID: 0x0098091a, Type: v4l2.CtrlInteger, Name: "White Balance Temperature", Min: 2800, Max: 6500, Step: 10, Flags: v4l2.CtrlFlagInactive},
	{ID: 0x00980918, Type: v4l2.CtrlMenu, Name: "Power Line Frequency", Max: 2,
		Menu: []v4l2.MenuItem{{Index: 0, Name: "Disabled"}, {Index: 2, Name: "60 Hz"}}},
	{ID: 0x00980914, Type: v4l2.CtrlBoolean, Name: "Horizontal Flip", Max: 1, Step: 1},
	{ID: 0x009a0902, Type: v4l2.CtrlInteger, Name: "Exposure Time, Absolute", Min: 3, Max: 2047, Step: 4},
	{ID: 0x00f0f041, Type: v4l2.CtrlButton, Name: "Disconnect"},
	{ID: 0x00f00001, Type: v4l2.CtrlInteger, Name: "Read Only", Max: 9, Flags: v4l2.CtrlFlagReadOnly},
	{ID: 0x00f00002, Type: v4l2.CtrlString, Name: "Text"},
}

// TestControlNames checks that a V4L2 control is found by package
// control's one naming rule (its key, its label in any case and
// punctuation, its numeric ID) and that its range and flags come along.
func TestControlNames(t *testing.T) {
	list := neutral(testControls)
	tests := []struct {
		name    string
		value   int64
		wantID  uint32
		wantErr string
	}{
		{"brightness", 128, 0x00980900, ""},
		{"Brightness", 256, 0x00980900, "outside 0..255"},
		{"0x00980900", 0, 0x00980900, ""},
		{"9963776", 255, 0x00980900, ""},
		{"white_balance_temperature", 4000, 0x0098091a, "inactive"},
		{"power-line-frequency", 2, 0x00980918, ""},
		{"power line frequency", 1, 0x00980918, "not one of 0 (Disabled), 2 (60 Hz)"},
		{"horizontal_flip", 2, 0x00980914, "outside 0..1"},
		{"Exposure Time, Absolute", 7, 0x009a0902, ""},
		{"exposuretimeabsolute", 8, 0x009a0902, "not in steps of 4"},
		{"disconnect", 0, 0x00f0f041, ""},
		{"read only", 1, 0x00f00001, "read-only"},
		{"text", 1, 0, "no such control"}, // a string control cannot be set: not listed
		{"contrast", 1, 0, "no such control"},
		{"0x1234", 1, 0, "no such control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := control.Find(list, tt.name)
			if err == nil {
				if c.ID != tt.wantID {
					t.Fatalf("found %#x, want %#x", c.ID, tt.wantID)
				}
				err = c.Check(tt.value)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNeutral(t *testing.T) {
	ctrls := append([]v4l2.Control{
		{ID: 0x00f00003, Type: v4l2.CtrlIntegerMenu, Name: "Link Frequency", Max: 1,
			Menu: []v4l2.MenuItem{{Index: 0, Value: 100000000}, {Index: 1, Value: 200000000}}},
		{ID: 0x00f00004, Type: v4l2.CtrlBitmask, Name: "Bits", Min: 0, Max: -1, Default: -2, Value: -16, HasValue: true},
		{ID: 0x00f00005, Type: v4l2.CtrlInteger64, Name: "Big"},
	}, testControls...)
	ctrls[3].Value, ctrls[3].HasValue = 140, true // Brightness
	list := neutral(ctrls)
	byName := map[string]control.Control{}
	for _, c := range list {
		byName[c.Name] = c
	}
	if len(list) != len(ctrls)-2 {
		t.Errorf("%d controls from %d; the integer64 and the string one should be left out", len(list), len(ctrls))
	}
	if _, ok := byName["big"]; ok {
		t.Error("the integer64 control is listed")
	}
	b := byName["brightness"]
	if b.Label != "Brightness" || b.ID != 0x00980900 || b.Type != control.Integer || b.Max != 255 || b.Value == nil || *b.Value != 140 {
		t.Errorf("brightness: %+v", b)
	}
	if wb := byName["white_balance_temperature"]; !wb.Inactive || wb.Value != nil || wb.Step != 10 {
		t.Errorf("white balance: %+v", wb)
	}
	if ro := byName["read_only"]; !ro.ReadOnly {
		t.Errorf("read-only: %+v", ro)
	}
	if pl := byName["power_line_frequency"]; pl.Type != control.Menu || len(pl.Menu) != 2 || pl.Menu[1] != (control.MenuItem{Value: 2, Name: "60 Hz"}) {
		t.Errorf("power line frequency: %+v", pl)
	}
	if lf := byName["link_frequency"]; lf.Type != control.IntegerMenu || lf.Menu[1] != (control.MenuItem{Value: 1, Name: "200000000"}) {
		t.Errorf("integer menu: %+v", lf)
	}
	if bits := byName["bits"]; bits.Max != 0xffffffff || bits.Default != 0xfffffffe || *bits.Value != 0xfffffff0 {
		t.Errorf("bitmask: %+v", bits)
	}
	if d := byName["disconnect"]; d.Type != control.Button {
		t.Errorf("button: %+v", d)
	}
}

func TestCheckDevice(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "video0")
	if err := os.WriteFile(file, []byte("not a camera"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, device, err string // err "" for none
	}{
		{"first device", "", ""},
		{"absent: may be plugged in later", "/dev/video-absent-framecast", ""},
		{"absent by-id link", "/dev/v4l/by-id/usb-Framecast_Absent-video-index0", ""},
		{"a regular file", file, "v4l2: " + file + " is not a V4L2 device"},
		{"another kind of device", "/dev/null", "v4l2: /dev/null is not a V4L2 device"},
		{"a directory", dir, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Source{Device: tt.device}).Check()
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("Check: %v, want %q", err, tt.err)
			}
		})
	}
}

func TestDetail(t *testing.T) {
	s := &Source{Quality: 70}
	if d := s.Detail(); d != "" {
		t.Errorf("Detail before Run: %q", d)
	}
	set := Settings{Device: "/dev/video0", Card: "HD Webcam", Driver: "uvcvideo", Format: v4l2.PixelYUYV,
		Width: 640, Height: 480, FPS: 30}
	s.settings, s.started = set, true
	if d, want := s.Detail(), `/dev/video0 "HD Webcam" (uvcvideo): YUYV 640x480 at 30 fps, encoded at quality 70`; d != want {
		t.Errorf("Detail = %q, want %q", d, want)
	}
	set.Format, set.Passthrough, set.FPS = v4l2.PixelMJPEG, true, 0
	s.settings = set
	if d, want := s.Detail(), `/dev/video0 "HD Webcam" (uvcvideo): MJPG 640x480, passed through`; d != want {
		t.Errorf("Detail = %q, want %q", d, want)
	}
}
