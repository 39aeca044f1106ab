// Package control describes a camera's adjustable settings (brightness,
// contrast, exposure, white balance, focus, flips...) in terms that know no
// device, so the server can list and set them without importing any source
// package. A source that has controls offers a Controller; For finds it.
package control

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Type is the kind of value a control takes.
type Type string

// The control types a Controller reports.
const (
	Integer     Type = "integer" // a number in Min..Max, in steps of Step
	Boolean     Type = "boolean" // 0 or 1
	Menu        Type = "menu"    // one of Menu's values, each with a name
	IntegerMenu Type = "intmenu" // one of Menu's values, each standing for a number
	Button      Type = "button"  // any value triggers an action; nothing to read
	Bitmask     Type = "bitmask" // a set of bits within Max
)

// Control is one control with its range and current value.
type Control struct {
	// Name is the key to set the control by, in lower case with
	// underscores: "white_balance_temperature".
	Name string `json:"name"`
	// Label is the name the device gives it: "White Balance Temperature".
	Label string `json:"label"`
	// ID is the device's number for the control (a V4L2 control ID), or 0.
	ID   uint32 `json:"id,omitempty"`
	Type Type   `json:"type"`
	Min  int64  `json:"min"`
	Max  int64  `json:"max"`
	// Step is the distance between allowed values of an Integer control.
	Step    int64 `json:"step"`
	Default int64 `json:"default"`
	// Value is the current value; nil when it cannot be read (buttons,
	// write-only controls).
	Value *int64 `json:"value"`
	// ReadOnly controls cannot be set.
	ReadOnly bool `json:"read_only,omitempty"`
	// Inactive controls cannot be set now, usually because an automatic
	// mode (auto exposure, auto white balance) is on.
	Inactive bool `json:"inactive,omitempty"`
	// Menu lists the values of Menu and IntegerMenu controls.
	Menu []MenuItem `json:"menu,omitempty"`
}

// MenuItem is one allowed value of a menu control.
type MenuItem struct {
	Value int64 `json:"value"`
	// Name is the entry's text ("50 Hz"), or for IntegerMenu the number
	// it stands for.
	Name string `json:"name"`
}

// Controller lists and sets the controls of one camera.
type Controller interface {
	// Controls lists every control with its current value.
	Controls() ([]Control, error)
	// SetControl sets the control called name (its Name, or its Label in
	// any case and punctuation) to value. A name that is unknown or a value
	// the control does not take is refused with an *Error, before the
	// device is touched.
	SetControl(name string, value int64) error
}

// For returns the Controller of src: src itself when it is one, or what
// its Controller method returns. It reports false when src has no controls.
func For(src any) (Controller, bool) {
	switch s := src.(type) {
	case Controller:
		return s, true
	case interface{ Controller() Controller }:
		if c := s.Controller(); c != nil {
			return c, true
		}
	}
	return nil, false
}

// Error is a refused control name or value: the request was wrong, the
// device was not asked.
type Error struct {
	Name string // the name as given
	Msg  string // what is wrong, with what would be right
}

// Error returns "control NAME: MSG".
func (e *Error) Error() string { return "control " + strconv.Quote(e.Name) + ": " + e.Msg }

// Key returns the Name of a control whose device label is label: lower
// case, each run of other characters than letters and digits turned into
// one underscore ("White Balance Temperature" → "white_balance_temperature").
func Key(label string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(label) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		} else {
			under = true
		}
	}
	return b.String()
}

// fold is Key without the underscores, so that "White Balance Temperature",
// "white_balance_temperature" and "whitebalancetemperature" are one name.
func fold(s string) string { return strings.ReplaceAll(Key(s), "_", "") }

// Find returns the control called name: by Name or Label in any case and
// punctuation, or by numeric ID ("0x00980900"). An unknown name gives an
// *Error listing the names there are.
func Find(list []Control, name string) (Control, error) {
	if id, err := strconv.ParseUint(name, 0, 32); err == nil && id != 0 {
		for _, c := range list {
			if c.ID == uint32(id) {
				return c, nil
			}
		}
	}
	f := fold(name)
	for _, c := range list {
		if f != "" && (fold(c.Name) == f || fold(c.Label) == f) {
			return c, nil
		}
	}
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.Name
	}
	msg := "no such control"
	if len(names) > 0 {
		msg += " (there are " + strings.Join(names, ", ") + ")"
	} else {
		msg += " (the camera has none)"
	}
	return Control{}, &Error{Name: name, Msg: msg}
}

// Check reports, as an *Error, why c cannot be set to v: read-only,
// inactive, outside the range or off the step, or not a menu entry.
func (c Control) Check(v int64) error {
	bad := func(format string, args ...any) error {
		return &Error{Name: c.Name, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.ReadOnly:
		return bad("read-only")
	case c.Inactive:
		return bad("inactive now (an automatic mode may be on: turn it off first)")
	}
	switch c.Type {
	case Button:
		return nil
	case Menu, IntegerMenu:
		var items []string
		for _, m := range c.Menu {
			if m.Value == v {
				return nil
			}
			items = append(items, fmt.Sprintf("%d (%s)", m.Value, m.Name))
		}
		return bad("%d is not one of %s", v, strings.Join(items, ", "))
	case Integer, Boolean, Bitmask:
		if v < c.Min || v > c.Max {
			return bad("%d is outside %d..%d", v, c.Min, c.Max)
		}
		if c.Type == Bitmask && v < 0 {
			return bad("%d is not a bit mask", v)
		}
		if c.Type == Integer && c.Step > 1 && (v-c.Min)%c.Step != 0 {
			return bad("%d is not in steps of %d from %d (%d..%d)", v, c.Step, c.Min, c.Min, c.Max)
		}
		return nil
	}
	return bad("a %s control cannot be set here", c.Type)
}

// IsAuto reports whether name looks like the switch of an automatic mode
// ("auto_exposure", "white_balance_automatic", "focus_automatic_continuous",
// "exposure_auto_priority"): those are set before other controls, because
// while they are on, the manual values they govern are inactive.
func IsAuto(name string) bool { return strings.Contains(fold(name), "auto") }

// Order returns names sorted in the order to set them: automatic modes
// first, then the rest, each group alphabetically.
func Order(names []string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int {
		if aa, ab := IsAuto(a), IsAuto(b); aa != ab {
			if aa {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}
