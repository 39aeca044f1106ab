package whep_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/whep"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// bound stops a test that would hang; it is never asserted.
const bound = time.Minute

// newServer serves WHEP on 127.0.0.1 only.
func newServer(t *testing.T) *whep.Server {
	t.Helper()
	s, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// h264Camera is a hub of ffmpeg's libx264 at size, a keyframe every 2 s.
func h264Camera(t *testing.T, size string) *hub.Hub {
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, size, "60"), Codec: hub.H264, IdleTimeout: time.Millisecond})
	t.Cleanup(h.Close)
	return h
}

// TestSession: a pion viewer gets the camera's pictures over RTP, starting
// with an IDR picture of the camera's size, and DELETE ends the session,
// its viewer place and the camera.
func TestSession(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "320x240")
	c := fake.NewWHEPClient(t)
	ended := make(chan struct{})
	id, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, func() { close(ended) })
	if err != nil {
		t.Fatal(err)
	}
	c.Answer(t, answer)
	w, hh, before, _ := c.FirstIDR(t)
	if w != 320 || hh != 240 || before != 0 {
		t.Fatalf("first IDR picture %dx%d after %d other pictures; want 320x240 first", w, hh, before)
	}
	for range 10 {
		select {
		case <-c.Pics:
		case <-time.After(bound):
			t.Fatal("pictures stopped")
		}
	}
	if st := h.Status(); st.Viewers != 1 || s.Sessions(h) != 1 || st.ViewerList[0].Frames < 11 || st.ViewerList[0].Bytes < 11*1000 {
		t.Errorf("%d viewers, %d sessions; want 1, 1; %+v", st.Viewers, s.Sessions(h), st.ViewerList)
	}
	if err := s.End(h, "nope"); !errors.Is(err, whep.ErrNoSession) {
		t.Errorf("End of an unknown session: %v", err)
	}
	if err := s.End(h, id); err != nil {
		t.Fatal(err)
	}
	<-ended
	if st := h.Status(); st.Viewers != 0 || s.Sessions(h) != 0 {
		t.Errorf("after DELETE: %d viewers, %d sessions", st.Viewers, s.Sessions(h))
	}
	fake.WaitFor(t, "the camera to stop", func() bool { return h.Status().State == hub.Idle })
	if err := s.End(h, id); !errors.Is(err, whep.ErrNoSession) {
		t.Errorf("a second DELETE: %v", err)
	}
}

// TestJoinMidGOP: a viewer that joins long after the last IDR picture
// (keyframes 20 s apart) starts with that IDR picture, not the next one:
// the pictures since it are sent first, when it joins or asks (PLI).
func TestJoinMidGOP(t *testing.T) {
	s := newServer(t)
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "160x120", "600"), Codec: hub.H264, IdleTimeout: time.Millisecond})
	t.Cleanup(h.Close)
	first := fake.NewWHEPClient(t)
	_, answer, err := s.Offer(h, "127.0.0.1:1", first.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	first.Answer(t, answer)
	_, _, _, head := first.FirstIDR(t)
	for range 20 { // well into the GOP
		<-first.Pics
	}
	second := fake.NewWHEPClient(t)
	_, answer, err = s.Offer(h, "127.0.0.1:2", second.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	second.Answer(t, answer)
	w, hh, _, got := second.FirstIDR(t)
	if w != 160 || hh != 120 || !bytes.Equal(got, head) {
		t.Fatalf("second viewer's first IDR picture: %dx%d, the GOP's head %v", w, hh, bytes.Equal(got, head))
	}
	if st := h.Status(); st.Viewers != 2 {
		t.Errorf("%d viewers, want 2", st.Viewers)
	}
}

// TestLeftWithoutDelete: a viewer that closes its connection without a
// DELETE (a closed tab) is ended, and its viewer place freed.
func TestLeftWithoutDelete(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "160x120")
	c := fake.NewWHEPClient(t)
	ended := make(chan struct{})
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, func() { close(ended) })
	if err != nil {
		t.Fatal(err)
	}
	c.Answer(t, answer)
	c.FirstIDR(t)
	c.PC.GracefulClose()
	select {
	case <-ended:
	case <-time.After(bound):
		t.Fatal("the session outlived its viewer")
	}
	if st := h.Status(); st.Viewers != 0 {
		t.Errorf("%d viewers left", st.Viewers)
	}
}

