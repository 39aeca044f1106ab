package whep

import (
	"testing"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// boundSession is a pion session's side of a binding: what it negotiated
// and the packets the track wrote to it.
type boundSession struct {
	ssrc    webrtc.SSRC
	written []rtp.Packet
}

func (s *boundSession) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: clockRate, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}}}
}
func (s *boundSession) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (s *boundSession) SSRC() webrtc.SSRC                                      { return s.ssrc }
func (s *boundSession) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (s *boundSession) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (s *boundSession) WriteStream() webrtc.TrackLocalWriter                   { return s }
func (s *boundSession) ID() string                                             { return "session" }
func (s *boundSession) RTCPReader() interceptor.RTCPReader                     { return nil }
func (s *boundSession) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.written = append(s.written, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return h.MarshalSize() + len(payload), nil
}
func (s *boundSession) Write(b []byte) (int, error) { return len(b), nil }

// pictures returns the NAL unit types of each picture written, in order.
func (s *boundSession) pictures() [][]byte {
	var out [][]byte
	var pic []byte
	var d codecs.H264Packet
	for _, p := range s.written {
		b, err := d.Unmarshal(p.Payload)
		if err != nil {
			panic(err)
		}
		for i := 0; i+4 < len(b); i++ {
			if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
				pic = append(pic, b[i+3]&0x1f)
			}
		}
		if p.Marker {
			out = append(out, pic)
			pic = nil
		}
	}
	return out
}

// TestSessionStartsWhenConnected: a session bound to the track gets no
// packet until its peer connection is up, and then at once the pictures
// since the last IDR picture (SPS, PPS, IDR, then the P pictures), once,
// and the camera's next pictures after them.
func TestSessionStartsWhenConnected(t *testing.T) {
	tr := newTrack("door")
	s := &boundSession{ssrc: 7}
	if _, err := tr.Bind(s); err != nil {
		t.Fatal(err)
	}
	idr := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21}
	p := []byte{0, 0, 0, 1, 0x41, 0x9a, 0x21, 0x4c}
	t0 := time.Now()
	send := func(n int, key bool) {
		data := p
		if key {
			data = idr
		}
		tr.write(&hub.Frame{Frame: mjpeg.Frame{Data: data, Time: t0.Add(time.Duration(n) * time.Second / 30)}, Key: key})
	}
	send(0, true)
	send(1, false)
	send(2, false)
	if len(s.written) != 0 {
		t.Fatalf("%d packets written before the session's peer connection was up", len(s.written))
	}
	tr.connected(7)
	if got := s.pictures(); len(got) != 3 {
		t.Fatalf("%d pictures written once the session's peer connection was up, want the GOP's 3", len(got))
	}
	send(3, false)
	send(4, false)
	got := s.pictures()
	want := [][]byte{{7, 8, 5}, {1}, {1}, {1}, {1}}
	if len(got) != len(want) {
		t.Fatalf("pictures %v, want %v", got, want)
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("pictures %v, want %v", got, want)
		}
	}
	for i := 1; i < len(s.written); i++ {
		if a, b := s.written[i-1].Timestamp, s.written[i].Timestamp; int32(b-a) < 0 {
			t.Errorf("packet %d: timestamp %d after %d", i, b, a)
		}
	}
}
