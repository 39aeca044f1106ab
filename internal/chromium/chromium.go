// Package chromium starts the headless Chromium that framecast's browser
// tests and its latency tool drive, with the flags both need.
package chromium

import (
	"context"
	"fmt"

	"github.com/chromedp/chromedp"
)

// Start starts the Chromium at path, its profile in dir, and returns a
// context for its first tab (chromedp.NewContext on it opens more) and the
// function that stops it.
func Start(path, dir string) (context.Context, func(), error) {
	// The defaults include headless, no-first-run,
	// disable-background-networking and disable-sync.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Machines without a network: these keep Chromium from waiting
		// on Google's hosts.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true),
		// framecast listens on 127.0.0.1, which Chromium leaves out of
		// its ICE candidates unless told.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	stop := func() { cancelCtx(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		stop()
		return nil, nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return ctx, stop, nil
}
