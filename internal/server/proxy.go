package server

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// ParseProxy reads an entry of TrustedProxies: an address (192.168.1.2,
// ::1) or a network (10.0.0.0/8, fd00::/8).
func ParseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, errors.New(strconv.Quote(s) + " is not a network: write it as 10.0.0.0/8 or fd00::/8")
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, errors.New(strconv.Quote(s) + " is not an IP address or a network: write it as 192.168.1.2 or 10.0.0.0/8")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// trusted reports whether a is a trusted proxy.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the client address a trusted proxy forwarded r for:
// the last address of the Forwarded (else X-Forwarded-For) chain that is not
// itself a trusted proxy, as those before it are the client's to write. It
// reports false when r did not come from a trusted proxy or names no
// client it can read.
func (s *Server) forwardedFor(r *http.Request) (string, bool) {
	if len(s.TrustedProxies) == 0 {
		return "", false
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !s.trusted(peer.Addr()) {
		return "", false
	}
	chain := forwardedChain(r.Header)
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseNode(chain[i])
		if !ok {
			return "", false // "unknown" or hidden: no address to go by
		}
		if !s.trusted(a) || i == 0 {
			return a.String(), true
		}
	}
	return "", false
}

// forwardedChain lists the client addresses of the Forwarded header's
// for= parameters (RFC 7239), or when there is none of X-Forwarded-For,
// first to last, over every line of the header.
func forwardedChain(h http.Header) []string {
	var chain []string
	for _, line := range h.Values("Forwarded") {
		for elem := range strings.SplitSeq(line, ",") {
			for pair := range strings.SplitSeq(elem, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(k, "for") {
					chain = append(chain, strings.Trim(v, `"`))
				}
			}
		}
	}
	if len(chain) > 0 {
		return chain
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for v := range strings.SplitSeq(line, ",") {
			chain = append(chain, strings.TrimSpace(v))
		}
	}
	return chain
}

// parseNode reads an address of a forwarding chain: 192.0.2.1,
// 192.0.2.1:4711, 2001:db8::1 or [2001:db8::1]:4711.
func parseNode(v string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
