// Package hls serves an H.264 camera as Low-Latency HLS: a Muxer, a consumer
// of the camera's hub like any viewer, cuts its access units into fMP4 parts
// and segments and answers the media playlist with blocking reloads; a
// Service starts a camera's Muxer on the first request and stops it when no
// request came for the camera's idle timeout.
//
// Everything a Muxer hands out is made once and shared by every client: a
// part, a segment and the playlist are built when the picture completing
// them arrives, never per request, so HTTP caches in front can fan them out.
// The package knows nothing of HTTP routes, auth or sources.
package hls

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/h264"
)

// Camera is what a Muxer needs of a camera's hub (*hub.Hub has it).
type Camera interface {
	Name() string
	Join(addr string) *hub.Viewer
	NextAU(ctx context.Context, prev *hub.Frame) (*hub.Frame, error)
	IdleTimeout() time.Duration
}

// The shape of the stream.
const (
	// PartTarget is the duration a part aims at, rounded to whole frames:
	// players stay about three parts behind live.
	PartTarget = 200 * time.Millisecond
	// SegmentMin is the least duration of a segment; a segment ends at the
	// first IDR picture after it, so segments follow the keyframe interval.
	SegmentMin = time.Second
	// ListedSegments is how many whole segments the playlist lists (iOS
	// wants at least six for LL-HLS).
	ListedSegments = 7
	// keptSegments are kept beyond those listed, for clients that read a
	// playlist just before a segment left it.
	keptSegments = 3
	// partsListed is how many of the newest whole segments list their
	// parts, besides the segment being made.
	partsListed = 2
	// defaultFPS is the frame rate assumed for a stream whose SPS does not
	// say (no VUI timing information).
	defaultFPS = 30
	// timescale is the fMP4 track's clock rate, the one of MPEG and RTP video.
	timescale = 90000
)

// Errors of Playlist and File. Each wraps a sentence for the client.
var (
	// ErrBadRequest: a malformed or impossible request (_HLS_msn too far
	// ahead, a file name that is none of the Muxer's).
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound: no such file, or not yet (beyond the next part).
	ErrNotFound = errors.New("not found")
	// ErrGone: a segment or part that left the playlist.
	ErrGone = errors.New("gone")
	// ErrTimeout: what was waited for did not come within the bound.
	ErrTimeout = errors.New("not available in time")
	// ErrStopped: the Muxer stopped (idle, the camera's picture size
	// changed, or the hub closed); a new request starts a new one.
	ErrStopped = errors.New("stopped")
	// ErrBusy: too many requests are already waiting.
	ErrBusy = errors.New("too many waiting requests")
)

// MaxWaiting bounds the requests a Muxer holds at once (blocking playlist
// reloads and requests for the next part); more get ErrBusy. Through an
// HTTP cache each distinct request reaches the Muxer about once, whatever
// the audience.
const MaxWaiting = 4096

// startWait bounds how long the first playlist of a Muxer may wait for its
// first segment: the camera's start plus a keyframe interval.
const startWait = 15 * time.Second

// part is a partial segment: one fMP4 fragment (moof and mdat).
type part struct {
	data        []byte
	dur         ticks
	independent bool // begins with an IDR picture
}

// segment is a run of parts beginning with an IDR picture.
type segment struct {
	msn   uint64
	start time.Time // the first picture's time on the grid, for EXT-X-PROGRAM-DATE-TIME
	parts []*part
	dur   ticks
	data  []byte // its parts, once the segment is whole
}

