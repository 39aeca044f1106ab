package v4l2src

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/framecast/framecast/pkg/v4l2"
)

// Controls lists the device's controls (brightness, contrast, exposure,
// white balance, focus, power line frequency, flips...) with their ranges,
// current values and menu entries. It opens the device briefly, so it works
// whether Run is capturing or not.
func (s *Source) Controls() ([]v4l2.Control, error) {
	d, err := s.openForControls()
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Controls()
}

// SetControl sets one control, named by its name in any case and with any
// punctuation ("White Balance Temperature", "white_balance_temperature") or
// by its numeric ID ("0x00980900" or decimal). The value must lie in the
// control's range (for menus: be one of its entries); read-only and inactive
// controls are refused. It opens the device briefly, so it works whether
// Run is capturing or not; the value stays set while the device is powered.
func (s *Source) SetControl(control string, value int32) error {
	d, err := s.openForControls()
	if err != nil {
		return err
	}
	defer d.Close()
	ctrls, err := d.Controls()
	if err != nil {
		return err
	}
	c, err := findControl(ctrls, control)
	if err != nil {
		return fmt.Errorf("v4l2: %s: %w", d.Path(), err)
	}
	if err := checkValue(c, value); err != nil {
		return fmt.Errorf("v4l2: %s: %w", d.Path(), err)
	}
	return d.SetControl(c.ID, value)
}

func (s *Source) openForControls() (*v4l2.Device, error) {
	path, err := s.devicePath()
	if err != nil {
		return nil, err
	}
	return v4l2.Open(path)
}

// normalName lower-cases a control name and keeps only letters and digits.
func normalName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// findControl finds a control by numeric ID or by name.
func findControl(ctrls []v4l2.Control, key string) (v4l2.Control, error) {
	if id, err := strconv.ParseUint(key, 0, 32); err == nil {
		for _, c := range ctrls {
			if c.ID == uint32(id) {
				return c, nil
			}
		}
		return v4l2.Control{}, fmt.Errorf("no control with ID %#x", id)
	}
	n := normalName(key)
	for _, c := range ctrls {
		if normalName(c.Name) == n {
			return c, nil
		}
	}
	return v4l2.Control{}, fmt.Errorf("no control named %q", key)
}

// checkValue checks a value against a control's type, range and flags.
func checkValue(c v4l2.Control, v int32) error {
	switch {
	case c.Flags&v4l2.CtrlFlagReadOnly != 0:
		return fmt.Errorf("control %q is read-only", c.Name)
	case c.Flags&v4l2.CtrlFlagInactive != 0:
		return fmt.Errorf("control %q is inactive (an automatic mode may be on)", c.Name)
	}
	switch c.Type {
	case v4l2.CtrlButton:
		return nil
	case v4l2.CtrlMenu, v4l2.CtrlIntegerMenu:
		for _, m := range c.Menu {
			if int32(m.Index) == v {
				return nil
			}
		}
		return fmt.Errorf("control %q has no menu entry %d", c.Name, v)
	case v4l2.CtrlInteger, v4l2.CtrlBoolean, v4l2.CtrlBitmask:
		if v < c.Min || v > c.Max {
			return fmt.Errorf("control %q: %d is outside %d..%d", c.Name, v, c.Min, c.Max)
		}
		if c.Type == v4l2.CtrlInteger && c.Step > 1 && (v-c.Min)%c.Step != 0 {
			return fmt.Errorf("control %q: %d is not %d plus a multiple of %d", c.Name, v, c.Min, c.Step)
		}
		return nil
	}
	return fmt.Errorf("control %q is of type %v, which cannot be set here", c.Name, c.Type)
}
