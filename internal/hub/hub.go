package hub

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/framecast/framecast/internal/redact"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// State is where a hub's source is in its lifecycle.
type State string

// The states a hub reports.
const (
	Idle     State = "idle"     // no viewers, source stopped
	Starting State = "starting" // source started, no frame yet
	Running  State = "running"  // frames are flowing
	Failed   State = "failed"   // source failed; restarting with backoff
)

// ErrClosed is returned by Next and Snapshot once the hub has been closed.
var ErrClosed = errors.New("hub: closed")

// errStalled is the cause given to a source that sent no frame in time.
var errStalled = errors.New("stalled")

// DefaultStallTimeout is the StallTimeout of a Config that sets none.
const DefaultStallTimeout = 5 * time.Second

// Config configures a Hub. Only Source is required.
type Config struct {
	// Name names the camera in logs and status.
	Name string
	// Source produces the frames.
	Source Source
	// Codec is what the camera sends. Empty means MJPEG. With H264, Source
	// must also be an H264Source: the hub runs it with RunH264, and
	// consumers read its access units with NextAU.
	Codec Codec
	// MaxGOPBytes bounds the pictures an H.264 camera keeps since its last
	// IDR picture for consumers that join; beyond it they wait for the next
	// IDR picture. Zero means DefaultMaxGOPBytes.
	MaxGOPBytes int
	// Describe says what the source is, for status ("testpattern 640x480@30").
	Describe string
	// IdleTimeout is how long the source keeps running after the last viewer
	// left. Zero keeps it running always, from New on.
	IdleTimeout time.Duration
	// StallTimeout is how long a running source may go without a frame before
	// it is restarted (the first frame gets twice as long). Zero means
	// DefaultStallTimeout; negative disables the check.
	StallTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between restarts after a
	// failure; the wait doubles with every failure in a row, and starts
	// again from MinBackoff after a run that sent frames for at least
	// MaxBackoff. Zero means 250ms and 10s, so an unplugged webcam is back
	// within seconds of its return.
	MinBackoff, MaxBackoff time.Duration
	// NoSignal renders the card viewers see while the source is down; since
	// is how long ago the last frame came, negative when none came yet. It
	// gets no error text: every viewer, token holders included, sees the
	// card, and the error is for the log and authenticated status. Nil
	// means viewers see the last good frame until frames return.
	NoSignal func(width, height int, since time.Duration) ([]byte, error)
	// Width and Height size the no-signal card before any frame was seen.
	Width, Height int
	// Logger receives lifecycle events; nil means slog.Default().
	Logger *slog.Logger
	// DropSameFrames asks viewers not to send a frame byte-identical to the
	// one they sent last (a static scene then costs nothing); the hub
	// hashes every frame once for them (Frame.Hash).
	DropSameFrames bool
	// MaxHeldBytes bounds the bytes of the frames that viewers hold while
	// they write them (see Viewer.Next). Zero means DefaultMaxHeldBytes.
	MaxHeldBytes int
}

// Frame is a frame as the hub hands it to viewers: shared, never modified.
type Frame struct {
	mjpeg.Frame
	// Seq increases by one with every frame the hub publishes.
	Seq uint64
	// Header is the multipart part header of this frame, rendered once.
	Header []byte
	// Width and Height are the picture's size (0 if the JPEG did not say).
	Width, Height int
	// NoSignal marks a "no signal" card rather than a camera picture.
	NoSignal bool
	// Hash identifies Data's bytes when the hub's DropSameFrames is set:
	// frames with the same Hash and length are taken as identical. It is 0
	// otherwise.
	Hash uint64
	// Key marks an H.264 IDR picture, with the SPS and PPS before it.
	Key bool

	// next is the H.264 access unit published after this one in the same
	// run of the source; nil until there is one.
	next atomic.Pointer[Frame]

	holders int // viewers holding the frame (Viewer.Next); guarded by the hub's mu
}

// slot is the hub's current frame; next is closed when a newer slot replaces it.
type slot struct {
	frame  *Frame // nil while no frame is available
	next   chan struct{}
	closed bool
}