// Muxer makes the LL-HLS stream of one H.264 camera. Create it with Start;
// its methods are safe for concurrent use.
type Muxer struct {
	cam     Camera
	log     *slog.Logger
	session string // names this run's files, so no cache mixes two runs
	cancel  context.CancelFunc
	done    chan struct{}

	// Written by run only.
	clock    frameClock
	tick     int64 // 90 kHz ticks per grid slot
	sps, pps []byte
	pending  *hub.Frame // the picture whose duration the next one tells
	pendSlot int64
	open     *openPart
	seqNo    uint32

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever something is added
	err      error         // why the Muxer stopped; nil while it runs
	init     []byte
	partDur  ticks      // PART-TARGET: whole frames
	target   int        // EXT-X-TARGETDURATION in seconds, never lowered
	segs     []*segment // whole segments, oldest first
	cur      *segment   // the segment being made; nil between segments
	nextMSN  uint64     // the MSN of cur, or of the next segment when cur is nil
	firstMSN uint64     // the MSN of this run's first segment
	plain    []byte     // the playlist without a query, rendered once
	waiting  int
}

// openPart is the part being filled.
type openPart struct {
	base        int64 // decode time of its first sample, in ticks
	samples     []*fmp4.Sample
	dur         ticks
	independent bool
	start       time.Time
}

// Start starts a Muxer reading cam's access units, as one of its viewers,
// until Stop. log may be nil.
func Start(cam Camera, log *slog.Logger) *Muxer {
	if log == nil {
		log = slog.Default()
	}
	var id [6]byte
	rand.Read(id[:])
	// Media sequence numbers start at the Unix time in seconds: segments
	// last a second or more, so a later run of the same camera never
	// reuses a number a cache may still hold a blocking playlist for.
	msn := uint64(time.Now().Unix())
	ctx, cancel := context.WithCancel(context.Background())
	m := &Muxer{
		cam: cam, log: log.With("camera", cam.Name()), session: hex.EncodeToString(id[:]),
		cancel: cancel, done: make(chan struct{}), changed: make(chan struct{}),
		nextMSN: msn, firstMSN: msn,
	}
	go m.run(ctx)
	return m
}

// Stop stops the Muxer and waits for it to leave the hub. Requests waiting
// get ErrStopped.
func (m *Muxer) Stop() {
	m.cancel()
	<-m.done
}

// Done is closed once the Muxer has stopped, by Stop or by itself.
func (m *Muxer) Done() <-chan struct{} { return m.done }

// run reads the camera's pictures until ctx ends or the stream cannot go on.
func (m *Muxer) run(ctx context.Context) {
	defer close(m.done)
	v := m.cam.Join("HLS")
	defer v.Leave()
	var prev *hub.Frame
	var err error
	for err == nil {
		var f *hub.Frame
		f, err = m.cam.NextAU(ctx, prev)
		if err != nil {
			break
		}
		prev = f
		err = m.add(f)
		v.Frames.Add(1)
		v.Bytes.Add(int64(len(f.Data)))
	}
	if ctx.Err() != nil {
		err = ErrStopped
	} else {
		m.log.Info("hls stopped", "reason", err)
		err = fmt.Errorf("%w: %v", ErrStopped, err)
	}
	m.mu.Lock()
	m.err = err
	close(m.changed)
	m.mu.Unlock()
}

// add muxes the next picture. It returns an error when the stream cannot go
// on in this run: its parameter sets changed.
func (m *Muxer) add(f *hub.Frame) error {
	if m.init == nil || f.Key {
		sps, pps := h264.ParameterSets(f.Data)
		if m.init == nil {
			if !f.Key || sps == nil || pps == nil {
				return nil // a stream starts at an IDR picture
			}
			if err := m.begin(sps, pps); err != nil {
				return err
			}
		} else if sps != nil && !bytes.Equal(sps, m.sps) || pps != nil && !bytes.Equal(pps, m.pps) {
			// The init segment holds them: players start again with a
			// new run (a new playlist), as after a new picture size.
			return errors.New("the stream's parameter sets changed")
		}
	}
	slot := m.clock.next(f.Time)
	if m.pending != nil {
		m.push(m.pending, slot-m.pendSlot, f.Key)
	}
	m.pending, m.pendSlot = f, slot
	return nil
}

