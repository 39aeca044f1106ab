package whep

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
)

// ParseICEServer reads a STUN or TURN server: stun:host[:port], or
// turn:user:password@host[:port][?transport=udp|tcp] (turns: for TLS).
// The password runs from the first ':' of the user information to its last
// '@'. Errors never hold the user name or password.
func ParseICEServer(s string) (webrtc.ICEServer, error) {
	scheme, rest, _ := strings.Cut(s, ":")
	var user, pass string
	hasUser := false
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		hasUser = true
		user, pass, _ = strings.Cut(rest[:i], ":")
		rest = rest[i+1:]
	}
	// Only this text, without the credentials, goes into errors.
	bare := scheme + ":" + rest
	u, err := stun.ParseURI(bare)
	if err != nil {
		return webrtc.ICEServer{}, fmt.Errorf("ICE server %q: %w (want stun:host:port or turn:user:password@host:port)", bare, err)
	}
	if u.Port < 1 || u.Port > 65535 {
		return webrtc.ICEServer{}, fmt.Errorf("ICE server %q: port %d is not 1 to 65535", bare, u.Port)
	}
	switch u.Scheme {
	case stun.SchemeTypeTURN, stun.SchemeTypeTURNS:
		if user == "" || pass == "" {
			return webrtc.ICEServer{}, fmt.Errorf("ICE server %q: %w", bare, errors.New("a TURN server needs user:password@ before its host"))
		}
		return webrtc.ICEServer{URLs: []string{bare}, Username: user, Credential: pass, CredentialType: webrtc.ICECredentialTypePassword}, nil
	}
	if hasUser {
		return webrtc.ICEServer{}, fmt.Errorf("ICE server %q: a STUN server takes no user or password", bare)
	}
	return webrtc.ICEServer{URLs: []string{bare}}, nil
}
