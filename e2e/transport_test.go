package e2e

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// firewall stands between Chromium and framecast as a restrictive network
// does, with DevTools' Fetch domain: it refuses the requests whose URLs
// match its patterns (the page sees a refused connection), and it points
// the ICE candidates of every WHEP answer at a UDP socket that never
// answers, as a network that drops WebRTC's UDP and lets no TCP through to
// the WebRTC port: Chromium's ICE checks go unanswered until it gives up.
// With tcp set it lets TCP through: it removes the UDP candidates of every
// WHEP offer and answer, so no UDP pair can form and ICE has TCP only.
type firewall struct {
	refuse []string // DevTools Fetch URL patterns
	tcp    bool     // drop UDP only
	silent net.PacketConn
	open   atomic.Bool // lets everything through

	mu   sync.Mutex
	seen []string // "METHOD URL" of the requests refused or rewritten
}

var candidates = regexp.MustCompile(`(?m)^a=candidate:.*\r?\n`)

// action is the setup action that starts the firewall, before the page
// loads; it stops when t ends.
func (f *firewall) action(t *testing.T) chromedp.Action[chromedp.Void] {
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	f.silent = silent
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		paused := chromedp.Events(ctx, fetch.RequestPaused)
		go func() {
			for ev, err := range paused {
				if err != nil {
					return
				}
				f.mu.Lock()
				f.seen = append(f.seen, ev.Request.Method+" "+ev.Request.URL)
				f.mu.Unlock()
				f.handle(ctx, ev)
			}
		}()
		ps := []*fetch.RequestPattern{{URLPattern: "*/whep*", RequestStage: fetch.RequestStageResponse}}
		if f.tcp {
			ps = append(ps, &fetch.RequestPattern{URLPattern: "*/whep*", RequestStage: fetch.RequestStageRequest})
		}
		for _, p := range f.refuse {
			ps = append(ps, &fetch.RequestPattern{URLPattern: p})
		}
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: ps})
		return err
	})
}

func (f *firewall) handle(ctx context.Context, ev fetch.EventRequestPaused) {
	if ev.ResponseStatusCode == 0 && ev.ResponseErrorReason == "" { // the request stage
		if f.tcp && ev.Request.Method == "POST" && strings.Contains(ev.Request.URL, "/whep") && !f.open.Load() {
			var offer []byte
			for _, e := range ev.Request.PostDataEntries {
				offer = append(offer, e.Bytes...)
			}
			chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID, PostData: []byte(dropUDP(string(offer)))})
			return
		}
		if f.open.Load() || f.tcp && strings.Contains(ev.Request.URL, "/whep") {
			chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			return
		}
		chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
		return
	}
	if f.open.Load() || ev.Request.Method != "POST" || ev.ResponseStatusCode != 201 {
		chromedp.Call(ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: ev.RequestID})
		return
	}
	body, err := chromedp.Call(ctx, fetch.GetResponseBody, fetch.GetResponseBodyParams{RequestID: ev.RequestID})
	if err != nil {
		chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonFailed})
		return
	}
	var sdp string
	if f.tcp {
		sdp = dropUDP(string(body.Body))
	} else {
		silent := fmt.Sprintf("a=candidate:1 1 udp 2130706431 127.0.0.1 %d typ host\r\n", f.silent.LocalAddr().(*net.UDPAddr).Port)
		n := 0
		sdp = candidates.ReplaceAllStringFunc(string(body.Body), func(string) string {
			if n++; n > 1 {
				return ""
			}
			return silent
		})
	}
	chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID,
		ResponseCode: ev.ResponseStatusCode, ResponseHeaders: ev.ResponseHeaders, Body: []byte(sdp)})
}

// dropUDP removes the UDP candidates of sdp.
func dropUDP(sdp string) string {
	return candidates.ReplaceAllStringFunc(sdp, func(c string) string {
		if f := strings.Fields(c); len(f) > 2 && strings.EqualFold(f[2], "udp") {
			return ""
		}
		return c
	})
}

// saw says whether a request whose "METHOD URL" contains s went through
// the firewall.
func (f *firewall) saw(s string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.ContainsFunc(f.seen, func(u string) bool { return strings.Contains(u, s) })
}