// Hub holds the latest frame of one camera and runs its source on demand.
// Its methods are safe for concurrent use.
type Hub struct {
	cfg Config
	log *slog.Logger

	cur  atomic.Pointer[slot] // readers never lock; publishers hold mu
	seed maphash.Seed

	captured, capturedBytes atomic.Int64
	sentFrames, sentBytes   atomic.Int64 // totals of viewers that left
	restarts                atomic.Int64

	mu        sync.Mutex
	seq       uint64
	times     [32]time.Time // arrival times of recent camera frames, for fps
	nt        int
	viewers   map[*Viewer]struct{}
	state     State
	lastErr   string
	errAt     time.Time
	lastFrame time.Time
	width     int
	height    int
	cancel    context.CancelFunc // stops the running loop; nil when stopped
	done      chan struct{}      // closed when the last loop has returned
	idleGen   uint64
	closed    bool
	chain     chain         // H.264 cameras only
	held      int           // bytes of the frames viewers hold
	released  chan struct{} // closed when a viewer lets go of a frame
}

// New returns a hub for cfg. With a zero IdleTimeout the source starts now.
func New(cfg Config) *Hub {
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	cfg.Describe = redact.URLs(cfg.Describe)
	if cfg.MaxGOPBytes <= 0 {
		cfg.MaxGOPBytes = DefaultMaxGOPBytes
	}
	if cfg.MaxHeldBytes <= 0 {
		cfg.MaxHeldBytes = DefaultMaxHeldBytes
	}
	if cfg.Codec == "" {
		cfg.Codec = MJPEG
	}
	if _, ok := cfg.Source.(H264Source); cfg.Codec == H264 && !ok {
		panic(fmt.Sprintf("hub: camera %q: an H.264 camera's source %T has no RunH264", cfg.Name, cfg.Source))
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, viewers: map[*Viewer]struct{}{}, state: Idle, seed: maphash.MakeSeed(),
		released: make(chan struct{})}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = h.log.With("camera", cfg.Name)
	done := make(chan struct{})
	close(done)
	h.done = done
	h.cur.Store(&slot{next: make(chan struct{})})
	if cfg.IdleTimeout == 0 {
		h.mu.Lock()
		h.startLocked()
		h.mu.Unlock()
	}
	return h
}

// Name returns the camera's name.
func (h *Hub) Name() string { return h.cfg.Name }

// Source returns the camera's source (Config.Source), for optional
// abilities found at run time, such as controls.
func (h *Hub) Source() Source { return h.cfg.Source }

// Describe returns what the source is (Config.Describe).
func (h *Hub) Describe() string { return h.cfg.Describe }

// IdleTimeout returns how long the source keeps running after the last
// viewer left (Config.IdleTimeout); zero means it never stops.
func (h *Hub) IdleTimeout() time.Duration { return h.cfg.IdleTimeout }

// DropSameFrames reports whether viewers skip frames identical to the one
// they sent last (Config.DropSameFrames).
func (h *Hub) DropSameFrames() bool { return h.cfg.DropSameFrames }

// Latest returns the newest frame, or nil when there is none.
func (h *Hub) Latest() *Frame { return h.cur.Load().frame }

