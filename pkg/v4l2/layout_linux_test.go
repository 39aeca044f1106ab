package v4l2

import (
	"runtime"
	"testing"
	"unsafe"
)

// The kernel's values, from <linux/videodev2.h> as compiled for each
// architecture (amd64 checked against a running kernel, see
// shared/notes/v4l2-in-qemu.md).
type layout struct {
	format, buffer, input uintptr
	bufferTime32          uintptr // 32-bit time v4l2_buffer; 0 where there is none
	formatUnion           uintptr // offset of v4l2_format.fmt
	timestamp, m          uintptr // offsets in v4l2_buffer
	gFmt, queryBuf, dqBuf uintptr
	enumInput             uintptr
}

var layouts = map[string]layout{
	"amd64": {format: 208, buffer: 88, input: 80, formatUnion: 8, timestamp: 24, m: 64,
		gFmt: 0xc0d05604, queryBuf: 0xc0585609, dqBuf: 0xc0585611, enumInput: 0xc050561a},
	"386": {format: 204, buffer: 76, input: 76, bufferTime32: 68, formatUnion: 4, timestamp: 20, m: 60,
		gFmt: 0xc0cc5604, queryBuf: 0xc04c5609, dqBuf: 0xc04c5611, enumInput: 0xc04c561a},
	"arm": {format: 204, buffer: 80, input: 80, bufferTime32: 68, formatUnion: 4, timestamp: 24, m: 64,
		gFmt: 0xc0cc5604, queryBuf: 0xc0505609, dqBuf: 0xc0505611, enumInput: 0xc050561a},
}

func init() {
	for _, a := range []string{"arm64", "riscv64", "loong64"} {
		layouts[a] = layouts["amd64"]
	}
}

func TestLayout(t *testing.T) {
	want, ok := layouts[runtime.GOARCH]
	if !ok {
		t.Fatalf("no expected layout for GOARCH=%s", runtime.GOARCH)
	}
	var f rawFormat
	var b rawBuffer
	sizes := []struct {
		name      string
		got, want uintptr
	}{
		{"v4l2_capability", unsafe.Sizeof(rawCapability{}), 104},
		{"v4l2_fmtdesc", unsafe.Sizeof(rawFmtDesc{}), 64},
		{"v4l2_frmsizeenum", unsafe.Sizeof(rawFrmSizeEnum{}), 44},
		{"v4l2_frmivalenum", unsafe.Sizeof(rawFrmIvalEnum{}), 52},
		{"v4l2_pix_format", unsafe.Sizeof(rawPixFormat{}), 48},
		{"v4l2_format", unsafe.Sizeof(f), want.format},
		{"v4l2_format.fmt offset", unsafe.Offsetof(f.Fmt), want.formatUnion},
		{"v4l2_captureparm", unsafe.Sizeof(rawCaptureParm{}), 40},
		{"v4l2_streamparm", unsafe.Sizeof(rawStreamParm{}), 204},
		{"v4l2_requestbuffers", unsafe.Sizeof(rawRequestBuffers{}), 20},
		{"v4l2_buffer", unsafe.Sizeof(b), want.buffer},
		{"v4l2_buffer.timestamp offset", unsafe.Offsetof(b.Sec), want.timestamp},
		{"v4l2_buffer.m offset", unsafe.Offsetof(b.M), want.m},
		{"v4l2_queryctrl", unsafe.Sizeof(rawQueryCtrl{}), 68},
		{"v4l2_querymenu", unsafe.Sizeof(rawQueryMenu{}), 44},
		{"v4l2_control", unsafe.Sizeof(rawControl{}), 8},
		{"v4l2_input", unsafe.Sizeof(rawInput{}), want.input},
	}
	sizes = append(sizes, time32Sizes()...)
	if want.bufferTime32 != 0 && len(time32Sizes()) == 0 {
		t.Errorf("no 32-bit time v4l2_buffer on %s", runtime.GOARCH)
	}
	for _, s := range sizes {
		if s.got != s.want {
			t.Errorf("%s: %d bytes here, the kernel's is %d", s.name, s.got, s.want)
		}
	}
	numbers := []struct {
		name      string
		got, want uintptr
	}{
		{"QUERYCAP", vidiocQueryCap, 0x80685600},
		{"ENUM_FMT", vidiocEnumFmt, 0xc0405602},
		{"G_FMT", vidiocGFmt, want.gFmt},
		{"S_FMT", vidiocSFmt, want.gFmt + 1},
		{"REQBUFS", vidiocReqBufs, 0xc0145608},
		{"QUERYBUF", vidiocQueryBuf, want.queryBuf},
		{"QBUF", vidiocQBuf, want.queryBuf - 9 + 15},
		{"DQBUF", vidiocDQBuf, want.dqBuf},
		{"STREAMON", vidiocStreamOn, 0x40045612},
		{"STREAMOFF", vidiocStreamOff, 0x40045613},
		{"G_PARM", vidiocGParm, 0xc0cc5615},
		{"S_PARM", vidiocSParm, 0xc0cc5616},
		{"G_CTRL", vidiocGCtrl, 0xc008561b},
		{"S_CTRL", vidiocSCtrl, 0xc008561c},
		{"ENUMINPUT", vidiocEnumInput, want.enumInput},
		{"QUERYCTRL", vidiocQueryCtrl, 0xc0445624},
		{"QUERYMENU", vidiocQueryMenu, 0xc02c5625},
		{"G_INPUT", vidiocGInput, 0x80045626},
		{"S_INPUT", vidiocSInput, 0xc0045627},
		{"ENUM_FRAMESIZES", vidiocEnumFrameSizes, 0xc02c564a},
		{"ENUM_FRAMEINTERVALS", vidiocEnumFrameIntervals, 0xc034564b},
	}
	for _, n := range numbers {
		if n.got != n.want {
			t.Errorf("VIDIOC_%s: %#x here, the kernel's is %#x", n.name, n.got, n.want)
		}
	}
}

func TestPixelFormatString(t *testing.T) {
	tests := []struct {
		p    PixelFormat
		want string
	}{
		{PixelMJPEG, "MJPG"},
		{PixelYUYV, "YUYV"},
		{FourCC('Y', '1', '6', ' ') | 1<<31, "Y16-BE"},
		{FourCC('R', 'G', 'B', 1), "RGB?"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#x: %q, want %q", uint32(tt.p), got, tt.want)
		}
		if tt.want == "MJPG" || tt.want == "YUYV" {
			if p, ok := ParsePixelFormat(tt.want); !ok || p != tt.p {
				t.Errorf("ParsePixelFormat(%q) = %v, %v", tt.want, p, ok)
			}
		}
	}
}
