package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// TestLivePage loads the page for one camera, idle until the page asks for
// it: no console errors, the picture at its real size, moving, and the
// facts filled in. The page runs under a Content-Security-Policy of 'self'
// (see serve), so inline code or styles would show as console errors.
func TestLivePage(t *testing.T) {
	s := serve(t, onDemand(t, "door", pattern("door")))
	tb := open(t, s.url())

	tb.wait("the first picture", `document.getElementById("live").naturalWidth > 0`)
	if got := eval[string](tb, `(i => i.naturalWidth + "x" + i.naturalHeight)(document.getElementById("live"))`); got != "320x240" {
		t.Errorf("natural size %s, want 320x240", got)
	}
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	first := eval[string](tb, `__fc.hash("#live")`)
	tb.wait("the picture to change", fmt.Sprintf(`(h => h !== "" && h !== %q)(__fc.hash("#live"))`, first))

	tb.wait("the facts", `/fps$/.test(document.getElementById("f-fps").textContent) &&
	  /(ms|s)$/.test(document.getElementById("f-age").textContent) &&
	  document.getElementById("f-viewers").textContent === "1"`)
	facts := eval[map[string]string](tb, `({
	  title: document.getElementById("title").textContent,
	  badge: document.getElementById("badge").textContent,
	  size: document.getElementById("f-size").textContent,
	  viewers: document.getElementById("f-viewers").textContent,
	  alt: document.getElementById("live").alt,
	  lang: document.documentElement.lang,
	  doc: document.title,
	})`)
	want := map[string]string{
		"title": "door", "badge": "Live", "size": "320×240", "viewers": "1",
		"alt": "Live picture from camera door", "lang": "en", "doc": "door · framecast",
	}
	for k, w := range want {
		if facts[k] != w {
			t.Errorf("%s = %q, want %q", k, facts[k], w)
		}
	}
	// An MJPEG camera plays one way only: no transport to pick.
	if eval[bool](tb, `!document.getElementById("pick-fact").hidden`) {
		t.Error("the transport picker is shown for an MJPEG camera")
	}
	// With one camera there is no way back to a grid.
	if eval[bool](tb, `!document.getElementById("back").hidden`) {
		t.Error(`"All cameras" is shown for a single camera`)
	}
	// Every control has a name a screen reader can say.
	if bad := eval[[]string](tb, `[...document.querySelectorAll("button, a")].filter(e => !e.hidden && !e.textContent.trim() && !e.getAttribute("aria-label")).map(e => e.outerHTML)`); len(bad) > 0 {
		t.Errorf("controls without a name: %v", bad)
	}
	if errs := tb.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestSnapshotButton presses Snapshot and checks the browser saved a real
// JPEG under a time-stamped name.
func TestSnapshotButton(t *testing.T) {
	s := serve(t, camera(t, "door", pattern("door")))
	tb := open(t, s.url())
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	pressSnapshot(t, tb, "door", 320, 240)
}

// pressSnapshot presses Snapshot and checks that the browser saved a JPEG
// of w x h as camera-YYYYMMDD-HHMMSS.jpg and the page said so.
func pressSnapshot(t *testing.T, tb *tab, camera string, w, h int) {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: ptr(true),
	}); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	ctx, cancel := context.WithCancel(tb.ctx)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	tb.wait("Snapshot to be offered", `!document.getElementById("snap").disabled`)
	tb.do("pressing Snapshot", chromedp.Click(chromedp.ID("snap")))

	var path string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v\npage: %s", err, tb.describe())
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("download canceled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			path = ev.FilePath
			break
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("download folder holds %v (event said %q), want one file", files, path)
	}
	name := filepath.Base(files[0])
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(camera) + `-\d{8}-\d{6}\.jpg$`).MatchString(name) {
		t.Errorf("saved as %q, want %s-YYYYMMDD-HHMMSS.jpg", name, camera)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("saved file is not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("saved picture is %v, want %dx%d", b.Size(), w, h)
	}
	tb.wait("the saved message", fmt.Sprintf(`document.getElementById("toast").textContent.includes(%q)`, name))
}

