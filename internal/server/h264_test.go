package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/whep"
)

// TestH264CameraMJPEGRoutes: without a decoder (no ffmpeg), an H.264
// camera's MJPEG stream and snapshot answer 503, saying what is missing and
// where to watch it instead.
func TestH264CameraMJPEGRoutes(t *testing.T) {
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "160x120", "30"), Codec: hub.H264, IdleTimeout: 1})
	defer h.Close()
	srv := &server.Server{Cameras: []*hub.Hub{h}}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Close()
	for _, p := range []string{"/stream", "/snapshot", "/cam/door/stream", "/cam/door/snapshot.jpg", "/?action=stream"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "sends H.264") || !strings.Contains(string(b), "/cam/door/whep") ||
			!strings.Contains(string(b), "ffmpeg") {
			t.Errorf("%s: %d %q", p, resp.StatusCode, b)
		}
	}
	if st := h.Status(); st.Viewers != 0 || st.State != hub.Idle {
		t.Errorf("the refused requests left %d viewers, state %s", st.Viewers, st.State)
	}
}

// whepServer serves an H.264 camera "door" and an MJPEG camera "mjpeg"
// with WebRTC on 127.0.0.1, with srv's settings.
func whepServer(t *testing.T, srv *server.Server) (*httptest.Server, *hub.Hub) {
	t.Helper()
	w, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	door := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "320x240", "60"), Codec: hub.H264, IdleTimeout: time.Millisecond})
	srv.Cameras = []*hub.Hub{door, secHub("mjpeg")}
	srv.WHEP = w
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
		w.Close()
		for _, h := range srv.Cameras {
			h.Close()
		}
	})
	return ts, door
}

// offer POSTs sdp to url with the content type ct and auth, and returns
// the response and its body.
func offer(t *testing.T, url, ct, auth, sdp string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(sdp))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestWHEP: a pion viewer POSTs its offer, gets 201 with the answer and a
// Location, receives the camera's pictures from an IDR picture of its size
// on, and its DELETE ends the session and the camera.
func TestWHEP(t *testing.T) {
	ts, door := whepServer(t, &server.Server{})
	for _, path := range []string{"/whep", "/cam/door/whep"} {
		c := fake.NewWHEPClient(t)
		resp, answer := offer(t, ts.URL+path, "application/sdp", "", c.Offer)
		rel, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		loc := resp.Request.URL.ResolveReference(rel).Path
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/sdp" || !strings.HasPrefix(loc, "/cam/door/whep/") {
			t.Fatalf("POST %s: %d, %q, Location %q: %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), loc, answer)
		}
		c.Answer(t, answer)
		if w, h, _, _ := c.FirstIDR(t); w != 320 || h != 240 {
			t.Fatalf("first IDR picture %dx%d, want 320x240", w, h)
		}
		if st := door.Status(); st.Viewers != 1 {
			t.Errorf("%d viewers during the session", st.Viewers)
		}
		req, _ := http.NewRequest("DELETE", ts.URL+loc, nil)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("DELETE: %d", resp.StatusCode)
		}
		if st := door.Status(); st.Viewers != 0 {
			t.Errorf("%d viewers after DELETE", st.Viewers)
		}
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("second DELETE: %d, want 404", resp.StatusCode)
		}
	}
}

// TestWHEPBadRequests: wrong content type, bad SDP, an offer without
// H.264, an MJPEG camera and an unknown one each get a clear 4xx.
func TestWHEPBadRequests(t *testing.T) {
	ts, door := whepServer(t, &server.Server{})
	good := fake.NewWHEPClient(t).Offer
	cases := []struct {
		name, path, ct, sdp string
		code                int
		says                string
	}{
		{"form", "/cam/door/whep", "application/x-www-form-urlencoded", good, 415, "Content-Type: application/sdp"},
		{"not sdp", "/cam/door/whep", "application/sdp", "hello", 400, "bad SDP offer"},
		{"no h264", "/cam/door/whep", "application/sdp", strings.ReplaceAll(good, "H264", "H263"), 400, "cannot receive H.264"},
		{"mjpeg camera", "/cam/mjpeg/whep", "application/sdp", good, 409, "sends MJPEG"},
		{"unknown camera", "/cam/nope/whep", "application/sdp", good, 404, ""},
		{"too large", "/cam/door/whep", "application/sdp", good + strings.Repeat("a=x\r\n", 20000), 413, "64 KiB"},
	}
	for _, c := range cases {
		resp, body := offer(t, ts.URL+c.path, c.ct, "", c.sdp)
		if resp.StatusCode != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d %q; want %d saying %q", c.name, resp.StatusCode, body, c.code, c.says)
		}
	}
	if st := door.Status(); st.Viewers != 0 {
		t.Errorf("%d viewers left by the refused offers", st.Viewers)
	}
}

// TestWHEPAuthAndLimits: an offer needs the password or the camera's
// token, like the stream; sessions count against the viewer limits.
func TestWHEPAuthAndLimits(t *testing.T) {
	srv := &server.Server{Users: map[string]string{secUser: secHash()}, Tokens: []server.Token{{Camera: "door", Secret: tokOne}},
		MaxViewersPerCamera: 1, Logger: slog.New(slog.DiscardHandler)}
	ts, door := whepServer(t, srv)
	c := fake.NewWHEPClient(t)
	if resp, _ := offer(t, ts.URL+"/cam/door/whep", "application/sdp", "", c.Offer); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no auth: %d, want 401", resp.StatusCode)
	}
	resp, answer := offer(t, ts.URL+"/cam/door/whep?token="+tokOne, "application/sdp", "", c.Offer)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("with the token: %d %s", resp.StatusCode, answer)
	}
	c.Answer(t, answer)
	c.FirstIDR(t)
	second := fake.NewWHEPClient(t)
	resp, body := offer(t, ts.URL+"/cam/door/whep", "application/sdp", basic(secUser, secPassword), second.Offer)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "too many viewers") {
		t.Errorf("beyond the limit: %d %q", resp.StatusCode, body)
	}
	// The first viewer leaves without DELETE: its place is freed.
	c.PC.Close()
	fake.WaitFor(t, "the session to end", func() bool { return door.Status().Viewers == 0 })
	resp, _ = offer(t, ts.URL+"/cam/door/whep", "application/sdp", basic(secUser, secPassword), second.Offer)
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("after the first left: %d", resp.StatusCode)
	}
}
