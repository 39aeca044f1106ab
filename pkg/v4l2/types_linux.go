package v4l2

import "unsafe"

// Hand-written copies of the uapi structs in <linux/videodev2.h>. Layouts
// that differ between architectures live in the layout_*.go files.

type rawCapability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

type rawFmtDesc struct {
	Index       uint32
	Type        uint32
	Flags       uint32
	Description [32]byte
	PixelFormat uint32
	MbusCode    uint32
	Reserved    [3]uint32
}

type rawFrmSizeEnum struct {
	Index       uint32
	PixelFormat uint32
	Type        uint32
	// Union: discrete {width, height} or stepwise {min_width, max_width,
	// step_width, min_height, max_height, step_height}.
	U        [6]uint32
	Reserved [2]uint32
}

type rawFrmIvalEnum struct {
	Index       uint32
	PixelFormat uint32
	Width       uint32
	Height      uint32
	Type        uint32
	// Union: discrete fract or stepwise {min, max, step} fracts.
	U        [6]uint32
	Reserved [2]uint32
}

type rawPixFormat struct {
	Width        uint32
	Height       uint32
	PixelFormat  uint32
	Field        uint32
	BytesPerLine uint32
	SizeImage    uint32
	Colorspace   uint32
	Priv         uint32
	Flags        uint32
	YcbcrEnc     uint32
	Quantization uint32
	XferFunc     uint32
}

// rawFormat is struct v4l2_format: the union holds pointers (v4l2_window),
// so on 64-bit architectures it starts at offset 8.
type rawFormat struct {
	Type uint32
	_    [formatPad]byte
	Fmt  [200]byte
}

func (f *rawFormat) pix() *rawPixFormat { return (*rawPixFormat)(unsafe.Pointer(&f.Fmt[0])) }

type rawFract struct {
	Numerator   uint32
	Denominator uint32
}

type rawCaptureParm struct {
	Capability   uint32
	CaptureMode  uint32
	TimePerFrame rawFract
	ExtendedMode uint32
	ReadBuffers  uint32
	Reserved     [4]uint32
}

type rawStreamParm struct {
	Type uint32
	Parm [200]byte
}

func (p *rawStreamParm) capture() *rawCaptureParm {
	return (*rawCaptureParm)(unsafe.Pointer(&p.Parm[0]))
}

type rawRequestBuffers struct {
	Count        uint32
	Type         uint32
	Memory       uint32
	Capabilities uint32
	Flags        uint8
	Reserved     [3]uint8
}

type rawQueryCtrl struct {
	ID           uint32
	Type         uint32
	Name         [32]byte
	Minimum      int32
	Maximum      int32
	Step         int32
	DefaultValue int32
	Flags        uint32
	Reserved     [2]uint32
}

// rawQueryMenu is struct v4l2_querymenu, which is packed: the union of
// name[32] and an s64 value is not 8-aligned.
type rawQueryMenu struct {
	ID       uint32
	Index    uint32
	Name     [32]byte // or a little-endian s64 for integer menus
	Reserved uint32
}

type rawControl struct {
	ID    uint32
	Value int32
}

// rawInput is struct v4l2_input; v4l2_std_id (a u64) is kept as two u32 so
// that only the trailing padding differs between architectures.
type rawInput struct {
	Index        uint32
	Name         [32]byte
	Type         uint32
	AudioSet     uint32
	Tuner        uint32
	Std          [2]uint32
	Status       uint32
	Capabilities uint32
	Reserved     [inputReserved]uint32
}