// TestFullscreen enters fullscreen with the button, where the picture
// fills the screen, and leaves it with a double-click on the picture.
func TestFullscreen(t *testing.T) {
	s := serve(t, camera(t, "door", pattern("door")))
	tb := open(t, s.url())
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	tb.do("pressing Fullscreen", chromedp.Click(chromedp.ID("full")))
	tb.wait("fullscreen", `document.fullscreenElement === document.getElementById("stage") &&
	  document.getElementById("full-label").textContent === "Exit fullscreen"`)
	// 320x240 in the window's shape: one side touches the window's edges.
	tb.wait("the picture to fill the screen", `(r => Math.abs(r.width - innerWidth) < 1 || Math.abs(r.height - innerHeight) < 1)(
	  document.getElementById("live").getBoundingClientRect())`)
	tb.do("double-clicking the picture", chromedp.DoubleClick(chromedp.ID("live")))
	tb.wait("the window again", `document.fullscreenElement === null &&
	  document.getElementById("full-label").textContent === "Fullscreen"`)
}

// TestReconnect stops the server under the page and starts it again on the
// same port: the page says it is reconnecting, then shows a moving picture
// again without a reload.
func TestReconnect(t *testing.T) {
	s := serve(t, camera(t, "door", pattern("door")))
	tb := open(t, s.url())
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	tb.do("marking the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))
	before := eval[string](tb, `__fc.hash("#live")`)

	s.stop()
	tb.wait("the reconnecting state", `document.getElementById("stage").dataset.state === "reconnecting" &&
	  document.getElementById("badge").textContent === "Reconnecting…" &&
	  document.getElementById("overlay-title").textContent === "Reconnecting…"`)
	tb.screenshot("state-reconnecting")
	if got := eval[string](tb, `document.getElementById("f-fps").textContent + document.getElementById("f-age").textContent`); got != "––" {
		t.Errorf("stale figures while the server is away: %q", got)
	}
	if eval[bool](tb, `document.getElementById("snap").disabled !== true`) {
		t.Error("Snapshot stays enabled while the server is away")
	}

	s.start()
	tb.wait("the live state again", `document.getElementById("stage").dataset.state === "live"`)
	tb.wait("a new picture", fmt.Sprintf(`(h => h !== "" && h !== %q)(__fc.hash("#live"))`, before))
	if !eval[bool](tb, `window.__notReloaded === true`) {
		t.Error("the page reloaded")
	}
}

// TestStreamCut cuts the page's connections while the server stays up, as
// a network glitch does: Chromium keeps the last picture and fires no
// event, so the page must notice the picture stopped and open a new stream.
func TestStreamCut(t *testing.T) {
	s := serve(t, camera(t, "door", pattern("door")))
	tb := open(t, s.url())
	s.waitStream(tb, "the page's stream")
	// The page only calls a stream stalled after it saw the picture move.
	tb.wait("the stall watch", `document.getElementById("stage").dataset.state === "live" &&
	  document.getElementById("live").dataset.watch === "armed"`)
	tb.do("marking the page", evalVoid(`window.__notReloaded = true`))
	before := eval[string](tb, `__fc.hash("#live")`)

	s.dropConnections()
	s.waitStream(tb, "a new stream from the page")
	tb.wait("the live state again", `document.getElementById("stage").dataset.state === "live"`)
	tb.wait("the picture to move again", fmt.Sprintf(`(h => h !== "" && h !== %q)(__fc.hash("#live"))`, before))
	if !eval[bool](tb, `window.__notReloaded === true`) {
		t.Error("the page reloaded")
	}
}

// TestStates checks what the page says about a camera that has not sent a
// picture yet and about one that fails.
func TestStates(t *testing.T) {
	tests := []struct {
		name   string
		src    hub.Source
		state  string
		title  string
		detail string
	}{
		{"starting", never{}, "starting", "Starting camera…", "Waiting for the first picture."},
		{"failed", broken{"open /dev/video7: no such device"}, "failed", "Camera failed", "open /dev/video7: no such device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serve(t, camera(t, "cam", tt.src))
			tb := open(t, s.url())
			tb.wait("the "+tt.state+" state", fmt.Sprintf(`document.getElementById("stage").dataset.state === %q &&
			  document.getElementById("overlay-title").textContent === %q &&
			  document.getElementById("overlay-detail").textContent === %q`, tt.state, tt.title, tt.detail))
			if eval[bool](tb, `getComputedStyle(document.getElementById("overlay")).opacity === "0"`) {
				t.Error("the message is invisible")
			}
			tb.screenshot("state-" + tt.name)
		})
	}
}

