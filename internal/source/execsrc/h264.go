package execsrc

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/framecast/framecast/pkg/h264"
)

// RunH264 is Run for a command that writes H.264 in Annex-B form (ffmpeg
// -f h264, rpicam-vid --codec h264): it emits the access units the command
// writes. MaxFrameSize bounds one access unit; zero means
// h264.DefaultMaxAUSize. Dropped counts the access units dropped.
func (s *Source) RunH264(ctx context.Context, emit func(h264.AccessUnit)) error {
	return s.run(ctx, func(r io.Reader) error { return s.readH264(r, emit) }, nil)
}

// readH264 splits r into access units and emits them until r ends.
func (s *Source) readH264(r io.Reader, emit func(h264.AccessUnit)) error {
	sp := h264.NewSplitter(r, s.MaxFrameSize)
	var last int64
	for {
		au, err := sp.Next()
		if d := sp.Dropped(); d != last {
			s.dropped.Add(d - last)
			last = d
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		au.Time = time.Now()
		emit(au)
	}
}