// Next returns the first frame newer than seq (0 for any frame), waiting for
// one until ctx ends. A viewer that passes the Seq of the frame it sent last
// skips every frame published meanwhile: nothing is ever queued for it.
func (h *Hub) Next(ctx context.Context, seq uint64) (*Frame, error) {
	for {
		s := h.cur.Load()
		if s.closed {
			return nil, ErrClosed
		}
		if s.frame != nil && s.frame.Seq > seq {
			return s.frame, nil
		}
		select {
		case <-s.next:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// newFrame prepares mf for viewers: its part header and, when needed, its
// hash, computed once here rather than by every viewer or under the lock.
func (h *Hub) newFrame(mf mjpeg.Frame) *Frame {
	f := &Frame{Frame: mf, Header: mjpeg.AppendPartHeader(make([]byte, 0, 96), mf)}
	if h.cfg.DropSameFrames {
		f.Hash = maphash.Bytes(h.seed, f.Data)
	}
	return f
}

// publishLocked makes f (nil for none) the latest frame and wakes every
// waiting viewer. Callers hold mu.
func (h *Hub) publishLocked(f *Frame) {
	if f != nil {
		h.seq++
		f.Seq = h.seq
	}
	h.swap(&slot{frame: f, next: make(chan struct{})})
}

// swap installs s and wakes the waiters of the slot it replaces. Callers hold mu.
func (h *Hub) swap(s *slot) {
	old := h.cur.Swap(s)
	if !old.closed {
		close(old.next)
	}
}

// emitter returns the emit function handed to one run of the source.
func (h *Hub) emitter(ctx context.Context, alive func()) func(mjpeg.Frame) {
	return func(mf mjpeg.Frame) {
		if ctx.Err() != nil || len(mf.Data) == 0 {
			return // a source still emitting after it was told to stop
		}
		if mf.Time.IsZero() {
			mf.Time = time.Now()
		}
		alive()
		f := h.newFrame(mf)
		if w, hh, err := mjpeg.Size(mf.Data); err == nil {
			f.Width, f.Height = w, hh
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		// Checked again under mu: an idle stop cancels ctx and clears the
		// frame under mu, so a frame that raced with it is published before
		// the clearing or not at all.
		if ctx.Err() != nil {
			return
		}
		h.captured.Add(1)
		h.capturedBytes.Add(int64(len(mf.Data)))
		if h.state != Running {
			h.state = Running
			h.log.Info("source running", "size", fmt.Sprintf("%dx%d", f.Width, f.Height))
		}
		h.lastFrame = mf.Time
		h.width, h.height = f.Width, f.Height
		h.times[h.nt%len(h.times)] = time.Now()
		h.nt++
		h.publishLocked(f)
	}
}

// startLocked starts the source loop unless it runs. Callers hold mu.
func (h *Hub) startLocked() {
	if h.cancel != nil || h.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	prev := h.done
	done := make(chan struct{})
	h.cancel, h.done = cancel, done
	h.state = Starting
	h.nt = 0 // the measured fps starts afresh with this run
	go h.loop(ctx, prev, done)
}

// stopLocked stops the source loop; it returns at once. Callers hold mu.
func (h *Hub) stopLocked() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	h.state = Idle
	h.log.Info("source stopped", "reason", "idle")
	// A viewer arriving after an idle stop must not get a stale picture.
	h.chain = chain{}
	h.publishLocked(nil)
}

// loop runs the source until ctx ends, restarting it after failures.
func (h *Hub) loop(ctx context.Context, prev <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	// An exclusive camera must be released before it is opened again.
	h.awaitStop(ctx, prev, func() error { return errors.New("the last run of the source does not stop") })
	h.mu.Lock()
	if ctx.Err() == nil {
		h.state = Starting
	}
	h.mu.Unlock()
	backoff := h.cfg.MinBackoff
	for ctx.Err() == nil {
		h.log.Info("source starting", "source", h.cfg.Describe)
		start := time.Now()
		err, gotFrame := h.runOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("source ended")
		}
		// Only a run that worked for a while earns a quick retry: one that
		// sends a frame and dies at once would otherwise restart several
		// times a second forever.
		if gotFrame && time.Since(start) >= h.cfg.MaxBackoff {
			backoff = h.cfg.MinBackoff
		}
		h.restarts.Add(1)
		h.fail(err, "retry_in", backoff)
		h.waitBackoff(ctx, backoff)
		backoff = min(backoff*2, h.cfg.MaxBackoff)
		h.mu.Lock()
		if ctx.Err() == nil {
			h.state = Starting
		}
		h.mu.Unlock()
	}
}

// runOnce runs the source once, cancelling it if it stalls.
func (h *Hub) runOnce(ctx context.Context) (err error, gotFrame bool) {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var got atomic.Bool
	alive := func() { got.Store(true) }
	if st := h.cfg.StallTimeout; st > 0 {
		// The first frame gets twice as long: a camera takes a moment to open.
		t := time.AfterFunc(2*st, func() { cancel(errStalled) })
		defer t.Stop()
		alive = func() {
			got.Store(true)
			t.Reset(st)
		}
	}
	stallErr := func() error {
		wait := h.cfg.StallTimeout
		if !got.Load() {
			wait *= 2
		}
		return fmt.Errorf("no frame for %v", wait)
	}
	ran := make(chan struct{}) // closed when Run has returned err
	if h.cfg.Codec == H264 {
		h.mu.Lock()
		h.chain = chain{} // the new run's pictures do not follow the last run's
		h.mu.Unlock()
		src := h.cfg.Source.(H264Source)
		go func() { err = src.RunH264(rctx, h.emitterH264(rctx, alive)); close(ran) }()
	} else {
		go func() { err = h.cfg.Source.Run(rctx, h.emitter(rctx, alive)); close(ran) }()
	}
	select {
	case <-ran:
	case <-rctx.Done():
		h.awaitStop(ctx, ran, func() error { return fmt.Errorf("%w, and the source does not stop", stallErr()) })
	}
	if errors.Is(context.Cause(rctx), errStalled) {
		err = stallErr()
	}
	return err, got.Load()
}

// stopWait is how long a source gets to return once told to stop before
// the hub says so: in the log, and after a stall in status and on the card.
const stopWait = 5 * time.Second

// awaitStop waits until ran is closed: a run of the source that was told
// to stop has returned. One that lingers beyond stopWait while viewers
// wait (ctx goes on) is shown as failed with why(), and with the no-signal
// card, for as long as it lingers: no run may begin before it returns (an
// exclusive camera must be released first).
func (h *Hub) awaitStop(ctx context.Context, ran <-chan struct{}, why func() error) {
	t := time.NewTimer(stopWait)
	defer t.Stop()
	select {
	case <-ran:
		return
	case <-t.C:
	}
	h.log.Error("source does not stop", "waited", stopWait)
	if ctx.Err() != nil {
		<-ran // an idle stop or Close: nobody is watching
		return
	}
	h.fail(why())
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		h.publishNoSignal()
		select {
		case <-ran:
			return
		case <-ctx.Done():
			<-ran
			return
		case <-tick.C:
		}
	}
}

// fail records that the source failed with err, for status and the log
// (with the attributes args).
func (h *Hub) fail(err error, args ...any) {
	// A source's error can quote a camera URL with its password.
	msg := redact.URLs(err.Error())
	h.mu.Lock()
	h.state = Failed
	h.lastErr = msg
	h.errAt = time.Now()
	h.mu.Unlock()
	h.log.Warn("source failed", append([]any{"err", msg}, args...)...)
}

// waitBackoff shows the no-signal card, refreshed every second so its clock
// moves and browsers keep the stream alive, until d passes or ctx ends.
func (h *Hub) waitBackoff(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		h.publishNoSignal()
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		case <-tick.C:
		}
	}
}

