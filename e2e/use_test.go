package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// useJS reads the "Use this camera elsewhere" dialog.
const useJS = `(() => {
  const code = id => (e => e ? e.textContent : "")(document.querySelector('[data-use="' + id + '"] code'));
  return {
    open: document.getElementById("use").open,
    title: document.getElementById("use-title").textContent,
    intro: document.getElementById("use-intro").textContent,
    tokenField: !document.getElementById("use-token").hidden,
    stream: code("stream"), snapshot: code("snapshot"), homeassistant: code("homeassistant"),
    octoprint: code("octoprint"), frigate: code("frigate"), img: code("img"), hls: code("hls"), whep: code("whep"),
    focus: document.activeElement ? document.activeElement.id || document.activeElement.className : "",
  };
})()`

type useDialog struct {
	Open                                   bool
	Title, Intro                           string
	TokenField                             bool
	Stream, Snapshot                       string
	HomeAssistant, OctoPrint, Frigate, Img string
	HLS, WHEP                              string
	Focus                                  string
}

// checkURL fetches url with no credentials and checks it answers with
// the content type want.
func checkURL(t *testing.T, url, want string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, want) {
		t.Errorf("GET %s: %s %q, want 200 %s", url, resp.Status, ct, want)
	}
}

// TestUseElsewhere opens "Use this camera elsewhere" by keyboard: absolute
// addresses of the stream and snapshot that work, the settings of Home
// Assistant, OctoPrint, Frigate and an <img> with them, a copy button that
// fills the clipboard, and Escape back to the page.
func TestUseElsewhere(t *testing.T) {
	s := serve(t, camera(t, "door", pattern("door")))
	tb := open(t, s.url(), device(1280, 800, "dark", ""))
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	origin := strings.TrimSuffix(s.url(), "/")
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(tb.ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: origin,
		}); err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}

	tb.do("focusing the button", evalVoid(`document.getElementById("use-open").focus()`))
	tb.do("pressing Enter", chromedp.KeyEvent("\r"))
	tb.wait("the dialog", `document.getElementById("use").open`)
	tb.screenshot("use-elsewhere")
	d := eval[useDialog](tb, useJS)
	stream, snap := s.url()+"cam/door/stream", s.url()+"cam/door/snapshot"
	want := useDialog{
		Open: true, Title: "Use this camera elsewhere",
		Intro:  "Addresses of door for other apps and pages, as this browser reaches the server.",
		Stream: stream, Snapshot: snap,
		HomeAssistant: fmt.Sprintf(`camera: [{platform: mjpeg, name: "door", mjpeg_url: %q, still_image_url: %q}]`, stream, snap),
		OctoPrint:     fmt.Sprintf(`plugins: {classicwebcam: {stream: %q, snapshot: %q}}`, stream, snap),
		Frigate:       fmt.Sprintf(`cameras: {door: {ffmpeg: {input_args: preset-http-mjpeg-generic, inputs: [{path: %q, roles: [detect]}]}}}`, stream),
		Img:           fmt.Sprintf(`<img src="%s" alt="door">`, stream),
		Focus:         "use-close",
	}
	if d != want {
		t.Errorf("the dialog shows\n%+v\nwant\n%+v", d, want)
	}
	checkURL(t, d.Snapshot, "image/jpeg")
	checkURL(t, d.Stream, "multipart/x-mixed-replace")
	if low := eval[[]string](tb, `(() => {`+contrastJS+`
	  return lowContrast([...document.querySelectorAll("#use .use-title, #use .use-text, #use .use-label, #use .use-code, #use .button")]); })()`); len(low) > 0 {
		t.Errorf("text with too little contrast in the dialog: %q", low)
	}

	// Tab from the close button reaches the first copy button.
	tb.do("tabbing to Copy and pressing it", chromedp.KeyEvent("\t"), chromedp.KeyEvent("\r"))
	tb.wait("the copied message", `document.getElementById("use-status").textContent === "Copied: Stream (MJPEG)"`)
	if got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); err != nil || got != stream {
		t.Errorf("clipboard holds %q (%v), want %q", got, err, stream)
	}
	tb.do("pressing Escape", chromedp.KeyEvent("\x1b"))
	tb.wait("the dialog to close and the focus to return", `!document.getElementById("use").open && document.activeElement.id === "use-open"`)
	if errs := tb.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestUseElsewhereToken signs in with a password to a camera that has a
