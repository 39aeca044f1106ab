// Package file replays recorded footage as a camera: a .mjpeg file of
// concatenated JPEGs, or a folder of .jpg files, looped at a fixed rate.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// Source replays Path at FPS frames per second, from the start again at its end.
type Source struct {
	// Path is a file of concatenated JPEGs or a folder of .jpg/.jpeg files
	// (played in name order).
	Path string
	// FPS is the replay rate; zero means 30.
	FPS int
	// MaxFrameSize bounds one frame; zero means mjpeg.DefaultMaxFrameSize.
	MaxFrameSize int

	dropped atomic.Int64
}

// Dropped counts the broken frames skipped so far.
func (s *Source) Dropped() int64 { return s.dropped.Load() }

// Check reports whether Path can be played: it exists and is a file or a
// folder with at least one .jpg or .jpeg file.
func (s *Source) Check() error {
	fi, err := os.Stat(s.Path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return nil
	}
	names, err := s.pictures()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: no .jpg or .jpeg files in folder", s.Path)
	}
	return nil
}

// Run emits frames until ctx ends, and returns promptly when it does,
// whatever Path is. It fails when Path cannot be read or holds no valid
// frame at all: an empty file, a FIFO that no program writes to, a device
// such as /dev/zero that gives bytes but never a JPEG. A FIFO is read as
// long as its writer writes; it is not replayed.
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	fi, err := os.Stat(s.Path)
	if err != nil {
		return err
	}
	fps := s.FPS
	if fps <= 0 {
		fps = 30
	}
	var frames func() ([]byte, error)
	if fi.IsDir() {
		frames = s.folderFrames()
	} else {
		var stop func()
		frames, stop = s.fileFrames(ctx)
		defer stop()
	}
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for {
		data, err := frames()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		emit(mjpeg.Frame{Data: data, Time: time.Now()})
	}
}

// errEmpty is returned when a whole pass over the footage found no frame.
func (s *Source) errEmpty() error {
	return fmt.Errorf("%s: no valid JPEG frames", s.Path)
}

// fileFrames reads a stream file, reopening it at its end. Its reads end
// when ctx does.
func (s *Source) fileFrames(ctx context.Context) (func() ([]byte, error), func()) {
	var r *reader
	var sp *mjpeg.Splitter
	var inPass int
	closeFile := func() {
		if r != nil {
			r.close()
			r = nil
		}
	}
	return func() ([]byte, error) {
		for {
			if r == nil {
				var err error
				if r, err = open(ctx, s.Path, s.maxFrameSize()); err != nil {
					return nil, err
				}
				sp, inPass = mjpeg.NewSplitter(r, s.MaxFrameSize), 0
				sp.Drops = &s.dropped
			}
			data, err := sp.Next()
			if err == nil {
				r.sinceFrame = 0
				inPass++
				return data, nil
			}
			read, fifo := r.read, r.fifo
			closeFile()
			if !errors.Is(err, io.EOF) {
				return nil, err
			}
			if inPass == 0 {
				if read == 0 && fifo {
					return nil, fmt.Errorf("%s: no program writes to this FIFO", s.Path)
				}
				return nil, s.errEmpty()
			}
		}
	}, closeFile
}

func (s *Source) maxFrameSize() int {
	if s.MaxFrameSize > 0 {
		return s.MaxFrameSize
	}
	return mjpeg.DefaultMaxFrameSize
}

// reader reads a stream file for one run. A read that blocks (a FIFO
// whose writer is silent) ends when the run's ctx does, and a stream that
// holds no frame within a few frame sizes (/dev/zero) is an error rather
// than a loop without end.
type reader struct {
	ctx        context.Context
	f          *os.File
	fifo       bool
	stop       func() bool
	limit      int64
	read       int64 // bytes read in all
	sinceFrame int64 // bytes read since the last frame
}

// open opens path without blocking: open(2) of a FIFO with no writer
// would wait for one, out of reach of ctx.
func open(ctx context.Context, path string, maxFrame int) (*reader, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	r := &reader{ctx: ctx, f: f, limit: 2*int64(maxFrame) + 1<<20}
	if fi, err := f.Stat(); err == nil {
		r.fifo = fi.Mode()&os.ModeNamedPipe != 0
	}
	// Ends a blocked read of a pollable file (FIFO, socket, terminal);
	// the reads of other files do not block for long.
	r.stop = context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
	return r, nil
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if r.sinceFrame > r.limit {
		return 0, fmt.Errorf("%s: no JPEG frame in %d MiB", r.f.Name(), r.sinceFrame>>20)
	}
	n, err := r.f.Read(p)
	r.read += int64(n)
	r.sinceFrame += int64(n)
	if err != nil && r.ctx.Err() != nil {
		err = r.ctx.Err()
	}
	return n, err
}

func (r *reader) close() {
	r.stop()
	r.f.Close()
}

// folderFrames reads the folder's pictures in name order, listing it anew on
// every pass so files can be added while it plays.
func (s *Source) folderFrames() func() ([]byte, error) {
	var names []string
	var i, inPass int
	return func() ([]byte, error) {
		for {
			if i >= len(names) {
				if names != nil && inPass == 0 {
					return nil, s.errEmpty()
				}
				var err error
				if names, err = s.pictures(); err != nil {
					return nil, err
				}
				if len(names) == 0 {
					return nil, s.errEmpty()
				}
				i, inPass = 0, 0
			}
			name := names[i]
			i++
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			n, err := mjpeg.FrameLen(data)
			if err != nil {
				s.dropped.Add(1)
				continue
			}
			data = data[:n] // some cameras pad their files after EOI
			inPass++
			return data, nil
		}
	}
}

func (s *Source) pictures() ([]string, error) {
	entries, err := os.ReadDir(s.Path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".jpg" || ext == ".jpeg") {
			names = append(names, filepath.Join(s.Path, e.Name()))
		}
	}
	slices.Sort(names)
	return names, nil
}
