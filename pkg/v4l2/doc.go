// Package v4l2 talks to Linux Video4Linux2 capture devices through raw
// ioctls: capability and format queries, frame sizes and intervals, controls,
// inputs, and memory-mapped streaming with poll-based waiting.
//
// It is pure Go (no cgo) and knows nothing of framecast. Struct layouts and
// ioctl numbers are written by hand for each supported architecture (amd64,
// arm64, riscv64, loong64, 386 and arm); on 32-bit architectures both layouts
// of struct v4l2_buffer are handled: the 64-bit time one that kernels 5.6 and
// later use natively, and the older 32-bit time one.
//
// A device that disappears while open (a USB camera unplugged) makes every
// call fail with an error that matches ErrDisconnected under errors.Is.
package v4l2
