package v4l2

import (
	"encoding/binary"
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ControlType is the type of a control (enum v4l2_ctrl_type).
type ControlType uint32

// Control types.
const (
	CtrlInteger     ControlType = 1
	CtrlBoolean     ControlType = 2
	CtrlMenu        ControlType = 3
	CtrlButton      ControlType = 4
	CtrlInteger64   ControlType = 5
	CtrlClass       ControlType = 6
	CtrlString      ControlType = 7
	CtrlBitmask     ControlType = 8
	CtrlIntegerMenu ControlType = 9
)

// String returns the type's name in lower case, e.g. "integer" or "menu".
func (t ControlType) String() string {
	switch t {
	case CtrlInteger:
		return "integer"
	case CtrlBoolean:
		return "boolean"
	case CtrlMenu:
		return "menu"
	case CtrlButton:
		return "button"
	case CtrlInteger64:
		return "integer64"
	case CtrlClass:
		return "class"
	case CtrlString:
		return "string"
	case CtrlBitmask:
		return "bitmask"
	case CtrlIntegerMenu:
		return "intmenu"
	}
	return "unknown"
}

// Control flags (Control.Flags).
const (
	CtrlFlagDisabled  = 0x0001
	CtrlFlagGrabbed   = 0x0002
	CtrlFlagReadOnly  = 0x0004
	CtrlFlagUpdate    = 0x0008
	CtrlFlagInactive  = 0x0010
	CtrlFlagSlider    = 0x0020
	CtrlFlagWriteOnly = 0x0040
	CtrlFlagVolatile  = 0x0080
	ctrlFlagNextCtrl  = 0x80000000
)

// Control describes one control (struct v4l2_queryctrl) and its current value.
type Control struct {
	ID      uint32
	Type    ControlType
	Name    string // e.g. "Brightness"
	Min     int32
	Max     int32
	Step    int32
	Default int32
	Flags   uint32
	// Value is the current value; HasValue is false for controls that cannot
	// be read (buttons, write-only, 64-bit, string and compound ones).
	Value    int32
	HasValue bool
	Menu     []MenuItem // menu and integer-menu controls
}

// MenuItem is one entry of a menu control (struct v4l2_querymenu).
type MenuItem struct {
	Index uint32
	Name  string // menu controls
	Value int64  // integer-menu controls
}

// readable reports whether VIDIOC_G_CTRL can read a control of this kind.
func (c *Control) readable() bool {
	switch c.Type {
	case CtrlInteger, CtrlBoolean, CtrlMenu, CtrlIntegerMenu, CtrlBitmask:
		return c.Flags&CtrlFlagWriteOnly == 0
	}
	return false
}

func (d *Device) controlFromRaw(r *rawQueryCtrl) (Control, error) {
	c := Control{ID: r.ID, Type: ControlType(r.Type), Name: cstr(r.Name[:]), Min: r.Minimum, Max: r.Maximum,
		Step: r.Step, Default: r.DefaultValue, Flags: r.Flags}
	if c.Type == CtrlMenu || c.Type == CtrlIntegerMenu {
		for i := c.Min; i <= c.Max && i >= 0; i++ {
			m := rawQueryMenu{ID: c.ID, Index: uint32(i)}
			if err := ioctl(d.fd, opQueryMenu, vidiocQueryMenu, unsafe.Pointer(&m)); err != nil {
				// Menus may have holes: unsupported entries answer EINVAL.
				if errors.Is(err, unix.EINVAL) {
					continue
				}
				return c, err
			}
			it := MenuItem{Index: uint32(i)}
			if c.Type == CtrlMenu {
				it.Name = cstr(m.Name[:])
			} else {
				it.Value = int64(binary.LittleEndian.Uint64(m.Name[:8]))
			}
			c.Menu = append(c.Menu, it)
		}
	}
	if c.readable() {
		v, err := d.Control(c.ID)
		if err != nil && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINVAL) {
			return c, err
		}
		c.Value, c.HasValue = v, err == nil
	}
	return c, nil
}

// Codec controls of devices that encode (V4L2_CID_MPEG_VIDEO_*): UVC 1.5
// cameras, the Raspberry Pi's bcm2835-v4l2 camera, encoders.
const (
	CIDVideoGOPSize     = 0x009909cb // pictures per group of pictures
	CIDVideoBitrate     = 0x009909cf // bits per second
	CIDVideoH264IPeriod = 0x00990a66 // pictures between H.264 I (IDR) pictures
)

// Control ID ranges walked when a driver does not support
// V4L2_CTRL_FLAG_NEXT_CTRL.
const (
	cidBase        = 0x00980900
	cidLastP1      = cidBase + 44
	cidPrivateBase = 0x08000000
	cidCameraBase  = 0x009a0900
	cidCameraLast  = cidCameraBase + 40
)

// Controls lists the device's controls with their current values and menu
// entries, enumerated with V4L2_CTRL_FLAG_NEXT_CTRL (or, for old drivers,
// by walking the user, camera and private ID ranges). Disabled controls and
// control classes are left out.
func (d *Device) Controls() ([]Control, error) {
	var out []Control
	add := func(r *rawQueryCtrl) error {
		if r.Flags&CtrlFlagDisabled != 0 || ControlType(r.Type) == CtrlClass {
			return nil
		}
		c, err := d.controlFromRaw(r)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}
	id := uint32(0)
	for n := 0; ; n++ {
		r := rawQueryCtrl{ID: id | ctrlFlagNextCtrl}
		err := ioctl(d.fd, opQueryCtrl, vidiocQueryCtrl, unsafe.Pointer(&r))
		if err != nil {
			if !errors.Is(err, unix.EINVAL) {
				return out, err
			}
			if n > 0 {
				return out, nil
			}
			break // no NEXT_CTRL support: walk the ID ranges
		}
		if err := add(&r); err != nil {
			return out, err
		}
		id = r.ID
	}
	walk := func(from, to uint32, stopAtFirstMiss bool) error {
		for id := from; id < to; id++ {
			r := rawQueryCtrl{ID: id}
			if err := ioctl(d.fd, opQueryCtrl, vidiocQueryCtrl, unsafe.Pointer(&r)); err != nil {
				if !errors.Is(err, unix.EINVAL) {
					return err
				}
				if stopAtFirstMiss {
					return nil
				}
				continue
			}
			if err := add(&r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(cidBase, cidLastP1, false); err != nil {
		return out, err
	}
	if err := walk(cidCameraBase, cidCameraLast, false); err != nil {
		return out, err
	}
	return out, walk(cidPrivateBase, cidPrivateBase+1000, true)
}

// QueryControl describes one control by ID, with its current value.
func (d *Device) QueryControl(id uint32) (Control, error) {
	r := rawQueryCtrl{ID: id}
	if err := ioctl(d.fd, opQueryCtrl, vidiocQueryCtrl, unsafe.Pointer(&r)); err != nil {
		return Control{}, err
	}
	return d.controlFromRaw(&r)
}

// Control reads a control's current value (VIDIOC_G_CTRL).
func (d *Device) Control(id uint32) (int32, error) {
	r := rawControl{ID: id}
	if err := ioctl(d.fd, opGCtrl, vidiocGCtrl, unsafe.Pointer(&r)); err != nil {
		return 0, err
	}
	return r.Value, nil
}

// SetControl sets a control (VIDIOC_S_CTRL); for buttons the value is
// ignored and the action happens. Drivers may clamp the value.
func (d *Device) SetControl(id uint32, value int32) error {
	r := rawControl{ID: id, Value: value}
	return ioctl(d.fd, opSCtrl, vidiocSCtrl, unsafe.Pointer(&r))
}
