package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

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
    octoprint: code("octoprint"), frigate: code("frigate"), img: code("img"),
    focus: document.activeElement ? document.activeElement.id || document.activeElement.className : "",
  };
})()`

type useDialog struct {
	Open                                   bool
	Title, Intro                           string
	TokenField                             bool
	Stream, Snapshot                       string
	HomeAssistant, OctoPrint, Frigate, Img string
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
