//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package v4l2

import "unsafe"

const (
	formatPad     = 4 // v4l2_format's union is 8-aligned
	inputReserved = 4 // v4l2_input is padded to 80 bytes (its u64 std)
)

// rawBuffer is struct v4l2_buffer on 64-bit architectures (88 bytes).
type rawBuffer struct {
	Index     uint32
	Type      uint32
	BytesUsed uint32
	Flags     uint32
	Field     uint32
	Sec       int64 // struct timeval, at offset 24
	Usec      int64
	Timecode  [16]byte
	Sequence  uint32
	Memory    uint32
	M         uint64 // union: offset (u32), userptr, planes, fd
	Length    uint32
	Reserved2 uint32
	RequestFD int32
}

func (r *rawBuffer) set(b *Buffer) {
	*r = rawBuffer{Index: uint32(b.Index), Type: uint32(b.Type), Memory: b.Memory, M: uint64(b.Offset)}
}

func (r *rawBuffer) get(b *Buffer) {
	b.fromRaw(r.Index, r.Type, r.BytesUsed, r.Flags, r.Field, r.Sec, r.Usec, r.Sequence, r.Memory, uint32(r.M), r.Length)
}

// bufferIoctl runs QUERYBUF, QBUF or DQBUF with b's index, type and memory,
// and fills b from the kernel's answer.
func (d *Device) bufferIoctl(op string, nr uintptr, b *Buffer) error {
	var r rawBuffer
	r.set(b)
	if err := ioctl(d.fd, op, iocRW<<30|unsafe.Sizeof(r)<<16|'V'<<8|nr, unsafe.Pointer(&r)); err != nil {
		return err
	}
	r.get(b)
	return nil
}
