package v4l2

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Capability bits of Capability.Capabilities and Capability.DeviceCaps.
const (
	CapVideoCapture       = 0x00000001
	CapVideoOutput        = 0x00000002
	CapVideoCaptureMplane = 0x00001000
	CapReadWrite          = 0x01000000
	CapStreaming          = 0x04000000
	CapDeviceCaps         = 0x80000000
)

// BufType is a V4L2 buffer type (enum v4l2_buf_type).
type BufType uint32

// Buffer types in use here.
const (
	BufVideoCapture BufType = 1
	BufVideoOutput  BufType = 2
)

// Field orders (enum v4l2_field).
const (
	FieldAny  = 0 // let the driver choose
	FieldNone = 1 // progressive
)

// Device is an open V4L2 device node. Its methods may be called from several
// goroutines, except that a Stream is used by one goroutine at a time.
type Device struct {
	fd   int
	path string
}

// Open opens the device node at path (such as /dev/video0) for reading and
// writing, non-blocking.
func Open(path string) (*Device, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ENODEV || err == unix.ENXIO {
			return nil, fmt.Errorf("%w: open %s: %v", ErrDisconnected, path, err)
		}
		return nil, fmt.Errorf("v4l2: open %s: %w", path, err)
	}
	return &Device{fd: fd, path: path}, nil
}

// Path returns the path the device was opened with.
func (d *Device) Path() string { return d.path }

// Fd returns the file descriptor, for callers that need raw access.
func (d *Device) Fd() int { return d.fd }

// Close closes the device. Streams must be closed first.
func (d *Device) Close() error {
	if d.fd < 0 {
		return nil
	}
	err := unix.Close(d.fd)
	d.fd = -1
	return err
}

// Capability describes a device (struct v4l2_capability).
type Capability struct {
	Driver       string // e.g. "uvcvideo"
	Card         string // the device's name
	BusInfo      string // e.g. "usb-0000:01:00.0-1.2"
	Version      uint32 // KERNEL_VERSION of the driver
	Capabilities uint32 // of the whole physical device
	DeviceCaps   uint32 // of this node, when Capabilities has CapDeviceCaps
}

// Caps returns the capabilities of this device node: DeviceCaps when the
// driver reports them, else Capabilities.
func (c Capability) Caps() uint32 {
	if c.Capabilities&CapDeviceCaps != 0 {
		return c.DeviceCaps
	}
	return c.Capabilities
}

// CanCapture reports whether the node does single-planar video capture with
// streaming I/O, which is what Stream needs.
func (c Capability) CanCapture() bool {
	return c.Caps()&(CapVideoCapture|CapStreaming) == CapVideoCapture|CapStreaming
}

