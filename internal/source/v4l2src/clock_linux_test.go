package v4l2src

import (
	"testing"

	"github.com/framecast/framecast/pkg/v4l2"
)

func TestWallClockNeverRunsBackwards(t *testing.T) {
	var c wallClock
	first := c.wall(v4l2.Buffer{}) // no timestamp: now
	// A timestamp in the future of CLOCK_MONOTONIC is implausible and must
	// not move time before the previous frame.
	second := c.wall(v4l2.Buffer{Timestamp: 1 << 62})
	if second.Before(first) {
		t.Fatalf("second frame at %v, before the first at %v", second, first)
	}
}
