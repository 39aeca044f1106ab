package main

import (
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/chromium"
)

//go:embed probe.js
var probeJS string

// browser is one headless Chromium whose tabs open framecast's page.
type browser struct {
	ctx    context.Context
	cancel func()
	dir    string
}

// newBrowser starts the Chromium at path, with the flags the e2e tests use.
func newBrowser(path string) (*browser, error) {
	dir, err := os.MkdirTemp("", "framecast-latency-")
	if err != nil {
		return nil, err
	}
	ctx, stop, err := chromium.Start(path, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &browser{ctx: ctx, dir: dir, cancel: func() { stop(); os.RemoveAll(dir) }}
	return b, nil
}

func (b *browser) close() { b.cancel() }

// pageRun is one tab showing one camera large, with probe.js watching.
type pageRun struct {
	ctx    context.Context
	cancel func()
}

// open opens framecast's page at base (http://host:port/) on camera cam
// in a new tab.
func (b *browser) open(base, cam string, limit time.Duration) (*pageRun, error) {
	tctx, cancelTab := chromedp.NewContext(b.ctx)
	ctx, cancel := context.WithTimeout(tctx, limit)
	p := &pageRun{ctx: ctx, cancel: func() {
		// Leaving the page lets the player end its session (WHEP DELETE).
		lctx, c := context.WithTimeout(tctx, 5*time.Second)
		chromedp.Do(lctx, chromedp.Navigate("about:blank"))
		c()
		cancel()
		cancelTab()
	}}
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probeJS})
		return err
	}), chromedp.Navigate(base+"#/cam/"+url.PathEscape(cam)))
	if err != nil {
		p.cancel()
		return nil, fmt.Errorf("opening %s for camera %s: %w", base, cam, err)
	}
	return p, nil
}

// waitFrames waits until the probe has seen at least n pictures.
func (p *pageRun) waitFrames(n int) error {
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf("window.__lat && __lat.frames.length >= %d", n),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0)))
	if err != nil {
		return fmt.Errorf("waiting for %d pictures: %w", n, err)
	}
	return nil
}

// frame is one picture the probe saw: when (wall-clock ms and the page's
// performance.now()), its code's cells and, for WebRTC, the metadata of
// requestVideoFrameCallback (page times in ms, processing in s).
type frame struct {
	At    float64   `json:"at"`
	Perf  float64   `json:"perf"`
	Cells []float64 `json:"cells"`
	Recv  *float64  `json:"recv"`
	Pres  *float64  `json:"pres"`
	Proc  *float64  `json:"proc"`
}

// probeState is what the probe gathered in a page.
type probeState struct {
	Origin float64            `json:"origin"` // performance.timeOrigin, wall-clock ms
	T      map[string]float64 `json:"t"`      // page times of the players' steps
	Frames []frame            `json:"frames"`
	// POST is the WHEP offer's resource timing, if any; Status the
	// page's first status request's.
	POST   *timing `json:"post"`
	Status *timing `json:"status"`
}

// timing is a resource's timing (page ms).
type timing struct {
	Start float64 `json:"startTime"`
	End   float64 `json:"responseEnd"`
}

func (p *pageRun) state() (probeState, error) {
	return chromedp.Run(p.ctx, chromedp.Evaluate[probeState](`(() => {
	  const r = performance.getEntriesByType("resource");
	  const post = r.find((e) => /\/whep(\?|$)/.test(e.name)), status = r.find((e) => /\/api\/status(\?|$)/.test(e.name));
	  return {origin: __lat.origin, t: __lat.t, frames: __lat.frames, post: post ? post.toJSON() : null,
	    status: status ? status.toJSON() : null};
	})()`))
}

// reset forgets the pictures seen so far.
func (p *pageRun) reset() error {
	return chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](`__lat.frames = []`))
}

// rtcStats are the page's summed inbound video statistics (getStats).
type rtcStats map[string]float64

func (p *pageRun) stats() (rtcStats, error) {
	return chromedp.Run(p.ctx, chromedp.Evaluate[rtcStats](`__lat.stats()`, chromedp.EvalAwaitPromise))
}

// steady watches camera cam in one tab: after warmup, it keeps n pictures
// and the inbound statistics over them.
func (b *browser) steady(base, cam string, warmup time.Duration, n int) (probeState, rtcStats, rtcStats, error) {
	p, err := b.open(base, cam, warmup+2*time.Minute)
	if err != nil {
		return probeState{}, nil, nil, err
	}
	defer p.cancel()
	if err := p.waitFrames(1); err != nil {
		return probeState{}, nil, nil, err
	}
	time.Sleep(warmup)
	if err := p.reset(); err != nil {
		return probeState{}, nil, nil, err
	}
	before, err := p.stats()
	if err != nil {
		return probeState{}, nil, nil, err
	}
	if err := p.waitFrames(n); err != nil {
		return probeState{}, nil, nil, err
	}
	after, err := p.stats()
	if err != nil {
		return probeState{}, nil, nil, err
	}
	st, err := p.state()
	return st, before, after, err
}

// join opens camera cam in a fresh tab after a random pause of up to
// spread (so joins fall at random phases of the keyframe interval) and
// returns what the probe saw once it had n pictures, and the inbound
// statistics then.
func (b *browser) join(base, cam string, spread time.Duration, n int) (probeState, rtcStats, error) {
	time.Sleep(rand.N(spread))
	p, err := b.open(base, cam, time.Minute)
	if err != nil {
		return probeState{}, nil, err
	}
	defer p.cancel()
	if err := p.waitFrames(n); err != nil {
		return probeState{}, nil, err
	}
	stats, err := p.stats()
	if err != nil {
		return probeState{}, nil, err
	}
	st, err := p.state()
	return st, stats, err
}
