package e2e

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// prefixProxy is a reverse proxy on 127.0.0.1 serving target under prefix
// (as nginx's location /cams/ { proxy_pass http://framecast/; } does); it
// answers 404 to, and records, every request outside the prefix.
type prefixProxy struct {
	url string // the proxy's address with the prefix, ending in "/"

	mu      sync.Mutex
	outside []string
}

func newPrefixProxy(t *testing.T, target, prefix string) *prefixProxy {
	t.Helper()
	to, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &prefixProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(to)
			r.Out.URL.Path = "/" + strings.TrimPrefix(r.In.URL.Path, prefix)
			r.Out.URL.RawPath = ""
			r.SetXForwarded()
		},
		FlushInterval: -1, // a stream's parts go on at once
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			p.mu.Lock()
			p.outside = append(p.outside, r.URL.String())
			p.mu.Unlock()
			http.NotFound(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	p.url = "http://" + ln.Addr().String() + prefix
	return p
}

func (p *prefixProxy) requestsOutside() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.outside...)
}

// TestBehindPathPrefix loads the page through a reverse proxy that serves
// framecast under /cams/: the page, its assets, status, streams, every
// link it shows and the addresses it gives to copy stay under the prefix.
func TestBehindPathPrefix(t *testing.T) {
	s := serve(t, camera(t, "front", pattern("front")), camera(t, "back yard", pattern("back yard")))
	p := newPrefixProxy(t, s.url(), "/cams/")
	tb := open(t, p.url, device(1280, 800, "light", ""))

	tb.wait("two live tiles", `(t => t.length === 2 && t.every(e => e.dataset.state === "live"))([...document.querySelectorAll(".tile")])`)
	links := `[...document.querySelectorAll("a[href], img[src], link[href], script[src]")].map(e => e.href || e.src)
	  .concat(performance.getEntriesByType("resource").map(e => e.name))`
	outside := func(where string) {
		t.Helper()
		for _, u := range eval[[]string](tb, links) {
			if !strings.HasPrefix(u, p.url) {
				t.Errorf("%s: %s is not under %s", where, u, p.url)
			}
		}
	}
	outside("the grid")

	tb.do("opening back yard", chromedp.Click(chromedp.CSS(`a.tile[href="#/cam/back%20yard"]`)))
	tb.wait("back yard, large and live", `document.getElementById("title").textContent === "back yard" &&
	  document.getElementById("stage").dataset.state === "live"`)
	outside("one camera")
	tb.do("opening Use elsewhere", chromedp.Click(chromedp.ID("use-open")))
	tb.wait("the dialog", `document.getElementById("use").open`)
	d := eval[useDialog](tb, useJS)
	if want := p.url + "cam/back%20yard/stream"; d.Stream != want {
		t.Errorf("stream address %q, want %q", d.Stream, want)
	}
	if want := p.url + "cam/back%20yard/snapshot"; d.Snapshot != want {
		t.Errorf("snapshot address %q, want %q", d.Snapshot, want)
	}
	checkURL(t, d.Snapshot, "image/jpeg")
	checkURL(t, d.Stream, "multipart/x-mixed-replace")
	if got := p.requestsOutside(); len(got) > 0 {
		t.Errorf("requests outside the prefix: %q", got)
	}
	if errs := tb.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
