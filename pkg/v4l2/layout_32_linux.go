//go:build linux && (386 || arm)

package v4l2

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// time32 is set once the kernel turned down the 64-bit time v4l2_buffer:
// kernels before 5.6 know only the 32-bit one, for every device alike.
var time32 atomic.Bool

// rawBuffer32 is struct v4l2_buffer with a 32-bit struct timeval (68 bytes),
// the only layout kernels before 5.6 know (VIDIOC_*_TIME32 in later ones).
type rawBuffer32 struct {
	Index     uint32
	Type      uint32
	BytesUsed uint32
	Flags     uint32
	Field     uint32
	Sec       int32
	Usec      int32
	Timecode  [16]byte
	Sequence  uint32
	Memory    uint32
	M         uint32
	Length    uint32
	Reserved2 uint32
	RequestFD int32
}

func (r *rawBuffer) set(b *Buffer) {
	*r = rawBuffer{Index: uint32(b.Index), Type: uint32(b.Type), Memory: b.Memory, M: b.Offset}
}

func (r *rawBuffer) get(b *Buffer) {
	b.fromRaw(r.Index, r.Type, r.BytesUsed, r.Flags, r.Field, r.Sec, r.Usec, r.Sequence, r.Memory, r.M, r.Length)
}

func (r *rawBuffer32) set(b *Buffer) {
	*r = rawBuffer32{Index: uint32(b.Index), Type: uint32(b.Type), Memory: b.Memory, M: b.Offset}
}

func (r *rawBuffer32) get(b *Buffer) {
	b.fromRaw(r.Index, r.Type, r.BytesUsed, r.Flags, r.Field, int64(r.Sec), int64(r.Usec), r.Sequence, r.Memory, r.M, r.Length)
}

// bufferIoctl runs QUERYBUF, QBUF or DQBUF with b's index, type and memory,
// and fills b from the kernel's answer. It tries the 64-bit time layout first
// and falls back for good to the 32-bit one when the kernel does not know it.
func (d *Device) bufferIoctl(op string, nr uintptr, b *Buffer) error {
	if !time32.Load() {
		var r rawBuffer
		r.set(b)
		err := ioctl(d.fd, op, iocRW<<30|unsafe.Sizeof(r)<<16|'V'<<8|nr, unsafe.Pointer(&r))
		if err == nil {
			r.get(b)
			return nil
		}
		var e *Error
		if !errors.As(err, &e) || e.Err != unix.ENOTTY {
			return err
		}
		time32.Store(true)
	}
	var r rawBuffer32
	r.set(b)
	if err := ioctl(d.fd, op, iocRW<<30|unsafe.Sizeof(r)<<16|'V'<<8|nr, unsafe.Pointer(&r)); err != nil {
		return err
	}
	r.get(b)
	return nil
}
