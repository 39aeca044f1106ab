package v4l2

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Buffer flags (Buffer.Flags).
const (
	BufFlagMapped             = 0x00000001
	BufFlagQueued             = 0x00000002
	BufFlagDone               = 0x00000004
	BufFlagError              = 0x00000040 // the data may be corrupt
	BufFlagTimestampMask      = 0x0000e000
	BufFlagTimestampMonotonic = 0x00002000 // Timestamp is CLOCK_MONOTONIC
	BufFlagTimestampCopy      = 0x00004000
)

const memoryMMAP = 1

// ioctl numbers (the nr part) of the buffer ioctls, whose size varies.
const (
	nrQueryBuf = 9
	nrQBuf     = 15
	nrDQBuf    = 17
)

// Buffer is one video buffer (struct v4l2_buffer, single-planar, mmap).
type Buffer struct {
	Index     int
	Type      BufType
	BytesUsed int
	Flags     uint32
	Field     uint32
	// Timestamp is the capture time on the clock the flags name: for
	// BufFlagTimestampMonotonic, CLOCK_MONOTONIC (time since boot).
	Timestamp time.Duration
	Sequence  uint32 // frame counter; gaps mean dropped frames
	Memory    uint32
	Offset    uint32 // mmap offset
	Length    int    // buffer size
}

func (b *Buffer) fromRaw(index, typ, bytesUsed, flags, field uint32, sec, usec int64, seq, mem, offset, length uint32) {
	*b = Buffer{Index: int(index), Type: BufType(typ), BytesUsed: int(bytesUsed), Flags: flags, Field: field,
		Timestamp: time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond,
		Sequence:  seq, Memory: mem, Offset: offset, Length: int(length)}
}

// Monotonic reports whether Timestamp is on CLOCK_MONOTONIC.
func (b *Buffer) Monotonic() bool {
	return b.Flags&BufFlagTimestampMask == BufFlagTimestampMonotonic
}

// Frame is a dequeued buffer and its bytes. Data points into the driver's
// memory: it is valid only until the frame is given back with
// Stream.Requeue, and must not be written.
type Frame struct {
	Buffer
	Data []byte
}

// Stream is memory-mapped streaming capture on a Device. One goroutine at
// a time calls Next and Requeue; Interrupt may be called from any goroutine.
type Stream struct {
	d           *Device
	typ         BufType
	bufs        [][]byte
	interrupted atomic.Bool
	mu          sync.Mutex // guards wake against Interrupt racing Close
	wake        int        // eventfd written by Interrupt
	on          bool       // streaming
	requested   bool       // buffers requested
}

// StartStream requests count mmap buffers for video capture (the driver may
// grant a different number), maps and queues them all, and starts
// streaming. Set the format before.
func (d *Device) StartStream(count int) (*Stream, error) {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("v4l2: eventfd: %w", err)
	}
	s := &Stream{d: d, typ: BufVideoCapture, wake: wake}
	if err := s.start(count); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stream) start(count int) error {
	d := s.d
	rb := rawRequestBuffers{Count: uint32(count), Type: uint32(s.typ), Memory: memoryMMAP}
	if err := ioctl(d.fd, opReqBufs, vidiocReqBufs, unsafe.Pointer(&rb)); err != nil {
		return err
	}
	if rb.Count == 0 {
		return fmt.Errorf("v4l2: %s granted no buffers", d.path)
	}
	s.requested = true
	for i := 0; i < int(rb.Count); i++ {
		b := Buffer{Index: i, Type: s.typ, Memory: memoryMMAP}
		if err := d.bufferIoctl(opQueryBuf, nrQueryBuf, &b); err != nil {
			return err
		}
		m, err := unix.Mmap(d.fd, int64(b.Offset), b.Length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("v4l2: mmap buffer %d of %s: %w", i, d.path, err)
		}
		s.bufs = append(s.bufs, m)
		if err := d.bufferIoctl(opQBuf, nrQBuf, &b); err != nil {
			return err
		}
	}
	t := int32(s.typ)
	if err := ioctl(d.fd, opStreamOn, vidiocStreamOn, unsafe.Pointer(&t)); err != nil {
		return err
	}
	s.on = true
	return nil
}

