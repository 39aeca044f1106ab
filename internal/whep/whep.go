// Package whep serves H.264 cameras to browsers over WebRTC, answering WHEP
// requests (RFC 9725): an SDP offer in, an SDP answer out. Each camera has
// one video track that all its sessions share: a picture is packetized
// once, whatever the number of viewers, and nothing is encoded per viewer.
// A session joins at the camera's last IDR picture, so its first picture
// comes at once.
//
// ICE uses host candidates on one port number, shared by every session: a
// UDP mux, and a TCP mux on the same number for networks that block UDP
// (ICE-TCP, passive candidates), so one port forward (UDP and TCP) is
// enough. STUN and TURN servers are optional (Config.ICEServers).
package whep

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

// Camera is what a WHEP session needs of a camera: its access units in
// order, and a viewer's place, which keeps the camera running.
type Camera interface {
	Name() string
	NextAU(ctx context.Context, prev *hub.Frame) (*hub.Frame, error)
	Join(addr string) *hub.Viewer
}

// Errors of Offer. Each is wrapped with the details.
var (
	// ErrBadOffer is an offer that is no SDP pion can use.
	ErrBadOffer = errors.New("bad SDP offer")
	// ErrNoH264 is an offer without an H.264 video receiver.
	ErrNoH264 = errors.New("the offer cannot receive H.264 video")
	// ErrTooMany refuses a session beyond MaxSessions.
	ErrTooMany = errors.New("too many WebRTC sessions")
	// ErrNoSession is an End of a session that does not exist (any more).
	ErrNoSession = errors.New("no such session")
)

// DefaultMaxSessions is the MaxSessions of a Config that sets none.
const DefaultMaxSessions = 256

// connectTimeout ends a session whose peer never completes ICE and DTLS.
const connectTimeout = 30 * time.Second

// maxPending bounds the sessions of one client address that have not
// connected yet, so a flood of offers cannot hold many peer connections.
const maxPending = 8

// Config configures a Server.
type Config struct {
	// UDP is the address of the one UDP port every session uses, as
	// host:port; ICE-TCP listens on the same host and port number. An
	// empty host listens on every address and offers each one as a
	// candidate; a host offers only that address. Port 0 picks a port
	// free on both.
	UDP string
	// Loopback offers loopback candidates too, for viewers on the same
	// machine (and tests); browsers elsewhere ignore them.
	Loopback bool
	// PublicIPs, when set, are offered instead of the machine's own
	// addresses: the public address of a router that forwards the UDP
	// port (one per address family).
	PublicIPs []string
	// ICEServers are STUN and TURN servers, as ParseICEServer reads them;
	// none means host candidates only.
	ICEServers []string
	// MaxSessions bounds the sessions of all cameras together; zero means
	// DefaultMaxSessions.
	MaxSessions int
	// Logger receives session events; nil means slog.Default().
	Logger *slog.Logger
}

// Server answers WHEP offers for any number of cameras. Its methods are safe
// for concurrent use.
type Server struct {
	cfg  Config
	log  *slog.Logger
	api  *webrtc.API
	conn net.PacketConn
	mux  ice.UDPMux
	tcp  net.Listener
	tmux ice.TCPMux
	ice  []webrtc.ICEServer

	mu       sync.Mutex
	sessions map[string]*session
	cams     map[Camera]*camTrack
	pending  map[string]int // unconnected sessions by client host
	closed   bool
}

// camTrack is a camera's shared track and the writer feeding it, which runs
// while the camera has sessions.
type camTrack struct {
	t      *track
	n      int
	cancel context.CancelFunc
	done   chan struct{}
}

// session is one viewer's peer connection.
type session struct {
	id      string
	cam     Camera
	pc      *webrtc.PeerConnection
	v       *hub.Viewer
	ssrc    webrtc.SSRC // what the session's video is sent as
	client  string      // the viewer's host, for the pending count
	pending bool        // not connected yet; guarded by Server.mu
	onEnd   func()
	endOnce sync.Once
}

