// Package mjpeg handles Motion JPEG: it cuts whole JPEG frames out of a byte
// stream, and writes and reads multipart/x-mixed-replace streams.
//
// It knows nothing of cameras or HTTP routing.
package mjpeg

import "time"

// Frame is one JPEG picture and the time it was captured.
//
// A Frame is immutable once it has been handed on: Data is shared by every
// viewer and must never be written to again.
type Frame struct {
	// Data holds one whole JPEG, SOI to EOI.
	Data []byte
	// Time is when the picture was captured (or, when the source cannot
	// tell, when its last byte arrived).
	Time time.Time
}
