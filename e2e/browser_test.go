package e2e

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/fake"
)

// The browser is shared by the package's tests: one Chromium, a fresh tab
// per test.
var chrome struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
	}
	if chrome.dir != "" {
		os.RemoveAll(chrome.dir)
	}
	os.Exit(code)
}

// newTab opens a tab in the shared headless Chromium; it closes when t ends.
func newTab(t *testing.T) context.Context {
	t.Helper()
	path := fake.Tool(t, "chromium")
	chrome.once.Do(func() {
		dir, err := os.MkdirTemp("", "framecast-chromium-")
		if err != nil {
			chrome.err = err
			return
		}
		chrome.dir = dir
		// The defaults include headless, no-first-run,
		// disable-background-networking and disable-sync.
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.UserDataDir(dir),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			// CI machines may have no network at all: these keep Chromium
			// from waiting on Google's hosts.
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("no-proxy-server", true),
			// WebRTC tests connect on 127.0.0.1, which Chromium leaves
			// out of its ICE candidates unless told.
			chromedp.Flag("allow-loopback-in-peer-connection", true),
			chromedp.WindowSize(1280, 800),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		chrome.ctx = ctx
		chrome.cancel = func() { cancelCtx(); cancelAlloc() }
		chrome.err = chromedp.Do(ctx) // starts the browser
	})
	if chrome.err != nil {
		t.Fatalf("starting chromium: %v", chrome.err)
	}
	ctx, cancel := chromedp.NewContext(chrome.ctx)
	t.Cleanup(cancel)
	return ctx
}