// New opens the UDP and TCP ports and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sessions: map[string]*session{}, cams: map[Camera]*camTrack{}, pending: map[string]int{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, u := range cfg.ICEServers {
		is, err := ParseICEServer(u)
		if err != nil {
			return nil, err
		}
		s.ice = append(s.ice, is)
	}
	conn, tcp, err := listen(cfg.UDP)
	if err != nil {
		return nil, err
	}
	s.conn, s.tcp = conn, tcp
	s.mux = webrtc.NewICEUDPMux(nil, conn)
	// pion's default queues 4 MB per TCP viewer, 18 s of a 1.8 Mbit/s
	// camera on a link too slow for it; 512 KiB (a large keyframe three
	// times) drops packets instead, which NACK and PLI repair, and
	// latency stays low. An idle connection goes after 10 s, not 30.
	s.tmux = ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: tcp, ReadBufferSize: 8,
		WriteBufferSize: 512 << 10, FirstStunBindTimeout: 10 * time.Second})

	var se webrtc.SettingEngine
	se.LoggerFactory = &sharedLoggers{f: logging.NewDefaultLoggerFactory(), m: map[string]logging.LeveledLogger{}}
	sn, err := newSharedNet()
	if err != nil {
		s.closePorts()
		return nil, err
	}
	se.SetNet(sn)
	se.SetICEUDPMux(s.mux)
	se.SetICETCPMux(s.tmux)
	// The server only answers: it dials no address an offer names.
	se.DisableActiveTCP(true)
	se.SetIncludeLoopbackCandidate(cfg.Loopback)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6})
	// A viewer gone without DELETE (a closed tab) is noticed within
	// seconds, not the default half-minute.
	se.SetICETimeouts(5*time.Second, 10*time.Second, 2*time.Second)
	if len(cfg.PublicIPs) > 0 {
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: cfg.PublicIPs, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace})
		if err != nil {
			s.closePorts()
			return nil, fmt.Errorf("webrtc public address: %w", err)
		}
	}
	if host, _, _ := net.SplitHostPort(cfg.UDP); host != "" {
		if ip := net.ParseIP(host); ip != nil {
			se.SetIPFilter(func(c net.IP) bool { return c.Equal(ip) })
		}
	}
	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	// Browsers decode every profile; the ones offered say which.
	for i, fmtp := range []string{
		"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
		"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
		"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032",
	} {
		err := m.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: clockRate, SDPFmtpLine: fmtp, RTCPFeedback: fb},
			PayloadType:        webrtc.PayloadType(102 + 2*i),
		}, webrtc.RTPCodecTypeVideo)
		if err != nil {
			s.closePorts()
			return nil, err
		}
	}
	// Of pion's interceptors a session needs only sender reports: the
	// track answers NACKs itself, from the packets every session shares,
	// and a session receives no RTP to report on.
	ir := &interceptor.Registry{}
	sr, err := report.NewSenderInterceptor()
	if err != nil {
		s.closePorts()
		return nil, err
	}
	ir.Add(sr)
	s.api = webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir))
	return s, nil
}

// sharedLoggers gives every session's pion components the same logger of
// each scope: pion's default factory makes new ones (five log.Loggers
// each) for every component of every session, 5 KB a viewer.
type sharedLoggers struct {
	f  *logging.DefaultLoggerFactory
	mu sync.Mutex
	m  map[string]logging.LeveledLogger
}

// NewLogger returns the logger of scope, made on its first use.
func (l *sharedLoggers) NewLogger(scope string) logging.LeveledLogger {
	l.mu.Lock()
	defer l.mu.Unlock()
	lg := l.m[scope]
	if lg == nil {
		lg = l.f.NewLogger(scope)
		l.m[scope] = lg
	}
	return lg
}

// sharedNet is the network every session's ICE agent reads the machine's
// addresses from (for its ICE-TCP candidates): pion makes a new one for
// each session, a netlink dump of every interface and 7 KB kept for the
// session's life. This one reads them again at most once a second, so an
// address that comes later (DHCP) is still offered.
type sharedNet struct {
	transport.Net // sockets and names: the first one

	mu  sync.Mutex
	cur *stdnet.Net
	at  time.Time
}

func newSharedNet() (*sharedNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("webrtc: the machine's network interfaces: %w", err)
	}
	return &sharedNet{Net: n, cur: n, at: time.Now()}, nil
}

