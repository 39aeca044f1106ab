package server

import (
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
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
		attempt bool          // count an attempt, else ask blocked
		n       int           // count after an attempt
		wait    time.Duration // what attempt or blocked returns
	}{
		{at: 0, attempt: true, n: 1},
		{at: time.Second, wait: 0},
		{at: 10 * time.Second, attempt: true, n: 2},
		{at: 20 * time.Second, attempt: true, n: 3},
		{at: 20 * time.Second, wait: 40 * time.Second},
		{at: 30 * time.Second, attempt: true, wait: 30 * time.Second}, // refused, not counted
		{at: 59 * time.Second, wait: time.Second},
		{at: 60 * time.Second, wait: 0}, // the window ended: forgotten
		{at: 61 * time.Second, attempt: true, n: 1},
		{at: 121 * time.Second, attempt: true, n: 1}, // a new window
	}
	for i, s := range steps {
		now := t0.Add(s.at)
		if s.attempt {
			n, wait := l.attempt("a", now)
			if n != s.n || wait != s.wait {
				t.Errorf("step %d: attempt = %d, %v; want %d, %v", i, n, wait, s.n, s.wait)
			}
			continue
		}
		if got := l.blocked("a", now); got != s.wait {
			t.Errorf("step %d: blocked = %v, want %v", i, got, s.wait)
		}
	}
	if got := l.blocked("b", t0); got != 0 {
		t.Errorf("another key blocked for %v", got)
	}
}

// TestFailLimiterBounded: a flood of keys keeps at most size entries,
// forgetting those tried longest ago, never the latest.
func TestFailLimiterBounded(t *testing.T) {
	l := newFailLimiter(2, time.Minute, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.attempt("keep", now)
	l.attempt("keep", now)
	for i := range 1000 {
		l.attempt("10.0.0."+strconv.Itoa(i), now)
		if i%50 == 0 {
			l.attempt("keep", now) // still trying: stays remembered
		}
	}
	if n := l.order.Len(); n != 100 {
		t.Errorf("%d entries, want 100", n)
	}
	if l.blocked("keep", now) == 0 {
		t.Error("a key tried all along was forgotten")
	}
	if l.blocked("10.0.0.0", now) != 0 || l.order.Len() != 100 {
		t.Error("the oldest key is still there")
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
		l.attempt(keys[i%len(keys)], now)
		l.blocked(keys[(i+1)%len(keys)], now)
		i++
	}
}

// TestHashGate: comparisons run one at a time per address and at most
// cap(all) at once in all, and every one gets its turn.
func TestHashGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newHashGate()
		g.all = make(chan struct{}, 2)
		var (
			mu         sync.Mutex
			per        = map[string]int{}
			total, top int
			done       int
		)
		var wg sync.WaitGroup
		for i := range 30 {
			addr := "10.0.0." + strconv.Itoa(i%3)
			wg.Go(func() {
				leave := g.enter(addr)
				mu.Lock()
				per[addr]++
				total++
				if per[addr] > 1 {
					t.Errorf("%d comparisons at once for %s", per[addr], addr)
				}
				top = max(top, total)
				mu.Unlock()
				time.Sleep(50 * time.Millisecond) // a comparison
				mu.Lock()
				per[addr]--
				total--
				done++
				mu.Unlock()
				leave()
			})
		}
		wg.Wait()
		if top != 2 || done != 30 {
			t.Errorf("at most %d at once (want 2), %d done (want 30)", top, done)
		}
		if len(g.per) != 0 {
			t.Errorf("%d addresses left in the gate", len(g.per))
		}
	})
}
