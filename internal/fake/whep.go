package fake

import (
	"net"
	"testing"
	"time"

	"github.com/framecast/framecast/pkg/h264"
	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// WHEPClient is a WebRTC viewer made with pion, on loopback only: it
// receives one H.264 video track and reassembles its pictures. Like a
// browser, it asks for a picture it can start at (PLI) while it has none.
type WHEPClient struct {
	// PC is its peer connection.
	PC *webrtc.PeerConnection
	// Offer is its SDP offer, with its candidates.
	Offer string
	// Pics receives every picture, as an Annex-B access unit.
	Pics chan []byte
	// RTP receives every RTP packet, retransmissions too.
	RTP chan *rtp.Packet
	// RTCP receives every RTCP packet the server sends.
	RTCP chan rtcp.Packet
}

// NewWHEPClient makes a client and its offer; it is closed when t ends.
func NewWHEPClient(t testing.TB) *WHEPClient {
	t.Helper()
	return NewWHEPClientOn(t, nil)
}

// NewWHEPClientOn is NewWHEPClient with all of the client's ICE traffic on
// conn (nil for its own sockets): closing conn makes the client vanish
// without a word, as a viewer whose network went away.
func NewWHEPClientOn(t testing.TB, conn net.PacketConn) *WHEPClient {
	t.Helper()
	return newWHEPClient(t, conn, webrtc.NetworkTypeUDP4)
}

// NewWHEPClientTCP is NewWHEPClient on ICE-TCP only, as a viewer on a
// network that blocks UDP: it offers no candidates and connects to the
// server's passive TCP candidates.
//
// Start the processes a test needs (a camera's ffmpeg) before Answer:
// pion's active ICE-TCP (github.com/pion/ice/v4 v4.4.8, newActiveTCPConn
// and getTCPAddrOnInterface in active_tcp.go) picks its local port by
// listening on port 0 and closing, then dials from that port. A process
// forked in between holds a copy of the listener until it execs, the dial
// fails with "bind: address already in use", and pion never dials again:
// the client never connects.
func NewWHEPClientTCP(t testing.TB) *WHEPClient {
	t.Helper()
	return newWHEPClient(t, nil, webrtc.NetworkTypeTCP4)
}

func newWHEPClient(t testing.TB, conn net.PacketConn, network webrtc.NetworkType) *WHEPClient {
	t.Helper()
	var se webrtc.SettingEngine
	if conn != nil {
		se.SetICEUDPMux(webrtc.NewICEUDPMux(nil, conn))
	}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{network})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &WHEPClient{PC: pc, Pics: make(chan []byte, 10000), RTP: make(chan *rtp.Packet, 10000), RTCP: make(chan rtcp.Packet, 1000)}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go func() {
			for {
				pkts, _, err := r.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					select {
					case c.RTCP <- p:
					default: // nobody reads: drop
					}
				}
			}
		}()
		var pkt codecs.H264Packet
		var au []byte
		key := false
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			select {
			case c.RTP <- p:
			default:
			}
			b, err := pkt.Unmarshal(p.Payload)
			if err != nil {
				continue
			}
			au = append(au, b...)
			if !p.Marker {
				continue
			}
			if !key {
				for _, n := range h264.NALUnits(au) {
					key = key || h264.NALType(n) == h264.NALSliceIDR
				}
				if !key {
					pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
				}
			}
			select {
			case c.Pics <- au:
			default: // nobody reads: drop
			}
			au = nil
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	c.Offer = pc.LocalDescription().SDP
	return c
}

// Answer gives the client the server's answer.
func (c *WHEPClient) Answer(t testing.TB, sdp string) {
	t.Helper()
	if err := c.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
}

// FirstIDR waits for a picture with an IDR slice and returns the size its
// SPS gives, how many pictures came before it, and the picture.
func (c *WHEPClient) FirstIDR(t testing.TB) (w, h, before int, au []byte) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case au := <-c.Pics:
			var sps []byte
			idr := false
			for _, n := range h264.NALUnits(au) {
				switch h264.NALType(n) {
				case h264.NALSPS:
					sps = n
				case h264.NALSliceIDR:
					idr = true
				}
			}
			if !idr {
				before++
				continue
			}
			s, err := h264.ParseSPS(sps)
			if err != nil {
				t.Fatalf("the IDR picture's SPS: %v", err)
			}
			return s.Width, s.Height, before, au
		case <-timeout:
			t.Fatal("no IDR picture within a minute")
		}
	}
}
