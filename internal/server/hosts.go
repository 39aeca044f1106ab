package server

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// hostNames are the names a request may give as its Host when no Users or
// Tokens are set: localhost, this machine's names and AllowedHosts. Any
// IP address is allowed too.
//
// Without auth, a web page whose name is made to resolve to the camera
// (DNS rebinding) could read the streams and status and set the controls
// from the visitor's browser, as its origin; its requests give its own
// name as Host, which is how they are told apart.
type hostNames map[string]bool

func (s *Server) initHosts() {
	s.hosts = hostNames{"localhost": true}
	if h, err := os.Hostname(); err == nil && h != "" {
		h = strings.ToLower(h)
		short, _, _ := strings.Cut(h, ".")
		// mDNS names a Pi raspberrypi.local.
		for _, n := range []string{h, short, short + ".local"} {
			s.hosts[n] = true
		}
	}
	for _, n := range s.AllowedHosts {
		s.hosts[normalHost(n)] = true
	}
}

// normalHost is host (of a Host header: name, name:port, [v6]:port) without
// its port, brackets and a trailing dot, in lower case.
func normalHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// allows reports whether a request naming host may be answered.
func (n hostNames) allows(host string) bool {
	h := normalHost(host)
	if h == "" {
		return true // an HTTP/1.0 client without Host; browsers always send one
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return n[h] || strings.HasSuffix(h, ".localhost")
}

// checkHost answers a request whose Host is not allowed with 421, when no
// Users or Tokens are set, and reports whether r may go on.
func (s *Server) checkHost(w http.ResponseWriter, r *http.Request) bool {
	if s.auth.on || s.hosts.allows(r.Host) {
		return true
	}
	s.Logger.Warn("host refused", "client", r.RemoteAddr, "host", r.Host, "path", r.URL.Path)
	httpError(w, http.StatusMisdirectedRequest, "host "+normalHost(r.Host)+" is not allowed: without users or tokens, "+
		"framecast answers only to IP addresses, localhost, this machine's name and the names in allowed_hosts "+
		"(against DNS rebinding); add this name to allowed_hosts, or set users")
	return false
}

// CheckHostName reports whether name is a valid entry of AllowedHosts: a
// host name, without scheme, port or path.
func CheckHostName(name string) error {
	if name == "" || strings.ContainsAny(name, "/:@ \t*") || strings.HasPrefix(name, ".") {
		return errors.New(strconv.Quote(name) + " is not a host name: write the name alone, as in cam.example.org, without scheme, port or path")
	}
	return nil
}