// Ioctl request numbers, _IOC(dir, 'V', nr, size). Those whose struct
// differs between architectures follow from the per-architecture layouts.
const (
	iocRW = iocRead | iocWrite

	vidiocQueryCap           = iocRead<<30 | unsafe.Sizeof(rawCapability{})<<16 | 'V'<<8 // nr 0
	vidiocEnumFmt            = iocRW<<30 | unsafe.Sizeof(rawFmtDesc{})<<16 | 'V'<<8 | 2
	vidiocGFmt               = iocRW<<30 | unsafe.Sizeof(rawFormat{})<<16 | 'V'<<8 | 4
	vidiocSFmt               = iocRW<<30 | unsafe.Sizeof(rawFormat{})<<16 | 'V'<<8 | 5
	vidiocReqBufs            = iocRW<<30 | unsafe.Sizeof(rawRequestBuffers{})<<16 | 'V'<<8 | 8
	vidiocQueryBuf           = iocRW<<30 | unsafe.Sizeof(rawBuffer{})<<16 | 'V'<<8 | 9
	vidiocQBuf               = iocRW<<30 | unsafe.Sizeof(rawBuffer{})<<16 | 'V'<<8 | 15
	vidiocDQBuf              = iocRW<<30 | unsafe.Sizeof(rawBuffer{})<<16 | 'V'<<8 | 17
	vidiocStreamOn           = iocWrite<<30 | 4<<16 | 'V'<<8 | 18
	vidiocStreamOff          = iocWrite<<30 | 4<<16 | 'V'<<8 | 19
	vidiocGParm              = iocRW<<30 | unsafe.Sizeof(rawStreamParm{})<<16 | 'V'<<8 | 21
	vidiocSParm              = iocRW<<30 | unsafe.Sizeof(rawStreamParm{})<<16 | 'V'<<8 | 22
	vidiocGCtrl              = iocRW<<30 | unsafe.Sizeof(rawControl{})<<16 | 'V'<<8 | 27
	vidiocSCtrl              = iocRW<<30 | unsafe.Sizeof(rawControl{})<<16 | 'V'<<8 | 28
	vidiocEnumInput          = iocRW<<30 | unsafe.Sizeof(rawInput{})<<16 | 'V'<<8 | 26
	vidiocQueryCtrl          = iocRW<<30 | unsafe.Sizeof(rawQueryCtrl{})<<16 | 'V'<<8 | 36
	vidiocQueryMenu          = iocRW<<30 | unsafe.Sizeof(rawQueryMenu{})<<16 | 'V'<<8 | 37
	vidiocGInput             = iocRead<<30 | 4<<16 | 'V'<<8 | 38
	vidiocSInput             = iocRW<<30 | 4<<16 | 'V'<<8 | 39
	vidiocEnumFrameSizes     = iocRW<<30 | unsafe.Sizeof(rawFrmSizeEnum{})<<16 | 'V'<<8 | 74
	vidiocEnumFrameIntervals = iocRW<<30 | unsafe.Sizeof(rawFrmIvalEnum{})<<16 | 'V'<<8 | 75
)

// Ioctl names, for errors.
const (
	opQueryCap           = "VIDIOC_QUERYCAP"
	opEnumFmt            = "VIDIOC_ENUM_FMT"
	opGFmt               = "VIDIOC_G_FMT"
	opSFmt               = "VIDIOC_S_FMT"
	opReqBufs            = "VIDIOC_REQBUFS"
	opQueryBuf           = "VIDIOC_QUERYBUF"
	opQBuf               = "VIDIOC_QBUF"
	opDQBuf              = "VIDIOC_DQBUF"
	opStreamOn           = "VIDIOC_STREAMON"
	opStreamOff          = "VIDIOC_STREAMOFF"
	opGParm              = "VIDIOC_G_PARM"
	opSParm              = "VIDIOC_S_PARM"
	opGCtrl              = "VIDIOC_G_CTRL"
	opSCtrl              = "VIDIOC_S_CTRL"
	opEnumInput          = "VIDIOC_ENUMINPUT"
	opQueryCtrl          = "VIDIOC_QUERYCTRL"
	opQueryMenu          = "VIDIOC_QUERYMENU"
	opGInput             = "VIDIOC_G_INPUT"
	opSInput             = "VIDIOC_S_INPUT"
	opEnumFrameSizes     = "VIDIOC_ENUM_FRAMESIZES"
	opEnumFrameIntervals = "VIDIOC_ENUM_FRAMEINTERVALS"
)