// TestGrid serves three cameras: the page shows one tile each, a tile
// opens its camera large, and the grid's streams end when it does.
func TestGrid(t *testing.T) {
	names := []string{"front", "garage", "garden"}
	var cams []*hub.Hub
	for _, n := range names {
		cams = append(cams, camera(t, n, pattern(n)))
	}
	s := serve(t, cams...)
	tb := open(t, s.url())

	tb.wait("three live tiles", `(t => t.length === 3 && t.every(e => e.dataset.state === "live" && e.querySelector("img").naturalWidth > 0))([...document.querySelectorAll(".tile")])`)
	got := eval[[]string](tb, `[...document.querySelectorAll(".tile-name")].map(e => e.textContent)`)
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("tiles %v, want %v", got, names)
	}
	if b := eval[string](tb, `document.getElementById("badge").textContent`); b != "3 cameras" {
		t.Errorf("badge %q, want \"3 cameras\"", b)
	}

	tb.do("opening garage", chromedp.Click(chromedp.CSS(`a.tile[href="#/cam/garage"]`)))
	tb.wait("garage, large and live", `location.hash === "#/cam/garage" && !document.getElementById("view").hidden &&
	  document.getElementById("grid").hidden && document.getElementById("title").textContent === "garage" &&
	  document.getElementById("stage").dataset.state === "live"`)
	// The tiles' streams must end, or Chromium's six connections per server
	// run out: only garage's large view is watched now.
	tb.wait("the tiles' streams to end", `fetch("api/status").then(r => r.json()).then(s =>
	  s.cameras.map(c => c.name + ":" + c.viewers).join(",") === "front:0,garage:1,garden:0")`)

	// The rest by keyboard alone. Opening a camera moved the focus to its
	// name, so the next Tab reaches "All cameras".
	tb.do("tabbing", chromedp.KeyEvent("\t"))
	if got := eval[string](tb, `document.activeElement.id + " " + getComputedStyle(document.activeElement).outlineStyle`); got != "back solid" {
		t.Errorf("after Tab, focus on %q, want the visible focus on \"back\"", got)
	}
	tb.do("going back", chromedp.KeyEvent("\r"))
	tb.wait("the grid again", `location.hash === "#/" && document.getElementById("view").hidden &&
	  document.querySelectorAll(".tile").length === 3`)
	tb.do("tabbing to the first tile and opening it", chromedp.KeyEvent("\t"), chromedp.KeyEvent("\r"))
	tb.wait("front, large and live", `location.hash === "#/cam/front" && document.getElementById("title").textContent === "front" &&
	  document.getElementById("stage").dataset.state === "live"`)
}

// TestKorean checks the page speaks Korean to a browser that asks for it.
func TestKorean(t *testing.T) {
	s := serve(t, camera(t, "door", pattern("door")))
	ua := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 framecast-test", AcceptLanguage: "ko-KR,ko",
		})
		return err
	})
	tb := open(t, s.url(), ua)
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	got := eval[map[string]string](tb, `({
	  lang: document.documentElement.lang,
	  badge: document.getElementById("badge").textContent,
	  snap: document.getElementById("snap").textContent.trim(),
	  full: document.getElementById("full").textContent.trim(),
	  alt: document.getElementById("live").alt,
	})`)
	want := map[string]string{"lang": "ko", "badge": "실시간", "snap": "스냅샷", "full": "전체 화면", "alt": "door 카메라의 실시간 화면"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// failOnce is a source that fails at its first run and hangs at the next,
// as a camera does that is slow to open again: the hub goes from failed
// back to starting, with no frame since the error.
type failOnce struct {
	err  string
	runs atomic.Int32
}

func (f *failOnce) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	if f.runs.Add(1) == 1 {
		return errors.New(f.err)
	}
	<-ctx.Done()
	return nil
}

