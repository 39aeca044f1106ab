package e2e

import (
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// TestHLSFallback: where WebRTC cannot connect (here the server has none),
// the page plays an H.264 camera over LL-HLS with hls.js, through Debian's
// nginx as a caching proxy (deploy/nginx-framecast.conf): Chromium decodes
// pictures of the camera's size, time moves on, and the page says which
// transport it uses.
func TestHLSFallback(t *testing.T) {
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "320x240", "30"), Codec: hub.H264, IdleTimeout: time.Minute, Logger: quiet})
	t.Cleanup(h.Close)
	st := serveServer(t, &server.Server{Cameras: []*hub.Hub{h}, Logger: quiet})
	proxy := fake.Nginx(t, st.addr)
	tb := open(t, proxy+"/")
	tb.wait("the video to play pictures of the camera's size",
		`(() => { const v = document.getElementById("live-video");
		  return !v.hidden && v.videoWidth === 320 && v.videoHeight === 240 && v.currentTime > 2 &&
		    v.getVideoPlaybackQuality().totalVideoFrames > 30; })()`)
	if got, want := eval[string](tb, `document.getElementById("f-transport").textContent + " / " + document.getElementById("f-why").textContent`),
		"LL-HLS · H.264 (hls.js) / WebRTC could not connect"; got != want {
		t.Errorf("transport / why %q, want %q", got, want)
	}
	if eval[bool](tb, `!document.getElementById("live").hidden`) {
		t.Error("the MJPEG <img> is shown too")
	}

	// The distance to live: a second hls.js in the page, whose playingDate
	// is the capture time (EXT-X-PROGRAM-DATE-TIME) of the picture shown;
	// server and browser share this machine's clock. Logged, not asserted:
	// it depends on the machine's load.
	tb.wait("a second player to start", `(() => {
		const v = document.createElement("video");
		v.muted = true;
		document.body.append(v);
		const h = new Hls({ lowLatencyMode: true, enableWorker: false });
		h.loadSource("cam/door/hls/index.m3u8");
		h.attachMedia(v);
		v.play().catch(() => {});
		window.probe = { v, h, lags: [] };
		return true; })()`)
	tb.wait("five seconds of samples", `(() => {
		const p = window.probe;
		if (p.v.currentTime < 2 || !p.h.playingDate) return false;
		p.lags.push(Date.now() - p.h.playingDate.getTime());
		return p.lags.length >= 100; })()`)
	lags := eval[[]float64](tb, `window.probe.lags.slice().sort((a, b) => a - b)`)
	t.Logf("distance to live in Chromium (hls.js through nginx): median %.0f ms, p90 %.0f ms, max %.0f ms over %d samples",
		lags[len(lags)/2], lags[len(lags)*9/10], lags[len(lags)-1], len(lags))
}
