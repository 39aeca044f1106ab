package v4l2

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrDisconnected is matched (with errors.Is) by errors from a device that has
// gone away: ENODEV from an ioctl, or POLLHUP from poll. The device must be
// closed; it may be opened again once it is back.
var ErrDisconnected = errors.New("v4l2: device disconnected")

// ErrTimeout is returned by Stream.Next when no frame arrived in time.
var ErrTimeout = errors.New("v4l2: timed out waiting for a frame")

// ErrInterrupted is returned by Stream.Next after Stream.Interrupt was called.
var ErrInterrupted = errors.New("v4l2: wait interrupted")

// Error is a failed ioctl: its name and the errno the kernel returned.
type Error struct {
	Op  string     // the ioctl, e.g. "VIDIOC_DQBUF"
	Err unix.Errno // the kernel's error
}

// Error returns "v4l2: OP: message".
func (e *Error) Error() string { return fmt.Sprintf("v4l2: %s: %v", e.Op, e.Err) }

// Unwrap returns the errno, so errors.Is(err, unix.EINVAL) works.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is ErrDisconnected and the errno says the device
// is gone (ENODEV).
func (e *Error) Is(target error) bool {
	return target == ErrDisconnected && e.Err == unix.ENODEV
}

// The generic Linux _IOC encoding, used by x86, arm, arm64, riscv and loong64.
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2
)

// ioctl runs one ioctl, retrying on EINTR.
func ioctl(fd int, op string, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return &Error{Op: op, Err: e}
	}
}