// longError is a failure as verbose as a command's output, with a path
// that has no place to break.
const longError = "exec: ffmpeg -f v4l2 -i /dev/v4l/by-id/usb-Generic_USB2.0_Camera_0123456789abcdef0123456789abcdef-video-index0: " +
	"exit status 1: [video4linux2,v4l2 @ 0x5581c0a2b2c0] Cannot open video device: Device or resource busy; " +
	"Error opening input: Device or resource busy; Error opening input file; Error opening input files: Device or resource busy"

// TestFailingCamera checks what the page shows of a camera that never sent
// a frame: the error once, wrapped inside the picture and clear of the
// title; no size or rate; Snapshot off. It holds while the camera waits to
// retry and while it is starting again.
func TestFailingCamera(t *testing.T) {
	for _, sz := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 360, 740}} {
		t.Run(sz.name, func(t *testing.T) {
			src := &failOnce{err: longError}
			s := serve(t, camera(t, "porch", src))
			tb := open(t, s.url(), device(sz.w, sz.h, "dark", ""))
			// First failed and waiting, then starting again: both say the
			// camera failed, and then that it is trying again.
			tb.wait("the failed state", `document.getElementById("stage").dataset.state === "failed"`)
			tb.wait("the retry under way", `document.getElementById("overlay-note").textContent === "Trying again now…"`)
			tb.screenshot("failing-" + sz.name)
			got := eval[map[string]any](tb, fmt.Sprintf(`(() => {
			  const r = id => document.getElementById(id).getBoundingClientRect();
			  const d = document.getElementById("overlay-detail");
			  const text = document.body.innerText;
			  return {
			    state: document.getElementById("stage").dataset.state,
			    title: document.getElementById("overlay-title").textContent,
			    detail: d.textContent,
			    times: text.split(%q.slice(0, 40)).length - 1,
			    size: document.getElementById("f-size").textContent,
			    fps: document.getElementById("f-fps").textContent,
			    snap: document.getElementById("snap").disabled,
			    wraps: d.scrollWidth <= d.clientWidth + 1,
			    inside: (o => { const b = r("screen"); return o.top >= b.top - 1 && o.bottom <= b.bottom + 1 && o.left >= b.left - 1 && o.right <= b.right + 1; })(r("overlay-detail")),
			    apart: (a => { const b = r("overlay-detail"); return a.bottom <= b.top + 0.5; })(r("overlay-title")),
			    noteApart: (a => { const b = r("overlay-note"); return a.bottom <= b.top + 0.5; })(r("overlay-detail")),
			    scrollable: d.scrollHeight <= d.clientHeight + 1 || d.tabIndex === 0,
			  };
			})()`, longError))
			want := map[string]any{
				"state": "failed", "title": "Camera failed", "detail": longError, "times": 1.0,
				"size": "–", "fps": "–", "snap": true, "wraps": true, "inside": true, "apart": true,
				"noteApart": true, "scrollable": true,
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s = %v, want %v", k, got[k], w)
				}
			}
		})
	}
}

// TestFailingTile checks a failed camera among working ones in the grid:
// its tile says so once, with the error, kept inside the tile, and no size or
// rate, while the others stay live.
func TestFailingTile(t *testing.T) {
	s := serve(t, camera(t, "front", pattern("front")), camera(t, "porch", broken{longError}))
	tb := open(t, s.url(), device(1280, 800, "light", ""))
	tb.wait("a live tile and a failed one", `(t => t.length === 2 && t[0].dataset.state === "live" && t[1].dataset.state === "failed")([...document.querySelectorAll(".tile")])`)
	tb.screenshot("failing-tile")
	got := eval[map[string]any](tb, `(() => {
	  const tile = document.querySelectorAll(".tile")[1];
	  const thumb = tile.querySelector(".thumb").getBoundingClientRect();
	  const d = tile.querySelector(".overlay-detail").getBoundingClientRect();
	  return {
	    title: tile.querySelector(".badge").textContent,
	    said: tile.textContent.split("Camera failed").length - 1,
	    detail: tile.querySelector(".overlay-detail").textContent,
	    facts: tile.querySelector(".tile-facts").textContent,
	    inside: d.top >= thumb.top && d.bottom <= thumb.bottom && d.left >= thumb.left && d.right <= thumb.right,
	  };
	})()`)
	want := map[string]any{"title": "Camera failed", "said": 1.0, "detail": longError, "facts": "", "inside": true}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
}
