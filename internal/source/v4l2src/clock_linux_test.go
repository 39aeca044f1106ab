package v4l2src

import (
	"strings"
	"testing"

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

func TestSetControlChecks(t *testing.T) {
	tests := []struct {
		key     string
		value   int32
		wantID  uint32
		wantErr string
	}{
		{"brightness", 128, 0x00980900, ""},
		{"Brightness", 256, 0x00980900, "outside 0..255"},
		{"0x00980900", 0, 0x00980900, ""},
		{"9963776", 255, 0x00980900, ""},
		{"white_balance_temperature", 4000, 0x0098091a, "inactive"},
		{"power-line-frequency", 2, 0x00980918, ""},
		{"power line frequency", 1, 0x00980918, "no menu entry 1"},
		{"horizontal_flip", 2, 0x00980914, "outside 0..1"},
		{"exposure_time_absolute", 7, 0x009a0902, ""},
		{"exposure_time_absolute", 8, 0x009a0902, "multiple of 4"},
		{"disconnect", 0, 0x00f0f041, ""},
		{"read only", 1, 0x00f00001, "read-only"},
		{"text", 1, 0x00f00002, "cannot be set"},
		{"contrast", 1, 0, "no control named"},
		{"0x1234", 1, 0, "no control with ID"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			c, err := findControl(testControls, tt.key)
			if err == nil {
				if c.ID != tt.wantID {
					t.Fatalf("found %#x, want %#x", c.ID, tt.wantID)
				}
				err = checkValue(c, tt.value)
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

func TestWallClockNeverRunsBackwards(t *testing.T) {
	var c wallClock
	first := c.wall(v4l2.Buffer{}) // no timestamp: now
	// A timestamp in the future of CLOCK_MONOTONIC is implausible and must
	// not move time before the previous frame.
	second := c.wall(v4l2.Buffer{Timestamp: 1 << 62})
	if second.Before(first) {
		t.Fatalf("second frame at %v, before the first at %v", second, first)
	}
}