// now returns the interfaces as of the last second.
func (n *sharedNet) now() *stdnet.Net {
	n.mu.Lock()
	defer n.mu.Unlock()
	if time.Since(n.at) >= time.Second {
		if c, err := stdnet.NewNet(); err == nil {
			n.cur = c
		}
		n.at = time.Now()
	}
	return n.cur
}

// Interfaces returns the machine's interfaces as of the last second.
func (n *sharedNet) Interfaces() ([]*transport.Interface, error) { return n.now().Interfaces() }

// InterfaceByIndex returns an interface as of the last second.
func (n *sharedNet) InterfaceByIndex(i int) (*transport.Interface, error) {
	return n.now().InterfaceByIndex(i)
}

// InterfaceByName returns an interface as of the last second.
func (n *sharedNet) InterfaceByName(name string) (*transport.Interface, error) {
	return n.now().InterfaceByName(name)
}

// listen opens the UDP port of addr and the TCP port of the same number.
// Port 0 picks one free for both.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("webrtc port: %w", err)
	}
	for try := 0; ; try++ {
		conn, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("webrtc port (UDP): %w", err)
		}
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port)))
		if err == nil {
			return conn, tcp, nil
		}
		conn.Close()
		// A free UDP port may be taken on TCP: pick another.
		if port != "0" || try == 10 {
			return nil, nil, fmt.Errorf("webrtc port (TCP): %w", err)
		}
	}
}

func (s *Server) closePorts() {
	s.tmux.Close()
	s.tcp.Close()
	s.mux.Close()
	s.conn.Close()
}

// Addr returns the UDP address sessions use; TCP has the same port.
func (s *Server) Addr() net.Addr { return s.conn.LocalAddr() }

// Offer starts a session of cam for the viewer at addr with SDP offer, and
// returns the session's id and the SDP answer. The session counts as a
// viewer of cam until it ends: by End, by its peer's leaving or failing,
// or by Close; onEnd (if not nil) is called then, once.
func (s *Server) Offer(cam Camera, addr, offer string, onEnd func()) (id, answer string, err error) {
	if !strings.Contains(offer, "v=0") {
		return "", "", fmt.Errorf("%w: not SDP (it must begin with v=0)", ErrBadOffer)
	}
	if !strings.Contains(strings.ToUpper(offer), "H264/90000") {
		return "", "", fmt.Errorf("%w: it offers no H264/90000 codec", ErrNoH264)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", "", ErrNoSession
	}
	if len(s.sessions) >= s.cfg.MaxSessions {
		s.mu.Unlock()
		return "", "", fmt.Errorf("%w: %d at most", ErrTooMany, s.cfg.MaxSessions)
	}
	client, _, err := net.SplitHostPort(addr)
	if err != nil {
		client = addr
	}
	if s.pending[client] >= maxPending {
		s.mu.Unlock()
		return "", "", fmt.Errorf("%w: %d from %s are still connecting", ErrTooMany, maxPending, client)
	}
	ct := s.cams[cam]
	if ct == nil {
		ct = &camTrack{t: newTrack(cam.Name())}
		s.cams[cam] = ct
	}
	s.mu.Unlock()

	pc, err := s.api.NewPeerConnection(webrtc.Configuration{ICEServers: s.ice})
	if err != nil {
		return "", "", err
	}
	fail := func(err error) (string, string, error) {
		pc.Close()
		return "", "", err
	}
	sender, err := pc.AddTrack(ct.t)
	if err != nil {
		return fail(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrNoH264, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	<-gathered // host candidates: at once; STUN and TURN take a round trip
	if !strings.Contains(pc.LocalDescription().SDP, " H264/90000") {
		return fail(fmt.Errorf("%w: none of its H.264 formats can be sent", ErrNoH264))
	}

	b := make([]byte, 16)
	rand.Read(b)
	se := &session{id: hex.EncodeToString(b), cam: cam, pc: pc, onEnd: onEnd, client: client, pending: true}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fail(ErrNoSession)
	}
	if s.pending[client] >= maxPending {
		s.mu.Unlock()
		return fail(fmt.Errorf("%w: %d from %s are still connecting", ErrTooMany, maxPending, client))
	}
	s.pending[client]++
	se.v = cam.Join(addr)
	se.ssrc = sender.GetParameters().Encodings[0].SSRC
	ct.t.count(se.ssrc, se.v)
	s.sessions[se.id] = se
	if ct.n++; ct.n == 1 {
		ctx, cancel := context.WithCancel(context.Background())
		ct.cancel, ct.done = cancel, make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			ct.t.run(ctx, cam)
		}(ct.done)
	}
	s.mu.Unlock()

	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			ct.t.connected(se.ssrc)
			s.connected(se)
			s.dropTCP(sender.Transport().ICETransport())
			s.log.Info("webrtc viewer connected", "camera", cam.Name(), "addr", addr, "session", se.id[:8])
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			s.end(se, "connection "+st.String())
		}
	})
	time.AfterFunc(connectTimeout, func() {
		if pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			s.end(se, "never connected")
		}
	})
	// A lost packet is sent again; a lost picture makes the session
	// start again at the last IDR picture.
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := sender.Read(buf)
			if err != nil {
				return
			}
			pkts, err := rtcp.Unmarshal(buf[:n])
			if err != nil {
				continue
			}
			for _, p := range pkts {
				switch p := p.(type) {
				case *rtcp.PictureLossIndication:
					ct.t.restart(se.ssrc)
				case *rtcp.TransportLayerNack:
					for _, n := range p.Nacks {
						ct.t.resend(se.ssrc, n.PacketList())
					}
				}
			}
		}
	}()
	return se.id, pc.LocalDescription().SDP, nil
}