// TestMJPEGFallback: where neither WebRTC nor LL-HLS gets through (WebRTC's
// UDP is dropped, so Chromium's ICE fails; every HLS request is refused),
// the page plays an H.264 camera as MJPEG in its <img>: moving pictures of
// the camera's size, decoded by the server, and the bar says so and why,
// here in Korean. The WebRTC session that never connected is ended.
func TestMJPEGFallback(t *testing.T) {
	st, h, w := h264Site(t, "door", nil)
	fw := &firewall{refuse: []string{"*/hls/*"}}
	tb := open(t, st.url(), device(1280, 800, "light", "ko"), fw.action(t))
	const why = "WebRTC와 LL-HLS로 연결하지 못함"
	tb.wait("MJPEG pictures of the camera's size",
		fmt.Sprintf(`(() => { const i = document.getElementById("live");
		  return !i.hidden && i.naturalWidth === 320 && i.naturalHeight === 240 &&
		    document.getElementById("live-video").hidden &&
		    document.getElementById("stage").dataset.state === "live" &&
		    document.getElementById("f-transport").textContent === "MJPEG" &&
		    !document.getElementById("f-why").hidden && document.getElementById("f-why").textContent === %q; })()`, why))
	if got := eval[string](tb, `new URL(document.getElementById("live").src).pathname`); got != "/cam/door/stream" {
		t.Errorf("the <img> shows %s, want /cam/door/stream", got)
	}
	first := eval[string](tb, `__fc.hash("#live")`)
	tb.wait("the picture to change", fmt.Sprintf(`(h => h !== "" && h !== %q)(__fc.hash("#live"))`, first))
	if !fw.saw("POST ") || !fw.saw("/hls/index.m3u8") {
		t.Errorf("the page fell back without trying both: %q", fw.seen)
	}
	tb.screenshot("mjpeg-fallback-ko")
	fake.WaitFor(t, "the WebRTC session to end", func() bool { return w.Sessions(h) == 0 })
}

// TestFallbackRetriesWebRTC: a page that fell back to MJPEG starts again
// from WebRTC when the server comes back after being away (the fallback
// may have come from its absence), and plays WebRTC once it gets through.
func TestFallbackRetriesWebRTC(t *testing.T) {
	st, _, _ := h264Site(t, "door", nil)
	fw := &firewall{refuse: []string{"*/whep*", "*/hls/*"}}
	tb := open(t, st.url(), fw.action(t))
	tb.wait("MJPEG, after WebRTC and LL-HLS failed", `document.getElementById("stage").dataset.state === "live" &&
	  document.getElementById("f-transport").textContent === "MJPEG" &&
	  document.getElementById("f-why").textContent === "WebRTC and LL-HLS could not connect"`)
	fw.open.Store(true)
	st.stop()
	tb.wait("the page to see the server gone", `document.getElementById("stage").dataset.state === "reconnecting"`)
	st.start()
	tb.wait("WebRTC to play", `(() => { const v = document.getElementById("live-video");
	  return !v.hidden && v.videoWidth === 320 && document.getElementById("live").hidden &&
	    document.getElementById("stage").dataset.state === "live" &&
	    document.getElementById("f-transport").textContent === "WebRTC · H.264" && document.getElementById("f-why").hidden; })()`)
	if eval[bool](tb, `document.getElementById("live").hasAttribute("src")`) {
		t.Error("the MJPEG stream is still open")
	}
}

// TestTransportLayout: the bar of an H.264 camera (the transport, why it
// fell back, the picker), in Korean, fits a phone upright and on its side,
// as TestLayout checks the page of an MJPEG camera: played over WebRTC, and
// fallen back to MJPEG.
func TestTransportLayout(t *testing.T) {
	for _, c := range []struct {
		name     string
		w, h     int64
		scheme   string
		fallback bool
	}{{"phone-webrtc", 360, 740, "dark", false}, {"phone-mjpeg", 360, 740, "dark", true}, {"phone-landscape-mjpeg", 740, 360, "light", true}} {
		t.Run(c.name, func(t *testing.T) {
			st, _, _ := h264Site(t, "door", nil)
			setup := []chromedp.Action[chromedp.Void]{device(c.w, c.h, c.scheme, "ko")}
			want := "WebRTC · H.264"
			if c.fallback {
				fw := &firewall{refuse: []string{"*/whep*", "*/hls/*"}}
				setup = append(setup, fw.action(t))
				want = "MJPEG"
			}
			tb := open(t, st.url(), setup...)
			tb.wait("the camera to play", fmt.Sprintf(`document.getElementById("stage").dataset.state === "live" &&
			  document.getElementById("f-transport").textContent === %q && document.getElementById("f-why").hidden === %v &&
			  document.getElementById("f-size").textContent !== "–"`, want, !c.fallback))
			tb.screenshot("transport-" + c.name)
			l := eval[layout](tb, measureJS)
			checkLayout(t, l, c.w, c.h)
			if c.fallback {
				checkPicture(t, l)
			}
		})
	}
}

