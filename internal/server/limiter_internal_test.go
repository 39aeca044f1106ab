package server

import (
	"strconv"
	"testing"
	"time"
)

func TestClientKey(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"127.0.0.1:5000", "127.0.0.1"},
		{"[::ffff:127.0.0.1]:80", "127.0.0.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"not-an-address", "not-an-address"},
		{"@", "@"},
	}
	for _, tt := range tests {
		if got := clientKey(tt.remote); got != tt.want {
			t.Errorf("clientKey(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}

func TestFailLimiterWindow(t *testing.T) {
	l := newFailLimiter(3, time.Minute, 10)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at      time.Duration
		fail    bool          // count a failure, else ask blocked
		n       int           // count after a failure
		started bool          // the failure started a block
		wait    time.Duration // what blocked returns
	}{
		{at: 0, fail: true, n: 1},
		{at: time.Second, wait: 0},
		{at: 10 * time.Second, fail: true, n: 2},
		{at: 20 * time.Second, fail: true, n: 3, started: true},
		{at: 20 * time.Second, wait: 40 * time.Second},
		{at: 59 * time.Second, wait: time.Second},
		{at: 60 * time.Second, wait: 0}, // the window ended: forgotten
		{at: 61 * time.Second, fail: true, n: 1},
		{at: 121 * time.Second, fail: true, n: 1}, // a new window
	}
	for i, s := range steps {
		now := t0.Add(s.at)
		if s.fail {
			n, started := l.fail("a", now)
			if n != s.n || started != s.started {
				t.Errorf("step %d: fail = %d, %v; want %d, %v", i, n, started, s.n, s.started)
			}
			continue
		}
		if got := l.blocked("a", now); got != s.wait {
			t.Errorf("step %d: blocked = %v, want %v", i, got, s.wait)
		}
	}
	if got := l.blocked("b", t0); got != 0 {
		t.Errorf("another client blocked for %v", got)
	}
}

// TestFailLimiterBounded: a flood of addresses keeps at most size entries,
// forgetting those that failed longest ago, never the latest.
func TestFailLimiterBounded(t *testing.T) {
	l := newFailLimiter(2, time.Minute, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.fail("keep", now)
	l.fail("keep", now)
	for i := range 1000 {
		l.fail("10.0.0."+strconv.Itoa(i), now)
		if i%50 == 0 {
			l.fail("keep", now) // still failing: stays remembered
		}
	}
	if n := l.order.Len(); n != 100 {
		t.Errorf("%d entries, want 100", n)
	}
	if l.blocked("keep", now) == 0 {
		t.Error("a client failing all along was forgotten")
	}
	if l.blocked("10.0.0.0", now) != 0 || l.order.Len() != 100 {
		t.Error("the oldest client is still there")
	}
	l.forget("keep")
	if l.blocked("keep", now) != 0 {
		t.Error("forget did not clear")
	}
}

func BenchmarkFailLimiter(b *testing.B) {
	l := newFailLimiter(5, time.Minute, 4096)
	now := time.Now()
	keys := make([]string, 8192)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.fail(keys[i%len(keys)], now)
		l.blocked(keys[(i+1)%len(keys)], now)
		i++
	}
}
