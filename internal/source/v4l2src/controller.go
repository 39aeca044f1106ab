package v4l2src

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/pkg/jpegenc"
	"github.com/framecast/framecast/pkg/v4l2"
)

// Controller returns the device's controls (brightness, contrast, exposure,
// white balance, focus, power line frequency, flips...) in the
// device-neutral terms of package control, for the server's controls API.
// Each call opens the device briefly, so it works whether Run is capturing
// or not; a value set stays set while the device is powered.
func (s *Source) Controller() control.Controller { return controller{s} }

// controller is the control.Controller of a Source.
type controller struct{ s *Source }

// Controls lists the controls that can be read or set.
func (c controller) Controls() ([]control.Control, error) {
	d, err := c.s.openForControls()
	if err != nil {
		return nil, err
	}
	defer d.Close()
	ctrls, err := d.Controls()
	if err != nil {
		return nil, err
	}
	return neutral(ctrls), nil
}

// SetControl sets one control, refusing unknown names and bad values with a
// *control.Error before the device is asked.
func (c controller) SetControl(name string, value int64) error {
	d, err := c.s.openForControls()
	if err != nil {
		return err
	}
	defer d.Close()
	ctrls, err := d.Controls()
	if err != nil {
		return err
	}
	return setControl(d, neutral(ctrls), name, value)
}

func (s *Source) openForControls() (*v4l2.Device, error) {
	path, err := s.devicePath()
	if err != nil {
		return nil, err
	}
	return v4l2.Open(path)
}

// neutral converts the device's controls to package control's, leaving out
// the kinds that cannot be set through VIDIOC_S_CTRL (64-bit, string and
// compound controls).
func neutral(ctrls []v4l2.Control) []control.Control {
	out := make([]control.Control, 0, len(ctrls))
	for _, c := range ctrls {
		var t control.Type
		switch c.Type {
		case v4l2.CtrlInteger:
			t = control.Integer
		case v4l2.CtrlBoolean:
			t = control.Boolean
		case v4l2.CtrlMenu:
			t = control.Menu
		case v4l2.CtrlIntegerMenu:
			t = control.IntegerMenu
		case v4l2.CtrlButton:
			t = control.Button
		case v4l2.CtrlBitmask:
			t = control.Bitmask
		default:
			continue
		}
		n := control.Control{Name: control.Key(c.Name), Label: c.Name, ID: c.ID, Type: t,
			Min: int64(c.Min), Max: int64(c.Max), Step: int64(c.Step), Default: int64(c.Default),
			ReadOnly: c.Flags&v4l2.CtrlFlagReadOnly != 0, Inactive: c.Flags&v4l2.CtrlFlagInactive != 0}
		if t == control.Bitmask {
			// The kernel reports a bitmask's range as signed 32-bit values.
			n.Min, n.Max, n.Default = int64(uint32(c.Min)), int64(uint32(c.Max)), int64(uint32(c.Default))
		}
		if c.HasValue {
			v := int64(c.Value)
			if t == control.Bitmask {
				v = int64(uint32(c.Value))
			}
			n.Value = &v
		}
		for _, m := range c.Menu {
			name := m.Name
			if t == control.IntegerMenu {
				name = strconv.FormatInt(m.Value, 10)
			}
			n.Menu = append(n.Menu, control.MenuItem{Value: int64(m.Index), Name: name})
		}
		out = append(out, n)
	}
	return out
}

// setControl checks value against the named control of list and sets it.
func setControl(d *v4l2.Device, list []control.Control, name string, value int64) error {
	c, err := control.Find(list, name)
	if err != nil {
		return err
	}
	if err := c.Check(value); err != nil {
		return err
	}
	v := int32(value)
	if c.Type == control.Bitmask {
		v = int32(uint32(value))
	} else if value < math.MinInt32 || value > math.MaxInt32 {
		return &control.Error{Name: c.Name, Msg: fmt.Sprintf("%d does not fit in 32 bits", value)}
	}
	if err := d.SetControl(c.ID, v); err != nil {
		return fmt.Errorf("v4l2: %s: setting %s to %d: %w", d.Path(), c.Name, value, err)
	}
	return nil
}

// applyControls sets s.ControlValues on the open device, automatic modes first,
// reporting each failure to OnControlError. It returns an error only when
// the device went away.
func (s *Source) applyControls(d *v4l2.Device) error {
	ctrls, err := d.Controls()
	if err != nil {
		return err
	}
	list := neutral(ctrls)
	names := make([]string, 0, len(s.ControlValues))
	for name := range s.ControlValues {
		names = append(names, name)
	}
	for _, name := range control.Order(names) {
		value := s.ControlValues[name]
		err := setControl(d, list, name, int64(value))
		if errors.Is(err, ErrDisconnected) {
			return err
		}
		if err != nil {
			if s.OnControlError != nil {
				s.OnControlError(name, value, err)
			}
			continue
		}
		if control.IsAuto(name) {
			// Switching an automatic mode makes other controls active or
			// inactive: read their flags again.
			if ctrls, err := d.Controls(); err == nil {
				list = neutral(ctrls)
			} else if errors.Is(err, ErrDisconnected) {
				return err
			}
		}
	}
	return nil
}

// Check reports whether Device can be captured from at all: an existing
// node that is not a V4L2 streaming capture device (a UVC camera's metadata
// node, a file, another kind of device) or that cannot be opened is an
// error. A node that does not exist is not: a USB camera may be plugged in
// later, /dev/v4l/by-id links appear with their camera, and until then Run
// fails with an error matching ErrDisconnected or fs.ErrNotExist. An empty
// Device (the first capture device, whichever it is when Run starts) is
// not checked either.
func (s *Source) Check() error {
	if s.Device == "" {
		return nil
	}
	if _, err := os.Stat(s.Device); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	d, err := v4l2.Open(s.Device)
	switch {
	case errors.Is(err, ErrDisconnected):
		return nil
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w (add the user framecast runs as to the video group)", err)
	case err != nil:
		return err
	}
	defer d.Close()
	c, err := d.Capability()
	switch {
	case errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL):
		return fmt.Errorf("v4l2: %s is not a V4L2 device", s.Device)
	case err != nil:
		return err
	case !c.CanCapture():
		return fmt.Errorf("v4l2: %s (%s, driver %s) is not a streaming video capture device; "+
			"a USB camera's second node only carries metadata: framecast devices lists the capture ones", s.Device, c.Card, c.Driver)
	}
	return nil
}

// Detail says what the driver really set in the latest Run (device, format,
// size, frame rate and whether framecast encodes), for status pages; it is
// empty before any Run got that far.
func (s *Source) Detail() string {
	set, ok := s.Settings()
	if !ok {
		return ""
	}
	how := "passed through"
	if !set.Passthrough {
		q := s.Quality
		if q <= 0 {
			q = jpegenc.DefaultQuality
		}
		how = fmt.Sprintf("encoded at quality %d", q)
	}
	rate := "" // drivers without frame rate control say nothing
	if set.FPS > 0 {
		rate = " at " + strconv.FormatFloat(set.FPS, 'f', -1, 64) + " fps"
	}
	return fmt.Sprintf("%s %q (%s): %s %dx%d%s, %s", set.Device, set.Card, set.Driver, set.Format,
		set.Width, set.Height, rate, how)
}
