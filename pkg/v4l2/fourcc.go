package v4l2

// PixelFormat is a V4L2 four-character code such as "YUYV" or "MJPG".
type PixelFormat uint32

// FourCC returns the PixelFormat of the four characters a, b, c, d.
func FourCC(a, b, c, d byte) PixelFormat {
	return PixelFormat(uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24)
}

// Pixel formats framecast knows how to use.
var (
	PixelMJPEG = FourCC('M', 'J', 'P', 'G') // Motion-JPEG
	PixelJPEG  = FourCC('J', 'P', 'E', 'G') // JFIF JPEG, treated like MJPG
	PixelYUYV  = FourCC('Y', 'U', 'Y', 'V') // packed 4:2:2, Y0 U Y1 V
	PixelUYVY  = FourCC('U', 'Y', 'V', 'Y') // packed 4:2:2, U Y0 V Y1
	PixelNV12  = FourCC('N', 'V', '1', '2') // Y plane, then interleaved CbCr at 4:2:0
	PixelYU12  = FourCC('Y', 'U', '1', '2') // planar 4:2:0: Y, Cb, Cr (I420)
	PixelYV12  = FourCC('Y', 'V', '1', '2') // planar 4:2:0: Y, Cr, Cb
	PixelH264  = FourCC('H', '2', '6', '4') // H.264 in Annex-B form (with start codes)
)

// String returns the four characters, with trailing spaces trimmed; a code
// with the big-endian bit (1<<31) set gets a "-BE" suffix.
func (p PixelFormat) String() string {
	b := []byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p>>24) & 0x7f}
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	s := string(b)
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	if p&(1<<31) != 0 {
		s += "-BE"
	}
	return s
}

// ParsePixelFormat returns the PixelFormat of a four-character code; shorter
// codes are padded with spaces. It reports false for codes longer than four.
func ParsePixelFormat(s string) (PixelFormat, bool) {
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	b := []byte("    ")
	copy(b, s)
	return FourCC(b[0], b[1], b[2], b[3]), true
}

// MarshalText returns the four-character code, for JSON.
func (p PixelFormat) MarshalText() ([]byte, error) { return []byte(p.String()), nil }
