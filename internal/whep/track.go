package whep

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

const (
	clockRate = 90000 // RTP's video clock
	// mtu bounds an RTP packet; 1200 bytes pass any path WebRTC runs on.
	mtu = 1200
	// nackSize is how many of its last packets a session can send again
	// when its viewer reports them lost (NACK): 256, over a second of
	// 640x480 at 1.8 Mbit/s and a large keyframe whole. An older loss is
	// repaired by the viewer's PLI (the GOP again).
	nackSize = 256
)

// track is the one video track of a camera that every session of it
// shares: each access unit is packetized once, and each session (a
// binding) gets the same packets with its own SSRC, payload type and
// sequence numbers. A session that joins, or that lost a picture (PLI),
// first gets the pictures since the last IDR picture, quickly, so its
// first picture shows at once. A packet a session's viewer lost (NACK) is
// sent again from the camera's packets, which every session shares: a
// session keeps only its last packets' headers, not copies (pion's NACK
// responder copies every packet of every session).
type track struct {
	id string

	mu       sync.Mutex
	bindings map[string]*binding
	viewers  map[webrtc.SSRC]*hub.Viewer // whose counts each session's sending adds to
	up       map[webrtc.SSRC]bool        // the sessions whose peer connection is up
	gop      []frame                     // the packets since the last IDR picture
	gopBytes int

	payloader codecs.H264Payloader
	start     time.Time // the time of RTP timestamp ts0
	ts0       uint32
}

// frame is one access unit's packets and timestamp.
type frame struct {
	ts      uint32
	packets [][]byte // payloads; the last one carries the marker bit
}

// binding is the track bound to one session.
type binding struct {
	ssrc    webrtc.SSRC
	pt      webrtc.PayloadType
	w       webrtc.TrackLocalWriter
	seq     uint16
	started bool // has had an IDR picture, or the GOP before this picture
	up      bool // its peer connection is up: what is sent can arrive
	lastTS  uint32
	v       *hub.Viewer    // counts the pictures and bytes sent; may be nil
	sent    [nackSize]sent // the last packets, at their sequence number's place
}

// sent is a packet a session sent, to send again when its viewer lost it.
type sent struct {
	payload *[]byte // the camera's, shared, never written to
	ts      uint32
	seq     uint16
	marker  bool
}

func newTrack(id string) *track {
	return &track{id: id, bindings: map[string]*binding{}, viewers: map[webrtc.SSRC]*hub.Viewer{}, up: map[webrtc.SSRC]bool{}}
}

// Bind picks the H.264 codec of the session (packetization-mode 1, which
// fragments pictures, as browsers all offer).
func (t *track) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var pick *webrtc.RTPCodecParameters
	for _, c := range ctx.CodecParameters() {
		if !strings.EqualFold(c.MimeType, webrtc.MimeTypeH264) || !strings.Contains(c.SDPFmtpLine, "packetization-mode=1") {
			continue
		}
		if pick == nil {
			c := c
			pick = &c
		}
	}
	if pick == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.mu.Lock()
	t.bindings[ctx.ID()] = &binding{ssrc: ctx.SSRC(), pt: pick.PayloadType, w: ctx.WriteStream(), seq: uint16(time.Now().UnixNano()),
		v: t.viewers[ctx.SSRC()], up: t.up[ctx.SSRC()]}
	t.mu.Unlock()
	return *pick, nil
}

// Unbind forgets a session's binding.
func (t *track) Unbind(ctx webrtc.TrackLocalContext) error {
	t.mu.Lock()
	delete(t.bindings, ctx.ID())
	t.mu.Unlock()
	return nil
}

// ID, RID, StreamID and Kind describe the track to pion.
func (t *track) ID() string                { return "video" }
func (t *track) RID() string               { return "" }
func (t *track) StreamID() string          { return t.id }
func (t *track) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeVideo }

// count has the session sending as ssrc add its pictures and bytes to v,
// or forgets it with v nil.
func (t *track) count(ssrc webrtc.SSRC, v *hub.Viewer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v == nil {
		delete(t.viewers, ssrc)
		delete(t.up, ssrc)
		return
	}
	t.viewers[ssrc] = v
	for _, b := range t.bindings {
		if b.ssrc == ssrc {
			b.v = v
		}
	}
}

