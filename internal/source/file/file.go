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

// Run emits frames until ctx ends. It fails when Path cannot be read or
// holds no valid frame at all.
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	fi, err := os.Stat(s.Path)
	if err != nil {
		return err
	}
	fps := s.FPS
	if fps <= 0 {
		fps = 30
	}
	next := s.fileFrames
	if fi.IsDir() {
		next = s.folderFrames
	}
	frames, stop := next()
	defer stop()
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for {
		data, err := frames()
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

// fileFrames reads a stream file, reopening it at its end.
func (s *Source) fileFrames() (func() ([]byte, error), func()) {
	var f *os.File
	var sp *mjpeg.Splitter
	var inPass int
	var lastDropped int64
	closeFile := func() {
		if f != nil {
			f.Close()
			f = nil
		}
	}
	return func() ([]byte, error) {
		for {
			if f == nil {
				var err error
				if f, err = os.Open(s.Path); err != nil {
					return nil, err
				}
				sp, inPass, lastDropped = mjpeg.NewSplitter(f, s.MaxFrameSize), 0, 0
			}
			data, err := sp.Next()
			d := sp.Dropped()
			s.dropped.Add(d - lastDropped)
			lastDropped = d
			if err == nil {
				inPass++
				return data, nil
			}
			closeFile()
			if !errors.Is(err, io.EOF) {
				return nil, err
			}
			if inPass == 0 {
				return nil, s.errEmpty()
			}
		}
	}, closeFile
}

// folderFrames reads the folder's pictures in name order, listing it anew on
// every pass so files can be added while it plays.
func (s *Source) folderFrames() (func() ([]byte, error), func()) {
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
	}, func() {}
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
