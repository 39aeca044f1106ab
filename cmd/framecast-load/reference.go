package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/framecast/framecast/internal/source/file"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// refFrame is one published frame of the reference server: its part
// header (rendered once), and a channel closed when a newer frame replaces it.
type refFrame struct {
	header []byte
	data   []byte
	next   chan struct{}
}

// reference is the minimal raw-socket server framecast is measured against:
// it replays the same file through the same file source as framecast, and
// writes each new frame to every connection as the same multipart part
// (header, JPEG, trailer) in one writev, with no HTTP at all. Like
// framecast it keeps only the latest frame, so a slow reader skips frames.
type reference struct {
	path  string
	fps   int
	lowat int // TCP_NOTSENT_LOWAT for every socket; 0 leaves the default
	cur   atomic.Pointer[refFrame]
}

// loadFrames reads every JPEG of an MJPEG file into memory.
func loadFrames(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sp := mjpeg.NewSplitter(f, 0)
	var frames [][]byte
	for {
		b, err := sp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		frames = append(frames, b)
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("%s: no JPEG frames", path)
	}
	return frames, nil
}

// serve publishes frames and serves ln until ctx ends.
func (r *reference) serve(ctx context.Context, ln net.Listener) error {
	r.cur.Store(&refFrame{next: make(chan struct{})})
	go r.publish(ctx)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go r.conn(ctx, c)
	}
}

// publish runs the file source, making each frame the latest.
func (r *reference) publish(ctx context.Context) {
	src := &file.Source{Path: r.path, FPS: r.fps}
	err := src.Run(ctx, func(mf mjpeg.Frame) {
		f := &refFrame{data: mf.Data, next: make(chan struct{})}
		f.header = mjpeg.AppendPartHeader(make([]byte, 0, 96), mf)
		old := r.cur.Swap(f)
		close(old.next)
	})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "framecast-load: reference source:", err)
		os.Exit(1)
	}
}

var (
	refOpening = mjpeg.OpeningBoundary(mjpeg.Boundary)
	refTrailer = mjpeg.PartTrailer(mjpeg.Boundary)
)

// conn writes every newest frame to c until a write fails or ctx ends.
func (r *reference) conn(ctx context.Context, c net.Conn) {
	defer c.Close()
	if r.lowat > 0 {
		if err := setNotSentLowat(c, r.lowat); err != nil {
			return
		}
	}
	if _, err := c.Write(refOpening); err != nil {
		return
	}
	var arr [3][]byte
	f := r.cur.Load()
	for {
		select {
		case <-f.next:
		case <-ctx.Done():
			return
		}
		f = r.cur.Load()
		arr = [3][]byte{f.header, f.data, refTrailer}
		bufs := net.Buffers(arr[:])
		if _, err := bufs.WriteTo(c); err != nil {
			return
		}
	}
}

// tcpNotSentLowat is TCP_NOTSENT_LOWAT from <linux/tcp.h>.
const tcpNotSentLowat = 25

func setNotSentLowat(c net.Conn, n int) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return errors.New("not a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotSentLowat, n)
	}); err != nil {
		return err
	}
	return serr
}
