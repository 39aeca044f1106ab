package server

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// clientKey is the address failed attempts are counted by: the IP, or for
// IPv6 its /64, which one host usually holds whole.
func clientKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// failLimiter counts failed attempts per client in fixed windows: after max
// failures a client is refused until its window ends. It remembers at most
// size clients, forgetting the one that failed longest ago.
type failLimiter struct {
	max    int
	window time.Duration
	size   int
	total  atomic.Int64

	mu    sync.Mutex
	byKey map[string]*list.Element
	order list.List // of *failEntry; the front failed last
}

type failEntry struct {
	key   string
	start time.Time
	n     int
}

func newFailLimiter(max int, window time.Duration, size int) *failLimiter {
	return &failLimiter{max: max, window: window, size: size, byKey: map[string]*list.Element{}}
}

// blocked returns how long key is still refused, or 0.
func (l *failLimiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[key]
	if e == nil {
		return 0
	}
	f := e.Value.(*failEntry)
	end := f.start.Add(l.window)
	if !now.Before(end) {
		l.order.Remove(e)
		delete(l.byKey, key)
		return 0
	}
	if f.n >= l.max {
		return end.Sub(now)
	}
	return 0
}

// fail counts a failure of key; it returns the count in the window and
// whether this failure started a block.
func (l *failLimiter) fail(key string, now time.Time) (n int, blocked bool) {
	l.total.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[key]
	if e == nil {
		if l.order.Len() >= l.size {
			old := l.order.Back()
			l.order.Remove(old)
			delete(l.byKey, old.Value.(*failEntry).key)
		}
		e = l.order.PushFront(&failEntry{key: key, start: now})
		l.byKey[key] = e
	}
	f := e.Value.(*failEntry)
	if !now.Before(f.start.Add(l.window)) {
		f.start, f.n = now, 0
	}
	l.order.MoveToFront(e)
	f.n++
	return f.n, f.n == l.max
}

// forget clears key's failures after it authenticated.
func (l *failLimiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.byKey[key]; e != nil {
		l.order.Remove(e)
		delete(l.byKey, key)
	}
}