// token, on a phone in Korean: the dialog never shows the token or the password, says how to
// use a token, and puts a typed one into addresses that then work with no
// password.
func TestUseElsewhereToken(t *testing.T) {
	const user, password, token = "alice", "correct horse battery", "tok-door-0123456789abcdef"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	s := serveServer(t, &server.Server{
		Cameras: []*hub.Hub{camera(t, "door", pattern("door"))},
		Logger:  quiet,
		Users:   map[string]string{user: string(hash)},
		Tokens:  []server.Token{{Camera: "door", Secret: token}},
	})
	auth := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))},
		})
		return err
	})
	tb := open(t, s.url(), device(360, 740, "light", "ko"), auth)
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	tb.do("opening the dialog", chromedp.Click(chromedp.ID("use-open")))
	tb.wait("the token field", `document.getElementById("use").open && !document.getElementById("use-token").hidden`)
	secrets := `(html => [%q, %q, %q].filter(s => html.includes(s)))(document.documentElement.outerHTML + [...document.querySelectorAll("input")].map(i => i.value).join(" "))`
	if got := eval[[]string](tb, fmt.Sprintf(secrets, token, password, user)); len(got) > 0 {
		t.Errorf("the page shows secrets it was not given: %q", got)
	}
	d := eval[useDialog](tb, useJS)
	if d.Stream != s.url()+"cam/door/stream" {
		t.Errorf("stream address %q before a token is typed", d.Stream)
	}
	tb.do("typing the token", chromedp.SendKeys(chromedp.ID("use-token-input"), token))
	tb.wait("the addresses with the token", fmt.Sprintf(`document.querySelector('[data-use="snapshot"] code').textContent.endsWith("?token=%s")`, token))
	tb.screenshot("use-elsewhere-token")
	if got := eval[string](tb, `(d => d.scrollWidth <= d.clientWidth && d.getBoundingClientRect().right <= innerWidth ? "" : d.scrollWidth + " in " + d.clientWidth)(document.getElementById("use"))`); got != "" {
		t.Errorf("the dialog is wider than the phone: %s", got)
	}
	d = eval[useDialog](tb, useJS)
	if d.Title != "이 카메라를 다른 곳에서 사용하기" {
		t.Errorf("title %q, want it in Korean", d.Title)
	}
	if want := s.url() + "cam/door/stream?token=" + token; d.Stream != want || !strings.Contains(d.HomeAssistant, want) {
		t.Errorf("stream %q, Home Assistant %q; want %q in both", d.Stream, d.HomeAssistant, want)
	}
	checkURL(t, d.Snapshot, "image/jpeg")
	checkURL(t, d.Stream, "multipart/x-mixed-replace")
	// Without the token the same address asks for the password.
	resp, err := http.Get(s.url() + "cam/door/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the snapshot without a token: %s, want 401", resp.Status)
	}
}

// TestUseElsewhereH264: for an H.264 camera opened with a token, the dialog
// lists the LL-HLS playlist and the WHEP address after the MJPEG ones,
// with the token, and both work with nothing else: the playlist is
// served, and a WebRTC client's offer is answered and gets pictures.
func TestUseElsewhereH264(t *testing.T) {
	const token = "tok-door-0123456789abcdef"
	s, _, _ := h264Site(t, "door", &server.Server{Tokens: []server.Token{{Camera: "door", Secret: token}}})
	tb := open(t, s.url()+"?token="+token)
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	tb.do("opening the dialog", chromedp.Click(chromedp.ID("use-open")))
	tb.wait("the dialog", `document.getElementById("use").open`)
	tb.screenshot("use-elsewhere-h264")
	d := eval[useDialog](tb, useJS)
	q := "?token=" + token
	if want := s.url() + "cam/door/hls/index.m3u8" + q; d.HLS != want {
		t.Errorf("LL-HLS address %q, want %q", d.HLS, want)
	}
	if want := s.url() + "cam/door/whep" + q; d.WHEP != want {
		t.Errorf("WHEP address %q, want %q", d.WHEP, want)
	}
	if want := s.url() + "cam/door/stream" + q; d.Stream != want {
		t.Errorf("stream address %q, want %q", d.Stream, want)
	}
	order := eval[[]string](tb, `[...document.querySelectorAll("#use-list [data-use]")].map(e => e.dataset.use + ": " + e.querySelector(".use-label").textContent)`)
	wantOrder := []string{"stream: Stream (MJPEG)", "snapshot: Snapshot (JPEG)", "hls: LL-HLS (VLC, Safari, HLS players)", "whep: WebRTC (WHEP clients)",
		"homeassistant: Home Assistant (configuration.yaml)", "octoprint: OctoPrint (config.yaml)", "frigate: Frigate (config.yml)", "img: Web page (<img>)"}
	if fmt.Sprint(order) != fmt.Sprint(wantOrder) {
		t.Errorf("the dialog lists\n%q\nwant\n%q", order, wantOrder)
	}
	checkURL(t, d.HLS, "application/vnd.apple.mpegurl")
	checkURL(t, d.Snapshot, "image/jpeg")

	c := fake.NewWHEPClient(t)
	resp, err := http.Post(d.WHEP, "application/sdp", strings.NewReader(c.Offer))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %s %s", d.WHEP, resp.Status, answer)
	}
	c.Answer(t, string(answer))
	if w, h, _, _ := c.FirstIDR(t); w != 320 || h != 240 {
		t.Errorf("the WHEP address gives pictures of %dx%d, want 320x240", w, h)
	}
}
