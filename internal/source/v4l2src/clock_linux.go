package v4l2src

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/framecast/framecast/pkg/v4l2"
)

// maxAge bounds how old a driver's timestamp may look before it is not
// believed (a driver whose clock is not CLOCK_MONOTONIC).
const maxAge = 10 * time.Second

// wallClock turns buffer timestamps into wall-clock times that never run
// backwards.
type wallClock struct{ last time.Time }

// wall returns the wall-clock time of a buffer: now minus the buffer's age
// on CLOCK_MONOTONIC, or now when the timestamp is missing or implausible.
func (c *wallClock) wall(b v4l2.Buffer) time.Time {
	now := time.Now()
	t := now
	var ts unix.Timespec
	if b.Timestamp > 0 && unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) == nil {
		if age := time.Duration(ts.Nano()) - b.Timestamp; age >= 0 && age < maxAge {
			t = now.Add(-age)
		}
	}
	if t.Before(c.last) {
		t = c.last
	}
	c.last = t
	return t
}
