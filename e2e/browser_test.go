package e2e

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/chromium"
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
		chrome.ctx, chrome.cancel, chrome.err = chromium.Start(path, dir)
	})
	if chrome.err != nil {
		t.Fatalf("starting chromium: %v", chrome.err)
	}
	ctx, cancel := chromedp.NewContext(chrome.ctx)
	t.Cleanup(cancel)
	return ctx
}