// TestGridFallback: in a grid, an H.264 camera whose WebRTC cannot connect
// plays as MJPEG in its tile (a tile skips LL-HLS), beside an MJPEG camera.
func TestGridFallback(t *testing.T) {
	st, _, _ := h264Site(t, "door", &server.Server{Cameras: []*hub.Hub{camera(t, "yard", pattern("yard"))}})
	fw := &firewall{refuse: []string{"*/whep*", "*/hls/*"}}
	tb := open(t, st.url(), fw.action(t))
	tb.wait("both tiles to play MJPEG", `(() => {
	  const [door, yard] = [...document.querySelectorAll(".tile")];
	  if (!door || !yard) return false;
	  const img = door.querySelector("img"), video = door.querySelector("video");
	  return door.dataset.state === "live" && yard.dataset.state === "live" &&
	    !img.hidden && img.classList.contains("loaded") && img.naturalWidth === 320 && video.hidden &&
	    new URL(img.src).pathname === "/cam/door/stream" && yard.querySelector("img").naturalWidth === 320; })()`)
	if fw.saw("/hls/") {
		t.Error("a tile tried LL-HLS")
	}
}

// TestTransportPicker: ?transport=mjpeg plays an H.264 camera as MJPEG
// whatever the browser could do; choosing WebRTC on the page plays it so,
// drops the URL's choice and is remembered by this browser for the next
// visit.
func TestTransportPicker(t *testing.T) {
	st, h, w := h264Site(t, "door", nil)
	tb := open(t, st.url()+"?transport=mjpeg")
	tb.wait("MJPEG pictures of the camera's size", `(() => { const i = document.getElementById("live");
	  return !i.hidden && i.naturalWidth === 320 && document.getElementById("stage").dataset.state === "live"; })()`)
	got := eval[map[string]string](tb, `({
	  transport: document.getElementById("f-transport").textContent,
	  pick: document.getElementById("pick").value,
	  label: document.querySelector('label[for="pick"]').textContent,
	  shown: String(!document.getElementById("pick-fact").hidden),
	  video: String(document.getElementById("live-video").hidden),
	})`)
	want := map[string]string{"transport": "MJPEG", "pick": "mjpeg", "label": "Play over", "shown": "true", "video": "true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with ?transport=mjpeg the page shows %v, want %v", got, want)
	}
	if n := w.Sessions(h); n != 0 {
		t.Errorf("%d WebRTC sessions with ?transport=mjpeg, want none", n)
	}

	// Typing on a closed <select> picks the first option starting so.
	tb.do("choosing WebRTC by keyboard", chromedp.SendKeys(chromedp.ID("pick"), "w"))
	playsRTC := `(() => { const v = document.getElementById("live-video");
	  return !v.hidden && v.videoWidth === 320 && v.currentTime > 0.5 && document.getElementById("live").hidden &&
	    document.getElementById("f-transport").textContent === "WebRTC · H.264" && document.getElementById("pick").value === "webrtc"; })()`
	tb.wait("WebRTC to play", playsRTC)
	if got := eval[string](tb, `location.search + " " + localStorage.getItem("framecast.transport")`); got != " webrtc" {
		t.Errorf("after choosing WebRTC: search and stored choice %q, want \" webrtc\"", got)
	}
	if eval[bool](tb, `document.getElementById("live").hasAttribute("src")`) {
		t.Error("the MJPEG stream is still open")
	}

	tb.do("coming back", chromedp.Navigate(st.url()))
	tb.wait("WebRTC to play again, as chosen", playsRTC)
}
