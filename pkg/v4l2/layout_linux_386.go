package v4l2

const (
	formatPad     = 0 // the union of v4l2_format is 4-aligned
	inputReserved = 3 // u64 is 4-aligned on i386: v4l2_input is 76 bytes
)

// rawBuffer is struct v4l2_buffer with 64-bit time (76 bytes on i386, where
// s64 is 4-aligned), the layout kernels 5.6 and later use natively.
type rawBuffer struct {
	Index     uint32
	Type      uint32
	BytesUsed uint32
	Flags     uint32
	Field     uint32
	Sec       int64 // at offset 20
	Usec      int64
	Timecode  [16]byte
	Sequence  uint32
	Memory    uint32
	M         uint32
	Length    uint32
	Reserved2 uint32
	RequestFD int32
}
