package whep_test

import (
	"bytes"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/whep"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
)

func TestParseICEServer(t *testing.T) {
	for _, c := range []struct {
		in   string
		want webrtc.ICEServer
	}{
		{"stun:stun.example.com", webrtc.ICEServer{URLs: []string{"stun:stun.example.com"}}},
		{"stun:192.0.2.1:3478", webrtc.ICEServer{URLs: []string{"stun:192.0.2.1:3478"}}},
		{"turn:alice:pa:ss@w@turn.example.com:3478?transport=tcp", webrtc.ICEServer{URLs: []string{"turn:turn.example.com:3478?transport=tcp"},
			Username: "alice", Credential: "pa:ss@w", CredentialType: webrtc.ICECredentialTypePassword}},
		{"turns:bob:pw@turn.example.com", webrtc.ICEServer{URLs: []string{"turns:turn.example.com"},
			Username: "bob", Credential: "pw", CredentialType: webrtc.ICECredentialTypePassword}},
	} {
		got, err := whep.ParseICEServer(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseICEServer(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "stun:", "http://x", "turn:turn.example.com", "turn:alice@turn.example.com",
		"stun:alice:hunter2@stun.example.com", "turn:alice:hunter2@", "turn:alice:hunter2@h:99999", "turnx:alice:hunter2@h"} {
		_, err := whep.ParseICEServer(bad)
		if err == nil {
			t.Errorf("ParseICEServer(%q) took it", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseICEServer(%q): the error shows the password: %v", bad, err)
		}
	}
	if _, err := whep.New(whep.Config{UDP: "127.0.0.1:0", ICEServers: []string{"turn:alice:hunter2@"}}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("New with a bad TURN server: %v", err)
	}
}

// stunServer answers STUN binding requests on 127.0.0.1 with the address
// they came from, and counts them.
func stunServer(t *testing.T) (addr string, requests func() int) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		b := make([]byte, 1500)
		for {
			k, from, err := conn.ReadFrom(b)
			if err != nil {
				return
			}
			req := &stun.Message{Raw: append([]byte(nil), b[:k]...)}
			if req.Decode() != nil || req.Type != stun.BindingRequest {
				continue
			}
			mu.Lock()
			n++
			mu.Unlock()
			u := from.(*net.UDPAddr)
			res := stun.MustBuild(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
				&stun.XORMappedAddress{IP: u.IP, Port: u.Port}, stun.Fingerprint)
			conn.WriteTo(res.Raw, from)
		}
	}()
	return conn.LocalAddr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// TestICEServers: a session's peer connection has the configured STUN and
// TURN servers, asks the STUN server, and the TURN password reaches no log.
func TestICEServers(t *testing.T) {
	stunAddr, requests := stunServer(t)
	// Nothing listens on the TURN port: its allocation fails at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	turnAddr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true, Logger: log,
		ICEServers: []string{"stun:" + stunAddr, "turn:alice:hunter2@" + turnAddr + "?transport=tcp"}})
	if err != nil {
		t.Fatal(err)
	}
	h := h264Camera(t, "160x120")
	c := fake.NewWHEPClient(t)
	id, answer, err := s.Offer(h, "127.0.0.1:1", c.Offer, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []webrtc.ICEServer{{URLs: []string{"stun:" + stunAddr}},
		{URLs: []string{"turn:" + turnAddr + "?transport=tcp"}, Username: "alice", Credential: "hunter2", CredentialType: webrtc.ICECredentialTypePassword}}
	if got := s.ICEServersOf(id); !reflect.DeepEqual(got, want) {
		t.Errorf("peer connection's ICE servers %+v; want %+v", got, want)
	}
	if requests() == 0 {
		t.Errorf("the STUN server was never asked; answer:\n%s", answer)
	}
	c.Answer(t, answer)
	c.FirstIDR(t)
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "hunter2") || strings.Contains(answer, "hunter2") {
		t.Errorf("the TURN password is out:\n%s\n%s", logs.String(), answer)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
