// Package hub keeps the latest frame of one camera and hands it to every
// viewer. It owns the camera's lifecycle: it starts the source when the first
// viewer arrives, stops it when the last one has been gone for the idle
// timeout, restarts it with backoff when it fails or stalls, and shows a
// "no signal" frame meanwhile.
package hub

import (
	"context"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// Source produces frames. Run captures until ctx ends or the source fails,
// calling emit for every whole frame; emit never blocks for long and takes
// ownership of the frame. Run returns nil or ctx's error after ctx ends, and
// any other error when the source failed; the hub then restarts it.
type Source interface {
	Run(ctx context.Context, emit func(mjpeg.Frame)) error
}

// SourceFunc adapts a function to the Source interface.
type SourceFunc func(ctx context.Context, emit func(mjpeg.Frame)) error

// Run calls f(ctx, emit).
func (f SourceFunc) Run(ctx context.Context, emit func(mjpeg.Frame)) error { return f(ctx, emit) }
