package mjpeg

import "strconv"

// Boundary is the multipart boundary framecast writes.
const Boundary = "framecast"

// ContentType returns the Content-Type of a multipart/x-mixed-replace stream
// with the given boundary, such as
// "multipart/x-mixed-replace;boundary=framecast".
func ContentType(boundary string) string {
	return "multipart/x-mixed-replace;boundary=" + boundary
}

// OpeningBoundary returns the delimiter line that opens a stream,
// "--" + boundary + "\r\n". It is written once, before the first part.
func OpeningBoundary(boundary string) []byte {
	return []byte("--" + boundary + "\r\n")
}

// PartTrailer returns the bytes written after every part's JPEG,
// "\r\n--" + boundary + "\r\n": they end the part at once, so that a browser
// shows it without waiting for the next one, and open the next part.
func PartTrailer(boundary string) []byte {
	return []byte("\r\n--" + boundary + "\r\n")
}

// AppendPartHeader appends the header block of the part carrying f to dst
// and returns the extended slice:
//
//	Content-Type: image/jpeg\r\n
//	Content-Length: N\r\n
//	X-Timestamp: 1732500000.123456\r\n
//	\r\n
//
// X-Timestamp is f.Time in seconds since the Unix epoch with six decimals;
// it is left out when f.Time is the zero Time. AppendPartHeader does not
// allocate when dst has room for the header (PartHeaderMaxLen bytes).
func AppendPartHeader(dst []byte, f Frame) []byte {
	dst = append(dst, "Content-Type: image/jpeg\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(f.Data)), 10)
	if !f.Time.IsZero() {
		dst = append(dst, "\r\nX-Timestamp: "...)
		us := f.Time.UnixMicro()
		if us < 0 {
			dst = append(dst, '-')
			us = -us
		}
		dst = strconv.AppendInt(dst, us/1e6, 10)
		dst = append(dst, '.')
		frac := us % 1e6
		for d := int64(1e5); d > 0; d /= 10 {
			dst = append(dst, byte('0'+frac/d%10))
		}
	}
	return append(dst, "\r\n\r\n"...)
}

// PartHeaderMaxLen is the longest header block AppendPartHeader appends.
const PartHeaderMaxLen = len("Content-Type: image/jpeg\r\nContent-Length: \r\nX-Timestamp: -.000000\r\n\r\n") + 2*19