// TestVanishedViewer: a viewer whose network goes away, with no DELETE and
// no goodbye, is ended when ICE gives up on it (seconds, not minutes), and
// its viewer place freed.
func TestVanishedViewer(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "160x120")
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewWHEPClientOn(t, conn)
	ended := make(chan struct{})
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, func() { close(ended) })
	if err != nil {
		t.Fatal(err)
	}
	c.Answer(t, answer)
	c.FirstIDR(t)
	conn.Close()
	select {
	case <-ended:
	case <-time.After(bound):
		t.Fatal("the session outlived its vanished viewer")
	}
	if st := h.Status(); st.Viewers != 0 {
		t.Errorf("%d viewers left", st.Viewers)
	}
}

// TestPublicIP: with a public address set, the answer offers it instead of
// the machine's own (no client connects: it would go off this machine).
func TestPublicIP(t *testing.T) {
	s, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true, PublicIPs: []string{"203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := h264Camera(t, "160x120")
	_, answer, err := s.Offer(h, "127.0.0.1:1", fake.NewWHEPClient(t).Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	port := s.Addr().(*net.UDPAddr).Port
	want := fmt.Sprintf(" 203.0.113.7 %d typ host", port)
	if !strings.Contains(answer, want) || strings.Contains(answer, " 127.0.0.1 ") {
		t.Errorf("answer's candidates: want only%s:\n%s", want, answer)
	}
}

// TestOfferFlood: one client's offers that never connect are bounded;
// another client is not held up by them.
func TestOfferFlood(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "160x120")
	offer := fake.NewWHEPClient(t).Offer
	for i := range 8 {
		if _, _, err := s.Offer(h, fmt.Sprintf("127.0.0.9:%d", 1000+i), offer, nil); err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
	}
	if _, _, err := s.Offer(h, "127.0.0.9:2000", offer, nil); !errors.Is(err, whep.ErrTooMany) {
		t.Errorf("ninth unconnected offer: %v, want ErrTooMany", err)
	}
	c := fake.NewWHEPClient(t)
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, nil)
	if err != nil {
		t.Fatalf("another client: %v", err)
	}
	c.Answer(t, answer)
	c.FirstIDR(t)
}

// TestBadOffers: what is not an offer, or offers no H.264, is refused with
// the reason, and leaves no session or viewer behind.
func TestBadOffers(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "160x120")
	good := fake.NewWHEPClient(t).Offer
	cases := map[string]struct {
		sdp  string
		want error
	}{
		"empty":      {"", whep.ErrBadOffer},
		"not sdp":    {"hello", whep.ErrBadOffer},
		"broken":     {"v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264/90000\r\n", whep.ErrBadOffer},
		"vp8 only":   {removeH264(good), whep.ErrNoH264},
		"audio only": {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", whep.ErrNoH264},
	}
	for name, c := range cases {
		if _, _, err := s.Offer(h, "127.0.0.1:1", c.sdp, nil); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if st := h.Status(); st.Viewers != 0 || s.Sessions(h) != 0 {
		t.Errorf("%d viewers, %d sessions left", st.Viewers, s.Sessions(h))
	}
}

// removeH264 drops every H.264 format from an offer.
func removeH264(sdp string) string {
	var out []byte
	pts := map[string]bool{}
	lines := splitLines(sdp)
	for _, l := range lines {
		if len(l) > 9 && l[:9] == "a=rtpmap:" {
			var pt, codec string
			for i := 9; i < len(l); i++ {
				if l[i] == ' ' {
					pt, codec = l[9:i], l[i+1:]
					break
				}
			}
			if len(codec) >= 4 && codec[:4] == "H264" {
				pts[pt] = true
			}
		}
	}
	for _, l := range lines {
		skip := false
		for pt := range pts {
			for _, p := range []string{"a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"} {
				if len(l) > len(p)+len(pt) && l[:len(p)+len(pt)+1] == p+pt+" " {
					skip = true
				}
			}
		}
		if !skip {
			out = append(out, l...)
			out = append(out, '\r', '\n')
		}
	}
	return string(out)
}

func splitLines(s string) []string {
	var ls []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		l := s[:i]
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if l != "" {
			ls = append(ls, l)
		}
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return ls
}

// TestICETCP: a viewer that can use TCP only (its network blocks UDP)
// connects to the TCP candidate on the UDP port's number and gets the
// camera's pictures.
func TestICETCP(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "160x120")
	// The camera's ffmpeg is started before the client dials: see
	// fake.NewWHEPClientTCP.
	v := h.Join("127.0.0.1:2")
	defer v.Leave()
	fake.WaitFor(t, "the camera to run", func() bool { return h.Status().State == hub.Running })
	c := fake.NewWHEPClientTCP(t)
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	port := s.Addr().(*net.UDPAddr).Port
	if want := fmt.Sprintf(" 127.0.0.1 %d typ host tcptype passive", port); !strings.Contains(answer, want) {
		t.Fatalf("answer has no%s:\n%s", want, answer)
	}
	c.Answer(t, answer)
	if w, hh, _, _ := c.FirstIDR(t); w != 160 || hh != 120 {
		t.Fatalf("first IDR picture %dx%d; want 160x120", w, hh)
	}
	pair, err := c.PC.GetReceivers()[0].Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local.Protocol != webrtc.ICEProtocolTCP || pair.Remote.Port != uint16(port) {
		t.Errorf("selected pair %v (%v); want TCP to port %d", pair, err, port)
	}
}

