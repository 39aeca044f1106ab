package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/framecast/framecast/config"
	"github.com/framecast/framecast/hub"
	"github.com/framecast/framecast/source/file"
	"github.com/framecast/framecast/source/testpattern"
)

// newSource builds the source of camera c, and a description for status.
// Its errors need not name the field: the caller adds where c.Source came
// from (the flag, the variable or the file line).
func newSource(c config.Camera, log *slog.Logger) (hub.Source, string, error) {
	kind, arg, _ := strings.Cut(c.Source, ":")
	switch kind {
	case "testpattern":
		return &testpattern.Source{Width: c.Size.Width, Height: c.Size.Height, FPS: c.FPS, Quality: c.Quality, Name: c.Name},
			fmt.Sprintf("testpattern %v@%d", c.Size, c.FPS), nil
	case "file":
		if arg == "" {
			return nil, "", fmt.Errorf("file: needs a path, as in file:/path/to/video.mjpeg")
		}
		s := &file.Source{Path: arg, FPS: c.FPS, MaxFrameSize: int(c.MaxFrameSize)}
		if err := s.Check(); err != nil {
			return nil, "", fmt.Errorf("%s: %w", c.Source, err)
		}
		return s, fmt.Sprintf("file %s @%d", arg, c.FPS), nil
	}
	return nil, "", fmt.Errorf("unknown kind %q: use testpattern or file:PATH", kind)
}
