package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hls"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// h264Hub is an H.264 camera fed by ffmpeg: 320x240 at 30 fps, an IDR
// picture every second.
func h264Hub(t *testing.T, name string) *hub.Hub {
	h := hub.New(hub.Config{Name: name, Source: fake.H264(t, "320x240", "30"), Codec: hub.H264, IdleTimeout: time.Second})
	t.Cleanup(h.Close)
	return h
}

// serveWith serves srv's handler for the test's life.
func serveWith(t *testing.T, srv *server.Server) *httptest.Server {
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts
}

// probed is what ffprobe says of an MP4.
type probed struct {
	Codec         string
	Width, Height int
	Frames        int
}

// probeMP4 runs ffprobe on data, counting the decoded frames.
func probeMP4(t *testing.T, data []byte) probed {
	t.Helper()
	ff := fake.Tool(t, "ffprobe")
	cmd := exec.Command(ff, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "json", "-")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var r struct {
		Streams []struct {
			Codec  string `json:"codec_name"`
			Width  int    `json:"width"`
			Height int    `json:"height"`
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Streams) != 1 {
		t.Fatalf("ffprobe said %s (%v)", out, err)
	}
	s := r.Streams[0]
	p := probed{Codec: s.Codec, Width: s.Width, Height: s.Height}
	p.Frames, _ = strconv.Atoi(s.Frames)
	return p
}

// TestHLSPlayer plays an ffmpeg-fed H.264 camera as an LL-HLS player does:
// the playlist, the init segment, blocking reloads and every part. The
// parts it got, and the init segment with the whole segments, are H.264 of
// the camera's size that ffprobe decodes; parts and segments last whole
// frames (at 30 fps never less than a frame each), parts no longer than
// PART-TARGET; the muxer is one viewer of the camera and leaves it idle
// once no request comes.
func TestHLSPlayer(t *testing.T) {
	h := h264Hub(t, "door")
	srv := &server.Server{Cameras: []*hub.Hub{h}}
	ts := serveWith(t, srv)

	var parts bytes.Buffer
	var partDur time.Duration
	p := &hls.Player{URL: ts.URL + "/cam/door/hls/index.m3u8", Got: func(l hls.Listed, data []byte) {
		parts.Write(data)
		partDur += l.Duration
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Run(ctx, 12); err != nil {
		t.Fatal(err)
	}
	if st := h.Status(); st.Viewers != 1 {
		t.Errorf("the camera has %d viewers while HLS runs, want 1 (the muxer)", st.Viewers)
	}
	pr := probeMP4(t, parts.Bytes())
	if pr.Codec != "h264" || pr.Width != 320 || pr.Height != 240 {
		t.Errorf("parts: ffprobe says %+v, want h264 320x240", pr)
	}
	if max := int(math.Round(partDur.Seconds() * 30)); pr.Frames < 12 || pr.Frames > max {
		t.Errorf("12 parts of %v hold %d frames, want 12 to %d", partDur, pr.Frames, max)
	}

	// The whole segments, as a player without LL-HLS reads them.
	body, hdr := fetch(t, ts.URL+"/hls/index.m3u8", http.StatusOK)
	if hdr.Get("Content-Type") != "application/vnd.apple.mpegurl" || hdr.Get("Cache-Control") != "public, max-age=1" {
		t.Errorf("playlist headers: %v", hdr)
	}
	pl, err := hls.ParsePlaylist(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range pl.Parts {
		if l.Duration > pl.PartTarget {
			t.Errorf("part %s lasts %v, more than PART-TARGET %v", l.URI, l.Duration, pl.PartTarget)
		}
	}
	all, hdr := fetch(t, ts.URL+"/hls/"+pl.Init, http.StatusOK)
	checkImmutable(t, hdr)
	var segDur time.Duration
	for _, s := range pl.Segments {
		b, hdr := fetch(t, ts.URL+"/hls/"+s.URI, http.StatusOK)
		checkImmutable(t, hdr)
		all = append(all, b...)
		segDur += s.Duration
	}
	pr = probeMP4(t, all)
	if pr.Codec != "h264" || pr.Width != 320 || pr.Height != 240 {
		t.Errorf("segments: ffprobe says %+v, want h264 320x240", pr)
	}
	if max := int(math.Round(segDur.Seconds() * 30)); pr.Frames < len(pl.Segments) || pr.Frames > max {
		t.Errorf("%d segments of %v hold %d frames, want %d to %d", len(pl.Segments), segDur, pr.Frames, len(pl.Segments), max)
	}

	// A blocking reload for a part already made answers at once, cacheable.
	last := pl.Parts[len(pl.Parts)-1]
	_, hdr = fetch(t, ts.URL+"/hls/index.m3u8?_HLS_msn="+itoa(last.MSN)+"&_HLS_part="+itoa(uint64(last.Part)), http.StatusOK)
	if hdr.Get("Cache-Control") != "public, max-age=10" {
		t.Errorf("blocking reload: Cache-Control %q", hdr.Get("Cache-Control"))
	}

	fake.WaitFor(t, "the camera to go idle once no HLS request comes", func() bool {
		st := h.Status()
		return st.Viewers == 0 && st.State == hub.Idle
	})
}

// TestHLSPlayerSkips: a player skips to the live edge, as hls.js and Safari
// do, when a part it wants is gone (here a cache answers 410 for one) and
// when a part it got was more than three target durations behind live
// (here it stalls until the playlist holds parts captured a target
// duration later still); it then starts again at an independent part and plays on.
func TestHLSPlayerSkips(t *testing.T) {
	h := h264Hub(t, "door")
	srv := &server.Server{Cameras: []*hub.Hub{h}}
	var partReqs atomic.Int64
	gone := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Count(r.URL.Path, ".") == 2 && partReqs.Add(1) == 3 {
			http.Error(w, "evicted", http.StatusGone)
			return
		}
		srv.Handler().ServeHTTP(w, r)
	})
	ts := httptest.NewServer(gone)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	url := ts.URL + "/cam/door/hls/index.m3u8"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var got []hls.Listed
	p := &hls.Player{URL: url, Got: func(l hls.Listed, _ []byte) { got = append(got, l) }}
	if err := p.Run(ctx, 6); err != nil {
		t.Fatal(err)
	}
	// got: the init segment, two parts, then the part after the 410 is
	// skipped for the live edge (a busy machine may make more skips).
	if p.Skips < 1 || len(got) != 7 || !got[3].Independent {
		t.Errorf("after a 410: %d skips, parts %+v; want a skip and an independent part after it", p.Skips, got)
	}

	got = got[:0]
	var stalled hls.Listed
	p = &hls.Player{URL: url, Got: func(l hls.Listed, _ []byte) {
		got = append(got, l)
		if len(got) != 3 {
			return
		}
		stalled = l
		fake.WaitFor(t, "parts captured four target durations after the one the player stalls on", func() bool {
			b, _ := fetch(t, url, http.StatusOK)
			pl, err := hls.ParsePlaylist(b)
			if err != nil {
				t.Fatal(err)
			}
			last := pl.Parts[len(pl.Parts)-1]
			return last.End.Sub(l.End) > 4*time.Duration(pl.TargetDuration)*time.Second
		})
	}}
	if err := p.Run(ctx, 6); err != nil {
		t.Fatal(err)
	}
	// The part after the stalled one is too late: the player skips.
	if p.Skips < 1 || len(got) != 7 || !got[4].Independent || got[4].MSN < stalled.MSN+2 {
		t.Errorf("after a stall at %+v: %d skips, parts %+v; want a skip to an independent part segments later", stalled, p.Skips, got)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// checkImmutable checks the headers of a segment, part or init segment.
func checkImmutable(t *testing.T, hdr http.Header) {
	t.Helper()
	if hdr.Get("Cache-Control") != "public, max-age=31536000, immutable" || hdr.Get("Content-Type") != "video/mp4" {
		t.Errorf("media headers: %v", hdr)
	}
	if hdr.Get("Vary") != "" || hdr.Get("Set-Cookie") != "" {
		t.Errorf("Vary %q, Set-Cookie %q split or spoil a shared cache", hdr.Get("Vary"), hdr.Get("Set-Cookie"))
	}
}

// fetch fetches url and checks its status.
func fetch(t *testing.T, url string, want int) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %s %q, want %d", url, resp.Status, b, want)
	}
	return b, resp.Header
}

// TestHLSBadRequests: malformed or impossible requests get 400 (an
// _HLS_skip other than YES or v2 too), files not made yet or of another
// run 404, MJPEG cameras 404 saying why; none is cacheable and none hangs.
func TestHLSBadRequests(t *testing.T) {
	h := h264Hub(t, "door")
	ph := patternHub(t, 64, 48, time.Second)
	t.Cleanup(ph.Close)
	srv := &server.Server{Cameras: []*hub.Hub{h, ph}}
	ts := serveWith(t, srv)
	body, _ := fetch(t, ts.URL+"/cam/door/hls/index.m3u8", http.StatusOK)
	pl, err := hls.ParsePlaylist(body)
	if err != nil {
		t.Fatal(err)
	}
	session, _, _ := strings.Cut(pl.Init, "-")
	// A player asking for a delta update gets the whole playlist.
	if b, _ := fetch(t, ts.URL+"/cam/door/hls/index.m3u8?_HLS_skip=YES", http.StatusOK); !bytes.Contains(b, []byte("#EXT-X-MEDIA-SEQUENCE")) || bytes.Contains(b, []byte("#EXT-X-SKIP")) {
		t.Errorf("_HLS_skip=YES: %q", b)
	}
	ahead := itoa(pl.NextMSN + 3)
	for _, c := range []struct {
		path string
		code int
		says string
	}{
		{"/cam/door/hls/index.m3u8?_HLS_msn=x", 400, "_HLS_msn"},
		{"/cam/door/hls/index.m3u8?_HLS_msn=-1", 400, "_HLS_msn"},
		{"/cam/door/hls/index.m3u8?_HLS_msn=1&_HLS_part=1e9", 400, "_HLS_part"},
		{"/cam/door/hls/index.m3u8?_HLS_part=1", 400, "_HLS_msn"},
		{"/cam/door/hls/index.m3u8?_HLS_skip=NO", 400, "_HLS_skip"},
		{"/cam/door/hls/index.m3u8?_HLS_msn=1&_HLS_skip=yes", 400, "_HLS_skip"},
		{"/cam/door/hls/index.m3u8?_HLS_msn=" + ahead + "&_HLS_part=0", 400, "two segments"},
		{"/cam/door/hls/" + session + "-" + ahead + ".0.mp4", 404, "not made yet"},
		{"/cam/door/hls/" + session + "-" + ahead + ".mp4", 404, "not made yet"},
		{"/cam/door/hls/0123456789ab-1.mp4", 404, "reload the playlist"},
		{"/cam/door/hls/" + session + "-x.mp4", 404, "not a file"},
		{"/cam/door/hls/" + session + "-" + itoa(pl.MediaSequence-100) + ".mp4", 410, "left the playlist"},
		{"/cam/cam/hls/index.m3u8", 404, "sends MJPEG"},
		{"/cam/nobody/hls/index.m3u8", 404, "no camera"},
	} {
		resp, err := http.Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(b), c.says) {
			t.Errorf("%s: %d %q, want %d saying %q", c.path, resp.StatusCode, b, c.code, c.says)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" && c.says != "no camera" {
			t.Errorf("%s: Cache-Control %q, want no-store", c.path, cc)
		}
	}
}

// TestHLSToken: with auth on, the camera's token opens its HLS and is
// carried into every URI of the playlist; basic auth opens it too, marked
// private; nothing else does.
func TestHLSToken(t *testing.T) {
	h := h264Hub(t, "door")
	srv := &server.Server{Cameras: []*hub.Hub{h}, Users: map[string]string{secUser: secHash()},
		Tokens: []server.Token{{Camera: "door", Secret: "s3cret-token"}}}
	ts := serveWith(t, srv)
	fetch(t, ts.URL+"/cam/door/hls/index.m3u8", http.StatusUnauthorized)
	body, hdr := fetch(t, ts.URL+"/cam/door/hls/index.m3u8?token=s3cret-token", http.StatusOK)
	if hdr.Get("Cache-Control") != "public, max-age=1" {
		t.Errorf("token playlist: Cache-Control %q", hdr.Get("Cache-Control"))
	}
	pl, err := hls.ParsePlaylist(body)
	if err != nil {
		t.Fatal(err)
	}
	uris := []string{pl.Init, pl.Hint}
	for _, l := range append(pl.Segments, pl.Parts...) {
		uris = append(uris, l.URI)
	}
	for _, u := range uris {
		if !strings.HasSuffix(u, ".mp4?token=s3cret-token") {
			t.Errorf("URI %q does not carry the token", u)
		}
	}
	_, hdr = fetch(t, ts.URL+"/cam/door/hls/"+pl.Segments[0].URI, http.StatusOK)
	checkImmutable(t, hdr)
	plain, _, _ := strings.Cut(pl.Segments[0].URI, "?")
	fetch(t, ts.URL+"/cam/door/hls/"+plain, http.StatusUnauthorized)

	req, _ := http.NewRequest("GET", ts.URL+"/cam/door/hls/"+plain, nil)
	req.SetBasicAuth(secUser, secPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
		t.Errorf("basic auth: %s, Cache-Control %q", resp.Status, resp.Header.Get("Cache-Control"))
	}
}

// counter counts the requests reaching a handler, by path and query.
type counter struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.n[r.URL.RequestURI()]++
	c.mu.Unlock()
	c.next.ServeHTTP(w, r)
}

