package hls

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultIdleTimeout is how long the Muxer of a camera that never idles
// (idle timeout 0) outlives the last request for it.
const DefaultIdleTimeout = 10 * time.Second

// Service holds the running Muxers, one per camera: a camera's Muxer starts
// with the first request that needs it and stops once no request came for
// the camera's idle timeout (while it runs, it is one of the camera's
// viewers and keeps the camera running). The zero value is ready to use.
type Service struct {
	// Logger receives the Muxers' events; nil means slog.Default().
	Logger *slog.Logger

	mu     sync.Mutex
	muxers map[Camera]*entry
	closed bool
}

// entry is a running Muxer and its use.
type entry struct {
	m     *Muxer
	users int       // requests being served
	last  time.Time // when the last request ended
}

// Acquire returns cam's Muxer, starting it when none runs, and a release
// function to call when the request is served. It returns nil after Close.
func (s *Service) Acquire(cam Camera) (*Muxer, func()) {
	return s.get(cam, true)
}

// Lookup is Acquire for requests that need a running Muxer (its files):
// it returns nil, and starts nothing, when cam has none.
func (s *Service) Lookup(cam Camera) (*Muxer, func()) {
	return s.get(cam, false)
}

func (s *Service) get(cam Camera, start bool) (*Muxer, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.muxers[cam]
	if e == nil {
		if !start || s.closed {
			return nil, func() {}
		}
		if s.muxers == nil {
			s.muxers = map[Camera]*entry{}
		}
		e = &entry{m: Start(cam, s.Logger)}
		s.muxers[cam] = e
		go s.watch(cam, e)
	}
	e.users++
	var once sync.Once
	return e.m, func() {
		once.Do(func() {
			s.mu.Lock()
			e.users--
			e.last = time.Now()
			s.mu.Unlock()
		})
	}
}

// watch stops e's Muxer once it has been unused for the camera's idle
// timeout, and forgets it when it stops by itself.
func (s *Service) watch(cam Camera, e *entry) {
	idle := cam.IdleTimeout()
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	t := time.NewTicker(max(idle/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-e.m.Done():
			s.forget(cam, e)
			return
		case now := <-t.C:
			s.mu.Lock()
			unused := e.users == 0 && now.Sub(e.last) >= idle
			if unused && s.muxers[cam] == e {
				delete(s.muxers, cam)
			}
			s.mu.Unlock()
			if unused {
				e.m.Stop()
				return
			}
		}
	}
}

// forget drops e from the running Muxers unless it was replaced.
func (s *Service) forget(cam Camera, e *entry) {
	s.mu.Lock()
	if s.muxers[cam] == e {
		delete(s.muxers, cam)
	}
	s.mu.Unlock()
}

// Close stops every Muxer; later requests get none.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	var all []*Muxer
	for cam, e := range s.muxers {
		all = append(all, e.m)
		delete(s.muxers, cam)
	}
	s.mu.Unlock()
	for _, m := range all {
		m.Stop()
	}
}
