package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/framecast/framecast/internal/hub"
)

// viewerLimits counts stream viewers for MaxViewers and MaxViewersPerCamera.
type viewerLimits struct {
	total    atomic.Int64
	per      map[*hub.Hub]*atomic.Int64
	rejected atomic.Int64
}

func (s *Server) initLimits() {
	s.viewers.per = make(map[*hub.Hub]*atomic.Int64, len(s.Cameras))
	for _, h := range s.Cameras {
		s.viewers.per[h] = new(atomic.Int64)
	}
}

// admit takes a viewer place on h, answering 503 when none is left.
func (s *Server) admit(w http.ResponseWriter, h *hub.Hub) (release func(), ok bool) {
	v := &s.viewers
	cam := v.per[h]
	total, n := v.total.Add(1), cam.Add(1)
	release = func() {
		v.total.Add(-1)
		cam.Add(-1)
	}
	msg := ""
	switch {
	case s.MaxViewers > 0 && total > int64(s.MaxViewers):
		msg = "too many viewers: at most " + strconv.Itoa(s.MaxViewers) + " in all"
	case s.MaxViewersPerCamera > 0 && n > int64(s.MaxViewersPerCamera):
		msg = "too many viewers: at most " + strconv.Itoa(s.MaxViewersPerCamera) + " on camera " + strconv.Quote(h.Name())
	default:
		return release, true
	}
	release()
	v.rejected.Add(1)
	w.Header().Set("Retry-After", "10")
	httpError(w, http.StatusServiceUnavailable, msg)
	return nil, false
}

// liveStreams tracks the streams being served, so that Close can end them
// and wait for them: http.Server's Shutdown neither ends nor waits for a
// hijacked connection, and waits for an HTTP/2 stream, which never ends by
// itself.
type liveStreams struct {
	mu     sync.Mutex
	closed bool
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (l *liveStreams) init() {
	l.ctx, l.cancel = context.WithCancel(context.Background())
}

// begin registers a stream whose context derives from parent; the stream
// calls end when it is over. It reports false once close was called.
func (l *liveStreams) begin(parent context.Context) (ctx context.Context, end func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, false
	}
	l.wg.Add(1)
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(l.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		l.wg.Done()
	}, true
}

// close ends every stream and waits until all have returned.
func (l *liveStreams) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
	}
	l.wg.Wait()
}
