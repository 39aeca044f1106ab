package hls

import "time"

// frameClock numbers a camera's pictures on a grid of its frame interval, so
// that every sample, part and segment lasts a whole number of frame
// intervals however the pictures' times jitter. A picture gets the grid
// slot nearest to its time (capture time, or arrival time when the source
// cannot tell), and at least the slot after the previous picture's; a
// picture that did not come (a dropped frame) leaves its slot empty, so the
// media timeline keeps the source's pace instead of drifting from it.
type frameClock struct {
	interval time.Duration // the nominal frame interval
	maxStep  int64         // the most slots one picture may take

	n       int       // pictures numbered so far
	slot    int64     // the last picture's slot
	last    time.Time // the last picture's time
	anchorT time.Time // slots are counted from anchorT, which is slot anchorK
	anchorK int64
}

// next returns the slot of the picture taken at t.
func (c *frameClock) next(t time.Time) int64 {
	if c.n == 0 {
		c.n, c.last, c.anchorT = 1, t, t
		return 0
	}
	c.n++
	want := c.anchorK + int64((t.Sub(c.anchorT)+c.interval/2)/c.interval)
	step := max(want-c.slot, 1)
	if step > c.maxStep || t.Before(c.last) {
		// A long gap (a restarted source) or a clock step: the timeline
		// goes on from here at the source's pace, with a gap of at most
		// maxStep slots.
		step = min(step, c.maxStep)
		c.anchorT, c.anchorK = t, c.slot+step
	}
	c.slot += step
	c.last = t
	return c.slot
}

// at returns the time of slot k on the grid: the pictures' own times
// smoothed, so that slots an interval apart are an interval apart in time
// too (EXT-X-PROGRAM-DATE-TIME then agrees with the durations beside it,
// however the pictures' arrival jittered).
func (c *frameClock) at(k int64) time.Time {
	return c.anchorT.Add(time.Duration(k-c.anchorK) * c.interval)
}