// End ends the session id of cam (a WHEP DELETE).
func (s *Server) End(cam Camera, id string) error {
	s.mu.Lock()
	se := s.sessions[id]
	s.mu.Unlock()
	if se == nil || se.cam != cam {
		return ErrNoSession
	}
	s.end(se, "ended by the viewer")
	return nil
}

// end closes a session, once.
func (s *Server) end(se *session, why string) {
	se.endOnce.Do(func() {
		s.mu.Lock()
		delete(s.sessions, se.id)
		s.unpendLocked(se)
		ct := s.cams[se.cam]
		ct.t.count(se.ssrc, nil)
		var done chan struct{}
		if ct.n--; ct.n == 0 {
			ct.cancel()
			done = ct.done
		}
		s.mu.Unlock()
		go se.pc.Close() // it may call back into end
		se.v.Leave()
		if done != nil {
			<-done
		}
		s.log.Info("webrtc viewer left", "camera", se.cam.Name(), "addr", se.v.Addr, "session", se.id[:8], "reason", why)
		if se.onEnd != nil {
			se.onEnd()
		}
	})
}

// dropTCP frees the ICE-TCP side of a session connected over UDP: pion
// keeps every candidate for a session's life, and the TCP one holds a
// connection object, an 8 KB read buffer and two goroutines, about
// 20 KB a viewer that never uses it.
func (s *Server) dropTCP(t *webrtc.ICETransport) {
	pair, err := t.GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local.Protocol != webrtc.ICEProtocolUDP {
		return
	}
	if p, err := t.GetLocalParameters(); err == nil {
		s.tmux.RemoveConnByUfrag(p.UsernameFragment)
	}
}

// connected takes se off its client's pending count.
func (s *Server) connected(se *session) {
	s.mu.Lock()
	s.unpendLocked(se)
	s.mu.Unlock()
}

func (s *Server) unpendLocked(se *session) {
	if !se.pending {
		return
	}
	se.pending = false
	if s.pending[se.client]--; s.pending[se.client] <= 0 {
		delete(s.pending, se.client)
	}
}

// Sessions returns the number of sessions of cam.
func (s *Server) Sessions(cam Camera) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ct := s.cams[cam]; ct != nil {
		return ct.n
	}
	return 0
}

// Close ends every session and closes the UDP and TCP ports.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	all := make([]*session, 0, len(s.sessions))
	for _, se := range s.sessions {
		all = append(all, se)
	}
	s.mu.Unlock()
	for _, se := range all {
		s.end(se, "server closing")
	}
	s.closePorts()
}