// VersionString returns Version as "major.minor.patch".
func (c Capability) VersionString() string {
	return fmt.Sprintf("%d.%d.%d", c.Version>>16, c.Version>>8&0xff, c.Version&0xff)
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Capability runs VIDIOC_QUERYCAP.
func (d *Device) Capability() (Capability, error) {
	var r rawCapability
	if err := ioctl(d.fd, opQueryCap, vidiocQueryCap, unsafe.Pointer(&r)); err != nil {
		return Capability{}, err
	}
	return Capability{
		Driver: cstr(r.Driver[:]), Card: cstr(r.Card[:]), BusInfo: cstr(r.BusInfo[:]),
		Version: r.Version, Capabilities: r.Capabilities, DeviceCaps: r.DeviceCaps,
	}, nil
}

// Format description flags (FormatDesc.Flags).
const (
	FmtFlagCompressed = 0x0001
	FmtFlagEmulated   = 0x0002
)

// FormatDesc is one pixel format a device offers (struct v4l2_fmtdesc).
type FormatDesc struct {
	Index       int
	Flags       uint32
	Description string // e.g. "Motion-JPEG"
	PixelFormat PixelFormat
}

// Compressed reports whether the format is compressed (MJPEG, H.264...).
func (f FormatDesc) Compressed() bool { return f.Flags&FmtFlagCompressed != 0 }

// Formats lists the pixel formats of buffer type t (VIDIOC_ENUM_FMT).
func (d *Device) Formats(t BufType) ([]FormatDesc, error) {
	var out []FormatDesc
	for i := 0; ; i++ {
		r := rawFmtDesc{Index: uint32(i), Type: uint32(t)}
		if err := ioctl(d.fd, opEnumFmt, vidiocEnumFmt, unsafe.Pointer(&r)); err != nil {
			if errors.Is(err, unix.EINVAL) {
				return out, nil
			}
			return out, err
		}
		out = append(out, FormatDesc{Index: i, Flags: r.Flags, Description: cstr(r.Description[:]), PixelFormat: PixelFormat(r.PixelFormat)})
	}
}

// Frame size and interval kinds (FrameSize.Type, FrameInterval.Type).
const (
	FrmDiscrete   = 1
	FrmContinuous = 2
	FrmStepwise   = 3
)

// FrameSize is a size a format offers (struct v4l2_frmsizeenum): one
// discrete Width x Height, or a range from Min to Max in Step increments.
type FrameSize struct {
	Type                             uint32 // FrmDiscrete, FrmContinuous or FrmStepwise
	Width, Height                    uint32 // FrmDiscrete
	MinWidth, MaxWidth, StepWidth    uint32 // FrmContinuous, FrmStepwise
	MinHeight, MaxHeight, StepHeight uint32
}

// String returns "WxH" or "WxH-WxH/step".
func (s FrameSize) String() string {
	if s.Type == FrmDiscrete {
		return fmt.Sprintf("%dx%d", s.Width, s.Height)
	}
	return fmt.Sprintf("%dx%d-%dx%d/%dx%d", s.MinWidth, s.MinHeight, s.MaxWidth, s.MaxHeight, s.StepWidth, s.StepHeight)
}

// FrameSizes lists the frame sizes of pixel format p
// (VIDIOC_ENUM_FRAMESIZES). A driver without the ioctl yields none.
func (d *Device) FrameSizes(p PixelFormat) ([]FrameSize, error) {
	var out []FrameSize
	for i := 0; ; i++ {
		r := rawFrmSizeEnum{Index: uint32(i), PixelFormat: uint32(p)}
		if err := ioctl(d.fd, opEnumFrameSizes, vidiocEnumFrameSizes, unsafe.Pointer(&r)); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
				return out, nil
			}
			return out, err
		}
		if r.Type == FrmDiscrete {
			out = append(out, FrameSize{Type: r.Type, Width: r.U[0], Height: r.U[1]})
			continue
		}
		out = append(out, FrameSize{Type: r.Type, MinWidth: r.U[0], MaxWidth: r.U[1], StepWidth: r.U[2],
			MinHeight: r.U[3], MaxHeight: r.U[4], StepHeight: r.U[5]})
		return out, nil // a range is the only entry
	}
}

// Fract is a fraction, used for frame intervals in seconds (1/30 is 30 fps).
type Fract struct {
	Numerator   uint32
	Denominator uint32
}

// FPS returns the frame rate of an interval: Denominator/Numerator, or 0
// when the interval is unset.
func (f Fract) FPS() float64 {
	if f.Numerator == 0 {
		return 0
	}
	return float64(f.Denominator) / float64(f.Numerator)
}

// String returns "N/D".
func (f Fract) String() string { return fmt.Sprintf("%d/%d", f.Numerator, f.Denominator) }

// FrameInterval is a frame interval a format and size offer (struct
// v4l2_frmivalenum): one discrete Interval, or a range from Min to Max.
type FrameInterval struct {
	Type           uint32 // FrmDiscrete, FrmContinuous or FrmStepwise
	Interval       Fract  // FrmDiscrete
	Min, Max, Step Fract  // FrmContinuous, FrmStepwise
}

// FrameIntervals lists the frame intervals of pixel format p at width x
// height (VIDIOC_ENUM_FRAMEINTERVALS). A driver without it yields none.
func (d *Device) FrameIntervals(p PixelFormat, width, height uint32) ([]FrameInterval, error) {
	var out []FrameInterval
	for i := 0; ; i++ {
		r := rawFrmIvalEnum{Index: uint32(i), PixelFormat: uint32(p), Width: width, Height: height}
		if err := ioctl(d.fd, opEnumFrameIntervals, vidiocEnumFrameIntervals, unsafe.Pointer(&r)); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
				return out, nil
			}
			return out, err
		}
		if r.Type == FrmDiscrete {
			out = append(out, FrameInterval{Type: r.Type, Interval: Fract{r.U[0], r.U[1]}})
			continue
		}
		out = append(out, FrameInterval{Type: r.Type, Min: Fract{r.U[0], r.U[1]}, Max: Fract{r.U[2], r.U[3]}, Step: Fract{r.U[4], r.U[5]}})
		return out, nil
	}
}