// lossyConn loses the drop-th RTP packet that comes in (counting those over
// 500 bytes: video, not RTCP), below SRTP as a network would.
type lossyConn struct {
	net.PacketConn
	drop, n int
	lost    chan struct{}
}

func (c *lossyConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		// RFC 7983: RTP and RTCP begin with a byte of 128 to 191.
		if err == nil && n > 500 && b[0] >= 128 && b[0] <= 191 {
			if c.n++; c.n == c.drop {
				close(c.lost)
				continue
			}
		}
		return n, addr, err
	}
}

// nextRTP returns the client's next RTP packet.
func nextRTP(t *testing.T, c *fake.WHEPClient) *rtp.Packet {
	t.Helper()
	select {
	case p := <-c.RTP:
		return p
	case <-time.After(bound):
		t.Fatal("no RTP packet within a minute")
		return nil
	}
}

// TestNACK: a packet lost on the way and asked for again (NACK) is sent
// again, with its sequence number.
func TestNACK(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "320x240")
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lossy := &lossyConn{PacketConn: conn, drop: 40, lost: make(chan struct{})}
	c := fake.NewWHEPClientOn(t, lossy)
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Answer(t, answer)
	// The packets after the lost one show the gap.
	p := nextRTP(t, c)
	var missing []uint16
	for next := p.SequenceNumber + 1; len(missing) == 0; next = p.SequenceNumber + 1 {
		p = nextRTP(t, c)
		for q := next; q != p.SequenceNumber && p.SequenceNumber-next < 1<<15; q++ {
			missing = append(missing, q)
		}
	}
	<-lossy.lost
	if err := c.PC.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: p.SSRC, Nacks: rtcp.NackPairsFromSequenceNumbers(missing)}}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(bound)
	for {
		select {
		case q := <-c.RTP:
			if q.SequenceNumber != missing[0] {
				continue
			}
			if q.SSRC != p.SSRC || len(q.Payload) == 0 {
				t.Errorf("the packet sent again: SSRC %d, %d bytes; want SSRC %d and its payload", q.SSRC, len(q.Payload), p.SSRC)
			}
			return
		case <-timeout:
			t.Fatalf("packet %d, lost, never came again", missing[0])
		}
	}
}

// TestSenderReports: the server sends RTCP sender reports of the video it
// sends (players use them to measure the round trip and to sync).
func TestSenderReports(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "160x120")
	c := fake.NewWHEPClient(t)
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Answer(t, answer)
	ssrc := nextRTP(t, c).SSRC
	for {
		select {
		case p := <-c.RTCP:
			if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == ssrc && sr.PacketCount > 0 {
				return
			}
		case <-time.After(bound):
			t.Fatal("no sender report within a minute")
		}
	}
}

// TestPLI: a viewer that reports a picture lost (PLI) mid-GOP gets the GOP
// again from its IDR picture, not the camera's next one (keyframes 20 s
// apart).
func TestPLI(t *testing.T) {
	s := newServer(t)
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "160x120", "600"), Codec: hub.H264, IdleTimeout: time.Millisecond})
	t.Cleanup(h.Close)
	c := fake.NewWHEPClient(t)
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Answer(t, answer)
	_, _, _, head := c.FirstIDR(t)
	for range 20 {
		<-c.Pics
	}
	ssrc := nextRTP(t, c).SSRC
	if err := c.PC.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, got := c.FirstIDR(t); !bytes.Equal(got, head) {
		t.Error("after a PLI: an IDR picture other than the GOP's")
	}
}

// TestUDPSessionDropsTCP: a session connected over UDP lets go of its
// ICE-TCP side, which pion would keep (a connection and its goroutines)
// for the session's life.
func TestUDPSessionDropsTCP(t *testing.T) {
	s := newServer(t)
	h := h264Camera(t, "160x120")
	c := fake.NewWHEPClient(t)
	_, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Answer(t, answer)
	c.FirstIDR(t)
	fake.WaitFor(t, "the session's ICE-TCP goroutines to end", func() bool {
		b := make([]byte, 1<<20)
		return !strings.Contains(string(b[:runtime.Stack(b, true)]), "ice/v4.(*tcpPacketConn)")
	})
	for range 10 {
		<-c.Pics // still playing
	}
}