// begin writes the init segment and sets the frame grid from the SPS.
func (m *Muxer) begin(sps, pps []byte) error {
	var s mch264.SPS
	if err := s.Unmarshal(sps); err != nil {
		return fmt.Errorf("reading the SPS: %w", err)
	}
	fps := s.FPS()
	if fps <= 0 || fps > 1000 {
		fps = defaultFPS
	}
	m.tick = int64(math.Round(timescale / fps))
	interval := time.Duration(m.tick) * time.Second / timescale
	frames := max(1, int64((PartTarget+interval/2)/interval))
	m.clock = frameClock{interval: interval, maxStep: frames}
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{{
		ID: 1, TimeScale: timescale,
		Codec: &mp4.CodecH264{SPS: sps, PPS: pps},
	}}}
	var buf seekablebuffer.Buffer
	if err := init.Marshal(&buf); err != nil {
		return fmt.Errorf("writing the init segment: %w", err)
	}
	m.sps, m.pps = sps, pps
	m.mu.Lock()
	m.init = buf.Bytes()
	m.partDur = ticks(frames * m.tick)
	m.mu.Unlock()
	m.log.Info("hls started", "size", fmt.Sprintf("%dx%d", s.Width(), s.Height()), "fps", fps, "part", m.partDur.duration())
	return nil
}

// ticks counts time in the track's clock (timescale): durations summed in
// it are exact, where time.Duration rounds a 30 fps frame.
type ticks int64

func (t ticks) seconds() float64 { return float64(t) / timescale }

func (t ticks) duration() time.Duration { return time.Duration(t) * time.Second / timescale }

// push adds picture f, lasting slots grid slots, to the open part, closing
// parts and segments where they end. nextKey tells whether the picture
// after f is an IDR picture, where a segment may end.
func (m *Muxer) push(f *hub.Frame, slots int64, nextKey bool) {
	dur := ticks(slots * m.tick)
	if m.open != nil && m.open.dur+dur > m.partDur {
		m.closePart(false)
	}
	if m.open == nil {
		m.open = &openPart{base: m.pendSlot * m.tick, independent: f.Key, start: m.clock.at(m.pendSlot)}
	}
	p := m.open
	p.samples = append(p.samples, &fmp4.Sample{
		Duration:        uint32(slots * m.tick),
		IsNonSyncSample: !f.Key,
		Payload:         h264.AVCC(f.Data),
	})
	p.dur += dur
	m.mu.Lock()
	segDur := ticks(0)
	if m.cur != nil {
		segDur = m.cur.dur
	}
	m.mu.Unlock()
	switch {
	case nextKey && (segDur+p.dur).duration() >= SegmentMin:
		m.closePart(true)
	case p.dur >= m.partDur:
		m.closePart(false)
	}
}

// closePart writes the open part and publishes it; with endSegment, the
// segment it belongs to is whole.
func (m *Muxer) closePart(endSegment bool) {
	p := m.open
	m.open = nil
	m.seqNo++
	var buf seekablebuffer.Buffer
	err := (&fmp4.Part{SequenceNumber: m.seqNo, Tracks: []*fmp4.PartTrack{{
		ID: 1, BaseTime: uint64(p.base), Samples: p.samples,
	}}}).Marshal(&buf)
	if err != nil {
		// Only a sample too large for a 32-bit box could fail.
		m.log.Error("hls: writing a part", "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		m.cur = &segment{msn: m.nextMSN, start: p.start}
	}
	s := m.cur
	s.parts = append(s.parts, &part{data: buf.Bytes(), dur: p.dur, independent: p.independent})
	s.dur += p.dur
	if endSegment {
		var all []byte
		for _, p := range s.parts {
			all = append(all, p.data...)
		}
		s.data = all
		m.segs = append(m.segs, s)
		if len(m.segs) > ListedSegments+keptSegments {
			m.segs = m.segs[1:]
		}
		// EXTINF rounded to the nearest integer must not exceed it.
		m.target = max(m.target, int(math.Round(s.dur.seconds())), 1)
		m.cur = nil
		m.nextMSN++
	}
	if len(m.segs) > 0 {
		m.plain = m.render("")
	}
	close(m.changed)
	m.changed = make(chan struct{})
}