// TestHLSBehindNginx: N players through Debian's nginx as a caching proxy
// (deploy/nginx-framecast.conf) make framecast answer each part, segment and
// blocking reload at most twice, whatever N: the cache does the fan-out.
func TestHLSBehindNginx(t *testing.T) {
	const players, parts = 20, 15
	h := h264Hub(t, "door")
	srv := &server.Server{Cameras: []*hub.Hub{h}}
	c := &counter{next: srv.Handler(), n: map[string]int{}}
	ts := httptest.NewServer(c)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	proxy := fake.Nginx(t, ts.Listener.Addr().String())

	// Warm up: the camera and muxer start with the first request, as
	// they would for the first viewer.
	fetch(t, proxy+"/cam/door/hls/index.m3u8", http.StatusOK)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, players)
	var sent int64
	var worst time.Duration // the largest distance to live of any part
	var mu sync.Mutex
	for i := range players {
		wg.Go(func() {
			p := &hls.Player{URL: proxy + "/cam/door/hls/index.m3u8"}
			errs[i] = p.Run(ctx, parts)
			mu.Lock()
			sent += p.Requests
			for _, l := range p.Lag {
				worst = max(worst, l)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("player %d: %v", i, err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	origin := 0
	for uri, n := range c.n {
		origin += n
		path, _, _ := strings.Cut(uri, "?")
		plain := strings.HasSuffix(path, "index.m3u8") && !strings.Contains(uri, "_HLS_msn")
		if n > 2 && !plain {
			t.Errorf("%s reached framecast %d times for %d players", uri, n, players)
		}
	}
	t.Logf("%d players sent %d requests; %d reached framecast; the largest distance to live of a part was %v", players, sent, origin, worst)
	if origin*4 > int(sent) {
		t.Errorf("%d of %d requests reached framecast", origin, sent)
	}
}
