package server

import (
	"container/list"
	"net"
	"net/netip"
	"runtime"
	"sync"
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

// failLimiter counts password attempts per key in fixed windows. An
// attempt is counted before it is checked, so that guesses sent at once
// are limited like guesses sent in turn, and a success forgets the key's
// count. After max attempts in a window the key is refused until the window
// ends. It remembers at most size keys, forgetting the one tried longest
// ago.
type failLimiter struct {
	max    int
	window time.Duration
	size   int

	mu    sync.Mutex
	byKey map[string]*list.Element
	order list.List // of *failEntry; the front was tried last
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
	return l.blockedLocked(key, now)
}

func (l *failLimiter) blockedLocked(key string, now time.Time) time.Duration {
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

// attempt counts an attempt of key and returns the count in the window,
// or, when key is refused, how long for, counting nothing.
func (l *failLimiter) attempt(key string, now time.Time) (n int, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.blockedLocked(key, now); wait > 0 {
		return 0, wait
	}
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
	l.order.MoveToFront(e)
	f.n++
	return f.n, 0
}

// forget clears key's attempts after it authenticated.
func (l *failLimiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.byKey[key]; e != nil {
		l.order.Remove(e)
		delete(l.byKey, key)
	}
}

// hashGate bounds the bcrypt comparisons running at once: in all, so that
// guessing cannot take the CPU from viewers, and per address, so that one
// client cannot take every turn. Those waiting take no CPU.
type hashGate struct {
	all chan struct{}

	mu  sync.Mutex
	per map[string]*addrTurn
}

// addrTurn is one address's turn: a comparison at a time.
type addrTurn struct {
	ch    chan struct{}
	users int // comparisons running or waiting
}

// newHashGate allows half the CPUs' worth of comparisons at once, at least one.
func newHashGate() *hashGate {
	return &hashGate{all: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)), per: map[string]*addrTurn{}}
}

// enter waits for a turn of addr and returns the function that ends it.
func (g *hashGate) enter(addr string) (leave func()) {
	g.mu.Lock()
	t := g.per[addr]
	if t == nil {
		t = &addrTurn{ch: make(chan struct{}, 1)}
		g.per[addr] = t
	}
	t.users++
	g.mu.Unlock()
	t.ch <- struct{}{}
	g.all <- struct{}{}
	return func() {
		<-g.all
		<-t.ch
		g.mu.Lock()
		if t.users--; t.users == 0 {
			delete(g.per, addr)
		}
		g.mu.Unlock()
	}
}
