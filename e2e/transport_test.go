package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// refused makes the browser's requests to URLs matching its patterns
// (DevTools Fetch wildcards) fail as a refused connection, as a network or
// proxy that lets only some of framecast's routes through: the page sees
// the same network error it would there.
type refused struct {
	patterns []string

	mu   sync.Mutex
	urls []string // the requests refused so far
}

// action is the setup action that starts refusing, before the page loads.
func (r *refused) action() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		paused := chromedp.Events(ctx, fetch.RequestPaused)
		go func() {
			for ev, err := range paused {
				if err != nil {
					return
				}
				r.mu.Lock()
				r.urls = append(r.urls, ev.Request.Method+" "+ev.Request.URL)
				r.mu.Unlock()
				chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
			}
		}()
		var ps []*fetch.RequestPattern
		for _, p := range r.patterns {
			ps = append(ps, &fetch.RequestPattern{URLPattern: p})
		}
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: ps})
		return err
	})
}

// refusedAny says whether a refused request's "METHOD URL" contains s.
func (r *refused) refusedAny(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.urls, func(u string) bool { return strings.Contains(u, s) })
}

// TestMJPEGFallback: where neither WebRTC nor LL-HLS gets through (the
// browser's WHEP offer and every HLS request fail as refused connections),
// the page plays an H.264 camera as MJPEG in its <img>: moving pictures of
// the camera's size, decoded by the server, and the bar says so and why,
// here in Korean.
func TestMJPEGFallback(t *testing.T) {
	st, h, w := h264Site(t, "door")
	block := &refused{patterns: []string{"*/whep*", "*/hls/*"}}
	tb := open(t, st.url(), device(1280, 800, "light", "ko"), block.action())
	const want = "MJPEG · WebRTC와 LL-HLS로 연결하지 못함"
	tb.wait("MJPEG pictures of the camera's size",
		fmt.Sprintf(`(() => { const i = document.getElementById("live");
		  return !i.hidden && i.naturalWidth === 320 && i.naturalHeight === 240 &&
		    document.getElementById("live-video").hidden &&
		    document.getElementById("stage").dataset.state === "live" &&
		    document.getElementById("f-transport").textContent === %q; })()`, want))
	if got := eval[string](tb, `new URL(document.getElementById("live").src).pathname`); got != "/cam/door/stream" {
		t.Errorf("the <img> shows %s, want /cam/door/stream", got)
	}
	first := eval[string](tb, `__fc.hash("#live")`)
	tb.wait("the picture to change", fmt.Sprintf(`(h => h !== "" && h !== %q)(__fc.hash("#live"))`, first))
	if !block.refusedAny("POST ") || !block.refusedAny("/whep") || !block.refusedAny("/hls/index.m3u8") {
		t.Errorf("the page fell back without trying both: refused %q", block.urls)
	}
	if n := w.Sessions(h); n != 0 {
		t.Errorf("%d WebRTC sessions, want none", n)
	}
	tb.screenshot("mjpeg-fallback-ko")
}

// TestTransportPicker: ?transport=mjpeg plays an H.264 camera as MJPEG
// whatever the browser could do; choosing WebRTC on the page plays it so,
// drops the URL's choice and is remembered by this browser for the next
// visit.
func TestTransportPicker(t *testing.T) {
	st, h, w := h264Site(t, "door")
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