// connected has the session sending as ssrc start, with the GOP, now that
// its peer connection is up. pion binds the track as soon as its own DTLS
// handshake is done, and a GOP sent then was lost to Chromium more often
// than not: it asked for it again (PLI) 30 to 200 ms later, and got the
// GOP twice, doubling the pictures a new viewer decodes before its picture
// is live (docs/BENCHMARKS.md, "Latency in Chromium").
func (t *track) connected(ssrc webrtc.SSRC) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.up[ssrc] = true
	for _, b := range t.bindings {
		if b.ssrc == ssrc {
			b.up = true
			t.startSession(b) // now, not at the camera's next picture
		}
	}
}

// restart makes the session sending as ssrc start again from the GOP, as
// after a picture loss it reports.
func (t *track) restart(ssrc webrtc.SSRC) {
	t.mu.Lock()
	for _, b := range t.bindings {
		if b.ssrc == ssrc {
			b.started = false
		}
	}
	t.mu.Unlock()
}

// resend sends again the packets of seqs that the session sending as ssrc
// still has.
func (t *track) resend(ssrc webrtc.SSRC, seqs []uint16) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range t.bindings {
		if b.ssrc != ssrc {
			continue
		}
		for _, seq := range seqs {
			p := &b.sent[seq%nackSize]
			if p.payload == nil || p.seq != seq {
				continue // too old
			}
			h := rtp.Header{Version: 2, PayloadType: uint8(b.pt), SSRC: uint32(b.ssrc), Timestamp: p.ts, SequenceNumber: seq, Marker: p.marker}
			b.w.WriteRTP(&h, *p.payload)
		}
	}
}

// write sends access unit f to every session.
func (t *track) write(f *hub.Frame) {
	if t.start.IsZero() {
		t.start, t.ts0 = f.Time, uint32(time.Now().UnixNano())
	}
	fr := frame{ts: t.ts0 + uint32(f.Time.Sub(t.start)*clockRate/time.Second)}
	fr.packets = t.payloader.Payload(mtu-12, f.Data)
	if len(fr.packets) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if f.Key {
		t.gop, t.gopBytes = t.gop[:0], 0
	}
	if len(t.gop) > 0 || f.Key {
		t.gop = append(t.gop, fr)
		if t.gopBytes += len(f.Data); t.gopBytes > hub.DefaultMaxGOPBytes {
			t.gop, t.gopBytes = nil, 0 // too long to keep: joiners wait for an IDR picture
		}
	}
	for _, b := range t.bindings {
		if !b.up {
			continue
		}
		if !b.started {
			t.startSession(b) // the GOP ends with this picture
			continue
		}
		b.send(fr.packets, fr.ts)
	}
}

// startSession sends session b the pictures since the last IDR picture,
// the older ones stamped just before the newest, so the player decodes
// them at once and shows the newest picture. With no IDR picture yet it
// sends nothing: nothing could be decoded.
func (t *track) startSession(b *binding) {
	if len(t.gop) == 0 {
		return
	}
	last := t.gop[len(t.gop)-1]
	n := uint32(len(t.gop) - 1)
	for i, g := range t.gop[:n] {
		b.send(g.packets, last.ts-n+uint32(i))
	}
	b.send(last.packets, last.ts)
	b.started = true
}

// send writes one picture's packets.
func (b *binding) send(payloads [][]byte, ts uint32) {
	if ts == b.lastTS {
		ts++ // two pictures at one capture time: keep them apart
	}
	b.lastTS = ts
	h := rtp.Header{Version: 2, PayloadType: uint8(b.pt), SSRC: uint32(b.ssrc), Timestamp: ts}
	if b.v != nil {
		n := 0
		for _, p := range payloads {
			n += h.MarshalSize() + len(p)
		}
		b.v.Frames.Add(1)
		b.v.Bytes.Add(int64(n))
	}
	for i, p := range payloads {
		h.SequenceNumber = b.seq
		b.seq++
		h.Marker = i == len(payloads)-1
		b.sent[h.SequenceNumber%nackSize] = sent{payload: &payloads[i], ts: ts, seq: h.SequenceNumber, marker: h.Marker}
		// An error means this session's transport is gone; its state
		// change ends the session.
		b.w.WriteRTP(&h, p)
	}
}

// run writes the camera's access units to the track until ctx ends.
func (t *track) run(ctx context.Context, cam Camera) {
	var f *hub.Frame
	for {
		n, err := cam.NextAU(ctx, f)
		if err != nil {
			return
		}
		t.write(n)
		f = n
	}
}
