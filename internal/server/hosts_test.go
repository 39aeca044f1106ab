package server_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/server"
)

// hostGet sends method path to ts naming host as Host, with the headers
// given as name, value pairs, and returns the status and body.
func hostGet(t *testing.T, url, method, path, host string, headers ...string) (int, string) {
	t.Helper()
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader("brightness=1")
	}
	req, err := http.NewRequest(method, url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/") {
		return resp.StatusCode, ""
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDNSRebinding: without auth, a request naming a host that is not an
// IP address, localhost, this machine or an allowed name is refused on
// every route, the controls POST a rebinding page would send included.
func TestDNSRebinding(t *testing.T) {
	src := fake.NewControlSource()
	srv := &server.Server{AllowedHosts: []string{"cam.example.org"}}
	url := ctlServer(t, srv, src)
	me, _ := os.Hostname()
	port := url[strings.LastIndex(url, ":"):]
	for _, host := range []string{"127.0.0.1" + port, "[::1]" + port, "localhost" + port, "LOCALHOST.", "cam.example.org" + port,
		"Cam.Example.Org.", "192.168.1.20", me + port, strings.Split(me, ".")[0] + ".local" + port, "pi.localhost"} {
		if code, body := hostGet(t, url, "GET", "/api/status", host); code != 200 {
			t.Errorf("Host %s: %d %s", host, code, body)
		}
	}
	for _, path := range []string{"/", "/stream", "/snapshot", "/api/status", "/metrics", "/api/cameras/webcam/controls", "/cam/webcam/stream"} {
		code, body := hostGet(t, url, "GET", path, "evil.example"+port)
		if code != http.StatusMisdirectedRequest || !strings.Contains(body, "allowed_hosts") {
			t.Errorf("GET %s with Host evil.example: %d %q, want 421", path, code, body)
		}
	}
	code, body := hostGet(t, url, "POST", "/api/cameras/webcam/controls", "evil.example"+port, "Origin", "http://evil.example"+port)
	if code != http.StatusMisdirectedRequest {
		t.Errorf("controls POST from a rebinding page: %d %q, want 421", code, body)
	}
	if sets := src.Sets(); len(sets) != 0 {
		t.Errorf("a rebinding page set %v", sets)
	}
}

// TestHostsWithAuth: with users, any host is answered (the password is
// what a rebinding page lacks).
func TestHostsWithAuth(t *testing.T) {
	ts := secServe(t, secServer(io.Discard))
	if code, body := hostGet(t, ts.URL, "GET", "/api/status", "evil.example", "Authorization", basic(secUser, secPassword)); code != 200 {
		t.Errorf("with auth: %d %s", code, body)
	}
}

func TestCheckHostName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"cam.example.org", true}, {"raspberrypi", true}, {"", false}, {"https://cam.example", false},
		{"cam.example:8080", false}, {"cam example", false}, {"*.example", false}, {".example", false},
	} {
		if err := server.CheckHostName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckHostName(%q) = %v", tt.name, err)
		}
	}
}