// Buffers returns how many buffers the driver granted.
func (s *Stream) Buffers() int { return len(s.bufs) }

// Next waits up to timeout for a filled buffer and dequeues it. It returns
// ErrTimeout when none came, ErrInterrupted after Interrupt, and an error
// matching ErrDisconnected when the device went away. The frame must be
// given back with Requeue.
func (s *Stream) Next(timeout time.Duration) (Frame, error) {
	deadline := time.Now().Add(timeout)
	pollErr := false
	for {
		if s.interrupted.Load() {
			return Frame{}, ErrInterrupted
		}
		b := Buffer{Type: s.typ, Memory: memoryMMAP}
		err := s.d.bufferIoctl(opDQBuf, nrDQBuf, &b)
		if err == nil {
			if b.Index < 0 || b.Index >= len(s.bufs) {
				return Frame{}, fmt.Errorf("v4l2: DQBUF returned buffer %d of %d", b.Index, len(s.bufs))
			}
			data := s.bufs[b.Index]
			return Frame{Buffer: b, Data: data[:min(b.BytesUsed, len(data))]}, nil
		}
		if !errors.Is(err, unix.EAGAIN) {
			return Frame{}, err
		}
		if pollErr {
			return Frame{}, fmt.Errorf("v4l2: %s: poll reported an error and no buffer is ready", s.d.path)
		}
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return Frame{}, ErrTimeout
		}
		fds := []unix.PollFd{{Fd: int32(s.d.fd), Events: unix.POLLIN}, {Fd: int32(s.wake), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Frame{}, fmt.Errorf("v4l2: poll %s: %w", s.d.path, err)
		}
		if n == 0 {
			return Frame{}, ErrTimeout
		}
		if fds[1].Revents != 0 {
			return Frame{}, ErrInterrupted
		}
		switch r := fds[0].Revents; {
		case r&unix.POLLHUP != 0:
			return Frame{}, fmt.Errorf("%w: %s: poll revents %#x", ErrDisconnected, s.d.path, r)
		case r&unix.POLLNVAL != 0:
			return Frame{}, fmt.Errorf("v4l2: %s: poll: descriptor not open", s.d.path)
		case r&unix.POLLERR != 0:
			// DQBUF tells which error it is (ENODEV, EIO...).
			pollErr = true
		}
	}
}

// Requeue gives a frame's buffer back to the driver to be filled again.
func (s *Stream) Requeue(f Frame) error {
	b := Buffer{Index: f.Index, Type: s.typ, Memory: memoryMMAP}
	return s.d.bufferIoctl(opQBuf, nrQBuf, &b)
}

// Interrupt makes a waiting Next, and every later one, return
// ErrInterrupted. It is safe to call from any goroutine, before or after Close.
func (s *Stream) Interrupt() {
	s.interrupted.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wake >= 0 {
		one := [8]byte{1}
		unix.Write(s.wake, one[:])
	}
}

// Close stops streaming, unmaps and frees the buffers. Errors from a device
// that has gone away are ignored: the buffers are released either way.
func (s *Stream) Close() error {
	var first error
	if s.on {
		t := int32(s.typ)
		if err := ioctl(s.d.fd, opStreamOff, vidiocStreamOff, unsafe.Pointer(&t)); err != nil && !errors.Is(err, ErrDisconnected) {
			first = err
		}
		s.on = false
	}
	for _, m := range s.bufs {
		if err := unix.Munmap(m); err != nil && first == nil {
			first = err
		}
	}
	s.bufs = nil
	if s.requested {
		s.requested = false
		rb := rawRequestBuffers{Type: uint32(s.typ), Memory: memoryMMAP}
		if err := ioctl(s.d.fd, opReqBufs, vidiocReqBufs, unsafe.Pointer(&rb)); err != nil && !errors.Is(err, ErrDisconnected) && first == nil {
			first = err
		}
	}
	s.mu.Lock()
	if s.wake >= 0 {
		unix.Close(s.wake)
		s.wake = -1
	}
	s.mu.Unlock()
	return first
}
