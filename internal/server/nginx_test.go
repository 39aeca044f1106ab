package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// TestBehindNginx runs framecast behind Debian's nginx under /cam/, with
// README's configuration: the page and its assets load, stream frames
// pass one by one (each is sent only once the one before has come out of
// the proxy, so a buffering proxy would stall the test), the snapshot is
// the newest frame, and status names the client, not the proxy.
func TestBehindNginx(t *testing.T) {
	// README shows the location of deploy/nginx-framecast-prefix.conf.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(fake.DeployFile("nginx-framecast-prefix.conf"))
	if err != nil {
		t.Fatal(err)
	}
	_, loc, _ := strings.Cut(string(conf), "location /cam/ {")
	loc, _, _ = strings.Cut(loc, "}")
	for _, line := range strings.Split(strings.TrimSpace(loc), "\n") {
		if !bytes.Contains(readme, []byte(strings.TrimSpace(line))) {
			t.Errorf("README's nginx configuration lacks %q", strings.TrimSpace(line))
		}
	}

	next := make(chan []byte)
	h := hub.New(hub.Config{Name: "cam", IdleTimeout: time.Minute, StallTimeout: time.Hour, Logger: slog.New(slog.DiscardHandler),
		Source: hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
			for {
				select {
				case <-ctx.Done():
					return nil
				case f := <-next:
					emit(mjpeg.Frame{Data: f, Time: time.Now()})
				}
			}
		})})
	srv := &server.Server{Cameras: []*hub.Hub{h}, Logger: slog.New(slog.DiscardHandler),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := server.NewHTTPServer(srv.Handler(), slog.New(slog.DiscardHandler))
	go hs.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
		h.Close()
	})
	base := fake.NginxFile(t, "nginx-framecast-prefix.conf", ln.Addr().String()) + "/cam/"

	// The client comes from 127.0.0.2, the proxy from 127.0.0.1.
	client := &http.Client{Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	defer client.CloseIdleConnections()
	for path, want := range map[string]string{"": `<img id="live"`, "assets/app.js": "api/status", "assets/style.css": "object-fit"} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET /cam/%s through nginx: %s, body lacks %q", path, resp.Status, want)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"stream", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := mjpeg.BoundaryFromContentType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("stream through nginx: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	r := mjpeg.NewReader(resp.Body, b)
	var last []byte
	for i := range 5 {
		last = fake.JPEG(64, 48, i+1)
		next <- last
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if !bytes.Equal(p.Body, last) {
			t.Fatalf("part %d is not frame %d", i, i+1)
		}
	}

	resp2, err := client.Get(base + "snapshot")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != 200 || !bytes.Equal(snap, last) {
		t.Errorf("snapshot through nginx: %s, %d bytes; want the newest frame", resp2.Status, len(snap))
	}

	resp3, err := client.Get(base + "api/status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Cameras []struct {
			ViewerList []struct{ Addr string } `json:"viewer_list"`
		}
	}
	err = json.NewDecoder(resp3.Body).Decode(&st)
	resp3.Body.Close()
	if err != nil || len(st.Cameras) != 1 {
		t.Fatalf("status through nginx: %s %v", resp3.Status, err)
	}
	var addrs []string
	for _, v := range st.Cameras[0].ViewerList {
		addrs = append(addrs, v.Addr)
	}
	if len(addrs) != 1 || addrs[0] != "127.0.0.2" {
		t.Errorf("status names viewers %q, want the client 127.0.0.2", addrs)
	}
}
