package server

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestForwardedFor(t *testing.T) {
	s := &Server{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		name, remote string
		headers      []string // name, value, ...
		want         string   // "" for none
	}{
		{"from a trusted proxy", "127.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:5000", []string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
		{"from anyone else", "192.0.2.1:5000", []string{"X-Forwarded-For", "203.0.113.9"}, ""},
		{"no header", "127.0.0.1:5000", nil, ""},
		{"client's own entries come first", "127.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"through two proxies", "127.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
		{"several header lines", "127.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1", "X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
		{"only proxies", "127.0.0.1:5000", []string{"X-Forwarded-For", "10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"IPv6", "127.0.0.1:5000", []string{"X-Forwarded-For", "2001:db8::7"}, "2001:db8::7"},
		{"Forwarded", "127.0.0.1:5000", []string{"Forwarded", `for=1.1.1.1, for="[2001:db8::7]:4711";proto=https`}, "2001:db8::7"},
		{"Forwarded with a port", "127.0.0.1:5000", []string{"Forwarded", "for=203.0.113.9:4711;by=10.0.0.1"}, "203.0.113.9"},
		{"Forwarded wins", "127.0.0.1:5000", []string{"Forwarded", "for=203.0.113.9", "X-Forwarded-For", "198.51.100.1"}, "203.0.113.9"},
		{"unknown", "127.0.0.1:5000", []string{"Forwarded", "for=unknown"}, ""},
		{"garbage", "127.0.0.1:5000", []string{"X-Forwarded-For", "<script>"}, ""},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for i := 0; i+1 < len(tt.headers); i += 2 {
			r.Header.Add(tt.headers[i], tt.headers[i+1])
		}
		got, ok := s.forwardedFor(r)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := (&Server{}).forwardedFor(&http.Request{RemoteAddr: "127.0.0.1:1", Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}}}); ok {
		t.Error("no trusted proxies, yet the header was read")
	}
}

func TestParseProxy(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1/32"}, {"::1", "::1/128"}, {"10.1.2.3/8", "10.0.0.0/8"}, {"fd00::/8", "fd00::/8"},
		{"::ffff:192.168.1.2", "192.168.1.2/32"}, {"nginx", ""}, {"10.0.0.0/33", ""}, {"", ""}, {"fe80::1%eth0", ""},
	} {
		p, err := ParseProxy(tt.in)
		if got := p.String(); (err == nil) != (tt.want != "") || (err == nil && got != tt.want) {
			t.Errorf("ParseProxy(%q) = %s, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
