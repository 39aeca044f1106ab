package hls

import (
	"testing"
	"time"
)

// TestFrameClock: pictures get whole slots of the frame interval whatever
// their times' jitter; a missing picture leaves its slot empty; a long gap
// or a clock step costs at most maxStep slots and the grid goes on from
// there. A slot's time is within an interval of its picture's, except in
// a burst or after a clock step.
func TestFrameClock(t *testing.T) {
	const iv = 40 * time.Millisecond // 25 fps
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	for _, c := range []struct {
		name  string
		times []time.Time
		want  []int64
	}{
		{"steady", []time.Time{ms(0), ms(40), ms(80), ms(120)}, []int64{0, 1, 2, 3}},
		{"jitter", []time.Time{ms(0), ms(58), ms(70), ms(135), ms(160)}, []int64{0, 1, 2, 3, 4}},
		{"late then early", []time.Time{ms(0), ms(75), ms(81), ms(120)}, []int64{0, 2, 3, 4}},
		{"a dropped frame", []time.Time{ms(0), ms(40), ms(120), ms(160)}, []int64{0, 1, 3, 4}},
		{"a burst", []time.Time{ms(0), ms(1), ms(2), ms(160)}, []int64{0, 1, 2, 4}},
		{"a long gap", []time.Time{ms(0), ms(40), ms(5000), ms(5040)}, []int64{0, 1, 6, 7}},
		{"a clock step back", []time.Time{ms(0), ms(40), ms(-900), ms(-860)}, []int64{0, 1, 2, 3}},
	} {
		c := c
		t.Run(c.name, func(t *testing.T) {
			clk := frameClock{interval: iv, maxStep: 5}
			for i, at := range c.times {
				got := clk.next(at)
				if got != c.want[i] {
					t.Errorf("picture %d at %v: slot %d, want %d", i, at.Sub(t0), got, c.want[i])
				}
				// A slot's time is the picture's, smoothed onto the grid.
				if d := clk.at(got).Sub(at); i > 0 && c.name != "a burst" && c.name != "a clock step back" && (d < -iv || d > iv) {
					t.Errorf("picture %d at %v: slot %d at %v", i, at.Sub(t0), got, clk.at(got).Sub(t0))
				}
			}
		})
	}
}
