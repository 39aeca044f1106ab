package server

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tcpNotSentLowat is TCP_NOTSENT_LOWAT from <linux/tcp.h>, the same on
// every Linux architecture.
const tcpNotSentLowat = 25

// setNotSentLowat sets TCP_NOTSENT_LOWAT on raw's socket.
func setNotSentLowat(raw syscall.RawConn, n int) error {
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotSentLowat, n)
	}); err != nil {
		return err
	}
	return serr
}

// pollFd is struct pollfd.
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const pollOut = 0x4 // POLLOUT

// writable reports whether fd can take data now; with TCP_NOTSENT_LOWAT set
// that means fewer unsent bytes than the mark. Asking the socket through
// poll(2) also arms the kernel's wake-up for when it becomes writable, which
// RawConn.Write then waits for.
func (p *connPartWriter) writable(fd uintptr) bool {
	pfd := pollFd{fd: int32(fd), events: pollOut}
	var ts syscall.Timespec // zero: do not wait
	n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	if errno != 0 {
		return true // let the next write find out what is wrong
	}
	return n > 0 // POLLOUT, or an error the next write reports
}

// queued returns how many bytes over limit are queued on the socket,
// unsent or unacknowledged (SIOCOUTQ), and, when some are, how long the
// connection needs to deliver them at the rate the kernel measured
// (TCP_INFO; 10ms when it has none yet). The rate only paces the waiting:
// early in a connection it can be far too high.
func (p *connPartWriter) queued(limit int) (excess int, wait time.Duration, err error) {
	var serr error
	err = p.raw.Control(func(fd uintptr) {
		q, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
		if err != nil || q <= limit {
			serr = err
			return
		}
		excess = q - limit
		wait = 10 * time.Millisecond
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil && info.Delivery_rate > 0 {
			wait = time.Duration(float64(excess) / float64(info.Delivery_rate) * float64(time.Second))
		}
	})
	if err == nil {
		err = serr
	}
	return excess, wait, err
}
