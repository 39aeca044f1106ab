package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/framecast/framecast/hub"
	"github.com/framecast/framecast/source/file"
	"github.com/framecast/framecast/source/testpattern"
)

// newSource builds the source -source names, and a description for status.
func newSource(o *options, log *slog.Logger) (hub.Source, string, error) {
	kind, arg, _ := strings.Cut(o.source, ":")
	switch kind {
	case "testpattern":
		return &testpattern.Source{Width: o.width, Height: o.height, FPS: o.fps, Quality: o.quality, Name: o.name},
			fmt.Sprintf("testpattern %dx%d@%d", o.width, o.height, o.fps), nil
	case "file":
		if arg == "" {
			return nil, "", fmt.Errorf("-source file: needs a path, as in file:/path/to/video.mjpeg")
		}
		s := &file.Source{Path: arg, FPS: o.fps, MaxFrameSize: o.maxFrameSize}
		if err := s.Check(); err != nil {
			return nil, "", fmt.Errorf("-source %s: %w", o.source, err)
		}
		return s, fmt.Sprintf("file %s @%d", arg, o.fps), nil
	}
	return nil, "", fmt.Errorf("-source: unknown kind %q: use testpattern or file:PATH", kind)
}