// PixFormat is a single-planar image format (struct v4l2_pix_format).
type PixFormat struct {
	Width, Height uint32
	PixelFormat   PixelFormat
	Field         uint32 // FieldAny, FieldNone, ...
	BytesPerLine  uint32 // stride of the first plane
	SizeImage     uint32 // bytes a buffer needs
	Colorspace    uint32
}

func (f *PixFormat) fromRaw(p *rawPixFormat) {
	*f = PixFormat{Width: p.Width, Height: p.Height, PixelFormat: PixelFormat(p.PixelFormat), Field: p.Field,
		BytesPerLine: p.BytesPerLine, SizeImage: p.SizeImage, Colorspace: p.Colorspace}
}

// Format returns the current format of buffer type t (VIDIOC_G_FMT).
func (d *Device) Format(t BufType) (PixFormat, error) {
	r := rawFormat{Type: uint32(t)}
	if err := ioctl(d.fd, opGFmt, vidiocGFmt, unsafe.Pointer(&r)); err != nil {
		return PixFormat{}, err
	}
	var f PixFormat
	f.fromRaw(r.pix())
	return f, nil
}

// SetFormat asks for format f on buffer type t (VIDIOC_S_FMT) and returns
// what the driver really set, read back with VIDIOC_G_FMT: drivers adjust
// sizes and formats silently. Only Width, Height, PixelFormat, Field and
// BytesPerLine of f are used.
func (d *Device) SetFormat(t BufType, f PixFormat) (PixFormat, error) {
	r := rawFormat{Type: uint32(t)}
	p := r.pix()
	p.Width, p.Height, p.PixelFormat, p.Field, p.BytesPerLine = f.Width, f.Height, uint32(f.PixelFormat), f.Field, f.BytesPerLine
	if err := ioctl(d.fd, opSFmt, vidiocSFmt, unsafe.Pointer(&r)); err != nil {
		return PixFormat{}, err
	}
	return d.Format(t)
}

// StreamParm capability bit: the driver supports setting the frame interval.
const CapTimePerFrame = 0x1000

// FrameRate returns the frame interval of buffer type t and the parameter
// capabilities (CapTimePerFrame) from VIDIOC_G_PARM.
func (d *Device) FrameRate(t BufType) (interval Fract, capability uint32, err error) {
	r := rawStreamParm{Type: uint32(t)}
	if err := ioctl(d.fd, opGParm, vidiocGParm, unsafe.Pointer(&r)); err != nil {
		return Fract{}, 0, err
	}
	c := r.capture()
	return Fract{c.TimePerFrame.Numerator, c.TimePerFrame.Denominator}, c.Capability, nil
}

// SetFrameRate asks for frame interval iv on buffer type t (VIDIOC_S_PARM)
// and returns the interval the driver really set (read back with G_PARM).
func (d *Device) SetFrameRate(t BufType, iv Fract) (Fract, error) {
	r := rawStreamParm{Type: uint32(t)}
	c := r.capture()
	c.TimePerFrame = rawFract(iv)
	if err := ioctl(d.fd, opSParm, vidiocSParm, unsafe.Pointer(&r)); err != nil {
		return Fract{}, err
	}
	got, _, err := d.FrameRate(t)
	return got, err
}

// Input is one video input of a device (struct v4l2_input).
type Input struct {
	Index        int
	Name         string
	Type         uint32 // 1 tuner, 2 camera, 3 touch
	Status       uint32 // V4L2_IN_ST_* bits; 0 means the input looks fine
	Capabilities uint32
}

// Inputs lists the video inputs (VIDIOC_ENUMINPUT).
func (d *Device) Inputs() ([]Input, error) {
	var out []Input
	for i := 0; ; i++ {
		r := rawInput{Index: uint32(i)}
		if err := ioctl(d.fd, opEnumInput, vidiocEnumInput, unsafe.Pointer(&r)); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) {
				return out, nil
			}
			return out, err
		}
		out = append(out, Input{Index: i, Name: cstr(r.Name[:]), Type: r.Type, Status: r.Status, Capabilities: r.Capabilities})
	}
}

// Input returns the index of the current input (VIDIOC_G_INPUT).
func (d *Device) Input() (int, error) {
	var v int32
	if err := ioctl(d.fd, opGInput, vidiocGInput, unsafe.Pointer(&v)); err != nil {
		return 0, err
	}
	return int(v), nil
}

// SetInput selects input i (VIDIOC_S_INPUT).
func (d *Device) SetInput(i int) error {
	v := int32(i)
	return ioctl(d.fd, opSInput, vidiocSInput, unsafe.Pointer(&v))
}