func (h *Hub) publishNoSignal() {
	if h.cfg.NoSignal == nil || h.cfg.Codec == H264 {
		return
	}
	h.mu.Lock()
	w, hh, last := h.width, h.height, h.lastFrame
	h.mu.Unlock()
	if w == 0 || hh == 0 {
		w, hh = h.cfg.Width, h.cfg.Height
	}
	if w == 0 || hh == 0 {
		w, hh = 640, 480
	}
	since := time.Duration(-1)
	if !last.IsZero() {
		since = time.Since(last)
	}
	data, err := h.cfg.NoSignal(w, hh, since)
	if err != nil {
		h.log.Error("rendering no-signal frame", "err", err)
		return
	}
	f := h.newFrame(mjpeg.Frame{Data: data, Time: time.Now()})
	f.Width, f.Height, f.NoSignal = w, hh, true
	h.mu.Lock()
	h.publishLocked(f)
	h.mu.Unlock()
}

// Close stops the source, waits for it to return, and ends every Next. A
// source that does not return within a few seconds is logged and left
// behind, so that shutdown is bounded whatever a source does.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	if h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
	h.state = Idle
	done := h.done
	h.mu.Unlock()
	t := time.NewTimer(stopWait)
	select {
	case <-done:
	case <-t.C:
		h.log.Error("source did not stop; closing without it", "waited", stopWait)
	}
	t.Stop()
	h.mu.Lock()
	h.swap(&slot{next: make(chan struct{}), closed: true})
	h.mu.Unlock()
}
