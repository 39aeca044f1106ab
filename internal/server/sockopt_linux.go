package server

import (
	"errors"
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

// TCP states from <netinet/tcp.h>.
const (
	tcpEstablished = 1
	tcpCloseWait   = 8
)

// errConnGone is a stream whose connection was reset or closed.
var errConnGone = errors.New("connection closed")

// queued returns how many bytes over limit are queued on the socket,
// unsent or unacknowledged (SIOCOUTQ), and, when some are, how long the
// connection needs to deliver them at the rate the kernel measured
// (TCP_INFO; 10ms when it has none yet). The rate only paces the waiting:
// early in a connection it can be far too high. It allocates nothing when
// no more than limit are queued.
func (p *connPartWriter) queued(limit int) (excess int, wait time.Duration, err error) {
	p.q = queueState{limit: limit}
	if p.look == nil {
		p.look = p.lookQueue
	}
	if err := p.raw.Control(p.look); err != nil {
		return 0, 0, err
	}
	return p.q.excess, p.q.wait, p.q.err
}

// queueState carries queued's question and answer through RawConn.Control
// without a closure per call.
type queueState struct {
	limit, excess int
	wait          time.Duration
	err           error
}

func (p *connPartWriter) lookQueue(fd uintptr) {
	q, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	if err != nil || q <= p.q.limit {
		p.q.err = err
		return
	}
	info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	switch {
	case err != nil:
		p.q.err = err
		return
	case info.State != tcpEstablished && info.State != tcpCloseWait:
		// Reset or closed: what is queued will never drain.
		p.q.err = errConnGone
		return
	}
	p.q.excess = q - p.q.limit
	p.q.wait = 10 * time.Millisecond
	if info.Delivery_rate > 0 {
		p.q.wait = time.Duration(float64(p.q.excess) / float64(info.Delivery_rate) * float64(time.Second))
	}
}
