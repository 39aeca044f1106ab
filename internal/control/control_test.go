package control_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/control"
)

func val(v int64) *int64 { return &v }

var list = []control.Control{
	{Name: "brightness", Label: "Brightness", ID: 0x00980900, Type: control.Integer, Min: -64, Max: 64, Step: 1, Value: val(0)},
	{Name: "sharpness", Label: "Sharpness", Type: control.Integer, Min: 0, Max: 12, Step: 3, Value: val(3)},
	{Name: "horizontal_flip", Label: "Horizontal Flip", Type: control.Boolean, Min: 0, Max: 1, Value: val(0)},
	{Name: "power_line_frequency", Label: "Power Line Frequency", Type: control.Menu, Min: 0, Max: 2,
		Menu: []control.MenuItem{{0, "Disabled"}, {1, "50 Hz"}, {2, "60 Hz"}}},
	{Name: "exposure_time_absolute", Label: "Exposure Time, Absolute", Type: control.Integer, Min: 1, Max: 5000, Step: 1, Inactive: true},
	{Name: "pan_reset", Label: "Pan, Reset", Type: control.Button},
	{Name: "focus_absolute", Label: "Focus, Absolute", Type: control.Integer, Max: 10, ReadOnly: true},
	{Name: "test_string", Label: "Test String", Type: "string"},
}

func TestFind(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"brightness", "brightness"},
		{"Brightness", "brightness"},
		{"0x00980900", "brightness"},
		{"Exposure Time, Absolute", "exposure_time_absolute"},
		{"exposuretimeabsolute", "exposure_time_absolute"},
		{"Power-Line-Frequency", "power_line_frequency"},
		{"brightnes", ""},
		{"", ""},
		{"0x00980901", ""},
	}
	for _, tt := range tests {
		c, err := control.Find(list, tt.name)
		if tt.want == "" {
			var ce *control.Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "there are brightness, sharpness,") {
				t.Errorf("Find(%q) = %v, %v; want an *Error listing the names", tt.name, c.Name, err)
			}
			continue
		}
		if err != nil || c.Name != tt.want {
			t.Errorf("Find(%q) = %q, %v; want %q", tt.name, c.Name, err, tt.want)
		}
	}
	if _, err := control.Find(nil, "x"); err == nil || !strings.Contains(err.Error(), "has none") {
		t.Errorf("Find in an empty list: %v", err)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		value int64
		err   string // "" for none
	}{
		{"brightness", -64, ""},
		{"brightness", 64, ""},
		{"brightness", 65, `control "brightness": 65 is outside -64..64`},
		{"brightness", -65, `control "brightness": -65 is outside -64..64`},
		{"sharpness", 9, ""},
		{"sharpness", 4, `control "sharpness": 4 is not in steps of 3 from 0 (0..12)`},
		{"horizontal_flip", 1, ""},
		{"horizontal_flip", 2, `control "horizontal_flip": 2 is outside 0..1`},
		{"power_line_frequency", 1, ""},
		{"power_line_frequency", 3, `control "power_line_frequency": 3 is not one of 0 (Disabled), 1 (50 Hz), 2 (60 Hz)`},
		{"exposure_time_absolute", 100, `control "exposure_time_absolute": inactive now (an automatic mode may be on: turn it off first)`},
		{"pan_reset", 12345, ""},
		{"focus_absolute", 1, `control "focus_absolute": read-only`},
		{"test_string", 1, `control "test_string": a string control cannot be set here`},
	}
	for _, tt := range tests {
		c, err := control.Find(list, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Check(tt.value)
		got := ""
		if err != nil {
			got = err.Error()
			var ce *control.Error
			if !errors.As(err, &ce) {
				t.Errorf("Check(%s, %d): %T is not an *Error", tt.name, tt.value, err)
			}
		}
		if got != tt.err {
			t.Errorf("Check(%s, %d) = %q, want %q", tt.name, tt.value, got, tt.err)
		}
	}
}

func TestKey(t *testing.T) {
	for label, want := range map[string]string{
		"White Balance Temperature": "white_balance_temperature",
		"Exposure Time, Absolute":   "exposure_time_absolute",
		"  Gain ":                   "gain",
		"Auto Exposure":             "auto_exposure",
		"":                          "",
	} {
		if got := control.Key(label); got != want {
			t.Errorf("Key(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestOrder(t *testing.T) {
	got := control.Order([]string{"exposure_time_absolute", "brightness", "white_balance_automatic", "auto_exposure", "gain"})
	want := []string{"auto_exposure", "white_balance_automatic", "brightness", "exposure_time_absolute", "gain"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Order = %q, want %q", got, want)
	}
}

type ctl struct{}

func (ctl) Controls() ([]control.Control, error)      { return list, nil }
func (ctl) SetControl(name string, value int64) error { return nil }

type hasController struct{ c control.Controller }

func (h hasController) Controller() control.Controller { return h.c }

func TestFor(t *testing.T) {
	tests := []struct {
		name string
		src  any
		ok   bool
	}{
		{"is one", ctl{}, true},
		{"has one", hasController{ctl{}}, true},
		{"has nil", hasController{}, false},
		{"has none", struct{}{}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		c, ok := control.For(tt.src)
		if ok != tt.ok || (c != nil) != tt.ok {
			t.Errorf("%s: For = %v, %v; want ok %v", tt.name, c, ok, tt.ok)
		}
	}
}
