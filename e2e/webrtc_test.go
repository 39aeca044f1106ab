package e2e

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/internal/whep"
)

// h264Site serves an H.264 camera named name, 320x240 (ffmpeg's libx264),
// as framecast wires one: over WebRTC (WHEP), LL-HLS, and MJPEG decoded
// by an ffmpeg child on demand; more cameras and tokens may come in srv
// (nil for none).
func h264Site(t *testing.T, name string, srv *server.Server) (*site, *hub.Hub, *whep.Server) {
	t.Helper()
	w, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	h := hub.New(hub.Config{Name: name, Source: fake.H264(t, "320x240", "60"), Codec: hub.H264, IdleTimeout: time.Minute, Logger: quiet})
	t.Cleanup(h.Close)
	ff := fake.Tool(t, "ffmpeg")
	dec := hub.New(hub.Config{Name: name, IdleTimeout: time.Minute, Logger: quiet,
		Source: &execsrc.Decoder{From: h, Cmd: execsrc.Source{Args: append([]string{ff}, execsrc.DecoderArgs[1:]...)}}})
	t.Cleanup(dec.Close)
	if srv == nil {
		srv = &server.Server{}
	}
	srv.Cameras = append([]*hub.Hub{h}, srv.Cameras...)
	srv.Logger, srv.WHEP, srv.Decoded = quiet, w, map[*hub.Hub]*hub.Hub{h: dec}
	st := serveServer(t, srv)
	t.Cleanup(srv.Close)
	return st, h, w
}

// TestWebRTCPlays: the page plays an H.264 camera over WebRTC (WHEP) in its
// <video>: Chromium decodes pictures of the camera's size, time moves on,
// the page says which transport it uses, Snapshot saves a JPEG the server
// decoded, and leaving ends the session.
func TestWebRTCPlays(t *testing.T) {
	st, h, w := h264Site(t, "door", nil)
	tb := open(t, st.url())
	tb.wait("the video to play pictures of the camera's size",
		`(() => { const v = document.getElementById("live-video");
		  return !v.hidden && v.videoWidth === 320 && v.videoHeight === 240 && v.currentTime > 1 &&
		    v.getVideoPlaybackQuality().totalVideoFrames > 20; })()`)
	if got := eval[string](tb, `document.getElementById("f-transport").textContent`); got != "WebRTC · H.264" {
		t.Errorf("transport %q, want WebRTC · H.264", got)
	}
	if eval[bool](tb, `!document.getElementById("live").hidden`) {
		t.Error("the MJPEG <img> is shown too")
	}
	if got := eval[string](tb, `(w => w.hidden ? "" : w.textContent)(document.getElementById("f-why"))`); got != "" {
		t.Errorf("the page says it fell back: %q", got)
	}
	if n := w.Sessions(h); n != 1 {
		t.Errorf("%d WebRTC sessions, want 1", n)
	}
	if !eval[bool](tb, `document.getElementById("pick").value === "auto" && !document.getElementById("pick-fact").hidden`) {
		t.Error("the transport picker is not shown on Auto")
	}
	// The server decodes an H.264 camera's snapshot (ffmpeg), so the page
	// offers it as for an MJPEG camera.
	pressSnapshot(t, tb, "door", 320, 240)
	tb.wait("the page to leave", `(location.href = "about:blank", true)`)
	fake.WaitFor(t, "the session to end", func() bool { return w.Sessions(h) == 0 })
}

// TestWebRTCOverTCP: where WebRTC's UDP cannot pass but TCP can, Chromium
// plays an H.264 camera over ICE-TCP: it connects to the server's passive
// TCP candidate, on the WebRTC port's number.
func TestWebRTCOverTCP(t *testing.T) {
	st, h, w := h264Site(t, "door", nil)
	fw := &firewall{tcp: true}
	tb := open(t, st.url(), fw.action(t), recordPeerConnections)
	tb.wait("the video to play pictures of the camera's size", `(() => { const v = document.getElementById("live-video");
	  return !v.hidden && v.videoWidth === 320 && v.videoHeight === 240 && v.currentTime > 1 &&
	    document.getElementById("f-transport").textContent === "WebRTC · H.264"; })()`)
	tb.wait("the selected candidate pair", `(() => {
	  const pc = window.__pcs.at(-1);
	  pc.getStats().then(r => r.forEach(s => {
	    const p = s.type === "transport" && r.get(s.selectedCandidatePairId);
	    if (p) window.__pair = { local: r.get(p.localCandidateId).protocol, remote: r.get(p.remoteCandidateId).protocol + " " + r.get(p.remoteCandidateId).port };
	  }));
	  return window.__pair !== undefined; })()`)
	got := eval[map[string]string](tb, `window.__pair`)
	port := w.Addr().(*net.UDPAddr).Port
	if want := fmt.Sprintf("tcp %d", port); got["local"] != "tcp" || got["remote"] != want {
		t.Errorf("Chromium's selected pair: %v; want local tcp, remote %s", got, want)
	}
	if !fw.saw("POST ") {
		t.Error("the offer did not pass the firewall")
	}
	if n := w.Sessions(h); n != 1 {
		t.Errorf("%d WebRTC sessions, want 1", n)
	}
}

// recordPeerConnections keeps the page's RTCPeerConnections in
// window.__pcs, so a test can read their stats.
var recordPeerConnections = chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
	  window.__pcs = [];
	  window.RTCPeerConnection = class extends window.RTCPeerConnection {
	    constructor(...a) { super(...a); window.__pcs.push(this); }
	  };`})
	return err
})

// TestWebRTCGrid: a grid of an H.264 camera and an MJPEG one plays both,
// the first over WebRTC in a <video>, the second as MJPEG in an <img>.
func TestWebRTCGrid(t *testing.T) {
	w, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "320x240", "60"), Codec: hub.H264, IdleTimeout: time.Minute, Logger: quiet})
	t.Cleanup(h.Close)
	st := serveServer(t, &server.Server{Cameras: []*hub.Hub{h, camera(t, "yard", pattern("yard"))}, Logger: quiet, WHEP: w})
	tb := open(t, st.url())
	tb.wait("both tiles to play",
		`(() => { const v = document.querySelector(".tiles video:not([hidden])"), i = document.querySelector(".tiles img:not([hidden])");
		  return v && i && v.classList.contains("loaded") && v.videoWidth === 320 && v.currentTime > 1 &&
		    i.classList.contains("loaded") && i.naturalWidth === 320; })()`)
	if n := w.Sessions(h); n != 1 {
		t.Errorf("%d WebRTC sessions, want 1", n)
	}
}
