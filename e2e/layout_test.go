package e2e

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/testpattern"
)

// box is an element's rectangle in CSS pixels.
type box struct {
	Name                     string
	Left, Top, Right, Bottom float64
}

func (b box) overlaps(o box) bool {
	// Touching edges do not count: sub-pixel layout puts neighbours there.
	const slack = 0.5
	return b.Left < o.Right-slack && o.Left < b.Right-slack && b.Top < o.Bottom-slack && o.Top < b.Bottom-slack
}

func (b box) inside(w, h float64) bool {
	return b.Left >= 0 && b.Top >= 0 && b.Right <= w && b.Bottom <= h
}

func (b box) String() string {
	return fmt.Sprintf("%s [%.0f,%.0f–%.0f,%.0f]", b.Name, b.Left, b.Top, b.Right, b.Bottom)
}

// layout is what the page looks like, measured in the browser.
type layout struct {
	Width, Height             float64
	ScrollWidth, ScrollHeight float64
	Picture                   box
	View, Bar                 box    // the space of the one-camera view, and its bar of facts and buttons
	Layout                    string // "below" or "side": where the bar is
	HeaderBottom              float64
	PictureHits               []bool // is the picture what is under its centre and corners
	Parts                     []box  // the other visible pieces, none inside another
	Tiles                     []box
	MinFontPx, MinControlSide float64
	Wrapped                   []string // labels broken over two lines
	LowContrast               []string // text under WCAG AA's 4.5:1
}

// contrastJS defines lowContrast(elements): the texts among them under
// WCAG AA's 4.5:1 against the first opaque background behind each; text
// over see-through layers is left out.
const contrastJS = `
  const rgb = s => { const m = /rgba?\(([^)]+)\)/.exec(s); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const bgOf = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) return c.a === 1 ? c : null; } return {r: 255, g: 255, b: 255, a: 1}; };
  const lum = c => { const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const lowContrast = els => els.flatMap(e => { const fg = rgb(getComputedStyle(e).color), bg = bgOf(e);
    if (!fg || !bg || fg.a < 1 || !e.textContent.trim()) return [];
    const x = lum(fg), y = lum(bg), r = (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
    return r < 4.5 ? [e.textContent.trim() + ": " + r.toFixed(2)] : []; });
`

const measureJS = `(() => {` + contrastJS + `
  const box = (e, name) => { const r = e.getBoundingClientRect(); return {Name: name || e.id || e.className || e.tagName, Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom}; };
  const shown = e => e.getClientRects().length > 0 && !e.closest("[hidden]");
  const img = document.getElementById("live");
  const pic = box(img, "picture");
  const at = (x, y) => document.elementFromPoint(x, y) === img;
  const i = 12; // clear of the rounded corners
  const hits = shown(img) ? [at((pic.Left + pic.Right) / 2, (pic.Top + pic.Bottom) / 2), at(pic.Left + i, pic.Top + i),
    at(pic.Right - i, pic.Top + i), at(pic.Left + i, pic.Bottom - i), at(pic.Right - i, pic.Bottom - i)] : [];
  const sel = [".brand", "#title", "#badge", ".facts > div", ".actions > *", ".foot p"];
  const parts = sel.flatMap(s => [...document.querySelectorAll(s)]).filter(shown).map(e => box(e));
  const controls = [...document.querySelectorAll("button, .button, .tile")].filter(shown);
  const texts = [...document.querySelectorAll("dt, dd, .button span, .badge, .foot p, .tile-name, .tile-facts")].filter(shown);
  return {
    Width: innerWidth, Height: innerHeight,
    ScrollWidth: document.documentElement.scrollWidth, ScrollHeight: document.documentElement.scrollHeight,
    Picture: pic, PictureHits: hits, Parts: parts,
    View: box(document.getElementById("view")), Bar: box(document.getElementById("bar")),
    Layout: document.getElementById("view").dataset.layout || "",
    HeaderBottom: document.querySelector(".top").getBoundingClientRect().bottom,
    Tiles: [...document.querySelectorAll(".tile")].map(e => box(e, e.querySelector(".tile-name").textContent)),
    MinFontPx: Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize))),
    LowContrast: lowContrast([...document.querySelectorAll("dt, dd, .button span, #title, .brand span, #badge span, .foot p, .foot a, .tile-name, .tile-facts")].filter(shown)),
    Wrapped: [...document.querySelectorAll(".button span, .badge span, dt, dd")].filter(shown).filter(e => e.getClientRects().length > 1).map(e => e.textContent),
    MinControlSide: Math.min(...controls.map(e => Math.min(e.offsetWidth, e.offsetHeight))),
  };
})()`

// TestLayout checks, on a phone and a desktop, light and dark, that the
// picture is fully visible and nothing on the page overlaps.
func TestLayout(t *testing.T) {
	type size struct {
		name string
		w, h int64
	}
	phone, desktop := size{"phone", 360, 740}, size{"desktop", 1920, 1080}
	type layoutCase struct {
		cams   int
		sz     size
		scheme string
		lang   string // Accept-Language; "" is the browser's own (English)
	}
	var cases []layoutCase
	for _, cams := range []int{1, 3} {
		for _, sz := range []size{phone, desktop} {
			for _, scheme := range []string{"light", "dark"} {
				cases = append(cases, layoutCase{cams, sz, scheme, ""})
			}
		}
	}
	// Korean labels are longer in places; a phone on its side is short.
	cases = append(cases, layoutCase{1, phone, "light", "ko"}, layoutCase{3, phone, "dark", "ko"},
		layoutCase{1, size{"phone-landscape", 740, 360}, "dark", ""})
	for _, c := range cases {
		cams, sz, scheme := c.cams, c.sz, c.scheme
		name := fmt.Sprintf("%s-%s-%s", map[int]string{1: "single", 3: "grid"}[cams], sz.name, scheme)
		if c.lang != "" {
			name += "-" + c.lang
		}
		t.Run(name, func(t *testing.T) {
			var hubs []*hub.Hub
			for i := range cams {
				n := []string{"front-door", "garage", "garden"}[i]
				hubs = append(hubs, camera(t, n, pattern(n)))
			}
			s := serve(t, hubs...)
			tb := open(t, s.url(), device(sz.w, sz.h, scheme, c.lang))
			if cams == 1 {
				tb.wait("the live state", `document.getElementById("stage").dataset.state === "live" && document.getElementById("f-viewers").textContent === "1"`)
			} else {
				tb.wait("three live tiles", `(t => t.length === 3 && t.every(e => e.dataset.state === "live"))([...document.querySelectorAll(".tile")])`)
			}
			if got := eval[bool](tb, fmt.Sprintf(`matchMedia("(prefers-color-scheme: %s)").matches`, scheme)); !got {
				t.Fatalf("colour scheme %s not in effect", scheme)
			}
			tb.screenshot(name)
			l := eval[layout](tb, measureJS)
			checkLayout(t, l, sz.w, sz.h)
			if cams == 1 {
				checkPicture(t, l)
				return
			}
			for i, a := range l.Tiles {
				if a.Left < 0 || a.Right > l.Width {
					t.Errorf("tile %v sticks out of the %v px window", a, l.Width)
				}
				for _, b := range l.Tiles[i+1:] {
					if a.overlaps(b) {
						t.Errorf("tile %v overlaps %v", a, b)
					}
				}
			}
			if !l.Tiles[0].inside(l.Width, l.Height) {
				t.Errorf("the first tile %v is not fully visible", l.Tiles[0])
			}
		})
	}
}

// checkLayout checks what every page must hold in a w x h window: the
// window's size, nothing wider than it, touch-sized controls, readable
// text, and the parts of the page inside it and apart.
func checkLayout(t *testing.T, l layout, w, h int64) {
	t.Helper()
	if l.Width != float64(w) || l.Height != float64(h) {
		t.Fatalf("viewport %vx%v, want %dx%d", l.Width, l.Height, w, h)
	}
	if l.ScrollWidth > l.Width {
		t.Errorf("the page is %v px wide in a %v px window", l.ScrollWidth, l.Width)
	}
	if l.MinControlSide < 40 {
		t.Errorf("a control is only %v px on a side; touch needs about 44", l.MinControlSide)
	}
	if len(l.LowContrast) > 0 {
		t.Errorf("text with too little contrast: %q", l.LowContrast)
	}
	if len(l.Wrapped) > 0 {
		t.Errorf("labels broken over lines: %q", l.Wrapped)
	}
	if l.MinFontPx < 12 {
		t.Errorf("text as small as %v px", l.MinFontPx)
	}
	for i, a := range l.Parts {
		if !a.inside(l.Width, l.Height) {
			t.Errorf("%v is outside the %vx%v window", a, l.Width, l.Height)
		}
		for _, b := range l.Parts[i+1:] {
			if a.overlaps(b) {
				t.Errorf("%v overlaps %v", a, b)
			}
		}
	}
}

// checkPicture checks the large picture is fully in the window, big, and
// covered by nothing.
func checkPicture(t *testing.T, l layout) {
	t.Helper()
	p := l.Picture
	if !p.inside(l.Width, l.Height) {
		t.Errorf("the picture %v is not fully inside the %vx%v window", p, l.Width, l.Height)
	}
	if l.ScrollHeight > l.Height {
		t.Errorf("the page scrolls: %v px tall in a %v px window", l.ScrollHeight, l.Height)
	}
	// 4:3 in the space left by the header and the bar: most of the width on
	// a phone, most of the height on a desktop.
	if w, h := p.Right-p.Left, p.Bottom-p.Top; w < 0.85*l.Width && h < 0.7*l.Height {
		t.Errorf("the picture is only %.0fx%.0f in a %vx%v window", w, h, l.Width, l.Height)
	}
	// The picture is as large as the view allows: as wide as the view, or
	// as tall as it (less the bar under it). No empty band above it.
	view := l.View
	barH := 0.0
	if l.Layout == "below" {
		barH = l.Bar.Bottom - p.Bottom
	}
	if w, h := p.Right-p.Left, p.Bottom-p.Top; w < view.Right-view.Left-1 && h+barH < view.Bottom-view.Top-2 {
		t.Errorf("the picture %v could be larger in the view %v (bar %s, %v)", p, view, l.Layout, l.Bar)
	}
	if gap := p.Top - l.HeaderBottom; gap > 16 {
		t.Errorf("%.0f px of empty space between the header and the picture %v", gap, p)
	}
	// The facts and buttons are next to the picture, not across the window.
	const near = 24
	switch l.Layout {
	case "below":
		if gap := l.Bar.Top - p.Bottom; gap < 0 || gap > near {
			t.Errorf("the bar %v is %.0f px under the picture %v", l.Bar, gap, p)
		}
		if l.Bar.Left < p.Left-1 || l.Bar.Right > p.Right+1 {
			t.Errorf("the bar %v is wider than the picture %v", l.Bar, p)
		}
	case "side":
		if gap := l.Bar.Left - p.Right; gap < 0 || gap > near {
			t.Errorf("the bar %v is %.0f px right of the picture %v", l.Bar, gap, p)
		}
		if l.Bar.Top < p.Top-1 || l.Bar.Bottom > p.Bottom+1 {
			t.Errorf("the bar %v is taller than the picture %v", l.Bar, p)
		}
	default:
		t.Errorf("the view's layout is %q, want below or side", l.Layout)
	}
	for i, hit := range l.PictureHits {
		if !hit {
			t.Errorf("something covers the picture at point %d (centre, then corners)", i)
		}
	}
	for _, b := range l.Parts {
		if p.overlaps(b) {
			t.Errorf("the picture %v overlaps %v", p, b)
		}
	}
}

// device is a setup action for open: a viewport of w×h CSS pixels (a
// phone's when narrow), a colour scheme, and an Accept-Language ("" leaves
// the browser's own).
func device(w, h int64, scheme, lang string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: w, Height: h, DeviceScaleFactor: 1, Mobile: w < 800,
		})
		if err != nil {
			return err
		}
		_, err = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		if err != nil || lang == "" {
			return err
		}
		_, err = chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 framecast-test", AcceptLanguage: lang,
		})
		return err
	})
}

// tilePicture is one tile and the picture it draws, in CSS pixels.
type tilePicture struct {
	Tile, Drawn        box
	NaturalW, NaturalH float64
}

// measureTilesJS returns each tile's box and the box of the picture drawn
// in it: the <img> box narrowed as its object-fit narrows the picture.
const measureTilesJS = `[...document.querySelectorAll(".tile")].map(t => {
  const box = (r, name) => ({Name: name, Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom});
  const name = t.querySelector(".tile-name").textContent;
  const img = t.querySelector("img"), r = img.getBoundingClientRect();
  const nw = img.naturalWidth, nh = img.naturalHeight;
  let w = r.width, h = r.height;
  const fit = getComputedStyle(img).objectFit;
  if ((fit === "contain" || fit === "scale-down") && nw && nh) {
    const s = Math.min(r.width / nw, r.height / nh, fit === "scale-down" ? 1 : Infinity);
    w = nw * s; h = nh * s;
  } else if (fit === "none") { w = nw; h = nh; }
  const x = r.left + (r.width - w) / 2, y = r.top + (r.height - h) / 2;
  return {Tile: box(t.getBoundingClientRect(), name), Drawn: box({left: x, top: y, right: x + w, bottom: y + h}, name + " picture"),
    NaturalW: nw, NaturalH: nh};
})`

// TestMixedGrid shows landscape cameras and a portrait one together: every
// tile lies inside the window, none overlaps another, and every picture is
// drawn whole at its own shape, at desktop and phone sizes.
func TestMixedGrid(t *testing.T) {
	sizes := []struct {
		name string
		w, h int64
	}{{"1280x800", 1280, 800}, {"1920x1080", 1920, 1080}, {"phone", 360, 740}}
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			var hubs []*hub.Hub
			for _, c := range []struct {
				name string
				w, h int
			}{{"front-door", 320, 240}, {"hallway", 240, 320}, {"garage", 320, 240}, {"garden", 320, 240}} {
				hubs = append(hubs, camera(t, c.name, &testpattern.Source{Width: c.w, Height: c.h, FPS: 10, Name: c.name}))
			}
			s := serve(t, hubs...)
			tb := open(t, s.url(), device(sz.w, sz.h, "light", ""))
			tb.wait("four live tiles", `(t => t.length === 4 && t.every(e => e.dataset.state === "live" && e.querySelector("img").naturalWidth > 0))([...document.querySelectorAll(".tile")])`)
			tb.screenshot("mixed-grid-" + sz.name)
			tiles := eval[[]tilePicture](tb, measureTilesJS)
			w, h := float64(sz.w), float64(sz.h)
			for i, tp := range tiles {
				if !tp.Tile.inside(w, h) {
					t.Errorf("tile %v is not inside the %vx%v window", tp.Tile, w, h)
				}
				if !tp.Drawn.inside(w, h) {
					t.Errorf("picture %v is not inside the %vx%v window", tp.Drawn, w, h)
				}
				dw, dh := tp.Drawn.Right-tp.Drawn.Left, tp.Drawn.Bottom-tp.Drawn.Top
				if want := tp.NaturalW / tp.NaturalH; dw < 1 || dh < 1 || math.Abs(dw/dh-want) > 0.02*want {
					t.Errorf("picture %v is drawn %.0fx%.0f, not at its %vx%v shape", tp.Drawn, dw, dh, tp.NaturalW, tp.NaturalH)
				}
				for _, o := range tiles[i+1:] {
					if tp.Tile.overlaps(o.Tile) {
						t.Errorf("tile %v overlaps %v", tp.Tile, o.Tile)
					}
				}
			}
			if sh := eval[float64](tb, `document.documentElement.scrollHeight`); sh > h {
				t.Errorf("the page scrolls: %v px tall in a %v px window", sh, h)
			}
		})
	}
}

// TestPortraitCamera shows one portrait camera large: on a desktop and on
// a phone the picture is whole, at its own shape, as large as the view
// allows, with the facts next to it.
func TestPortraitCamera(t *testing.T) {
	for _, sz := range []struct {
		name string
		w, h int64
	}{{"1280x800", 1280, 800}, {"phone", 360, 740}} {
		t.Run(sz.name, func(t *testing.T) {
			s := serve(t, camera(t, "hallway", &testpattern.Source{Width: 240, Height: 320, FPS: 10, Name: "hallway"}))
			tb := open(t, s.url(), device(sz.w, sz.h, "light", ""))
			tb.wait("the live state", `document.getElementById("stage").dataset.state === "live" && document.getElementById("f-viewers").textContent === "1"`)
			tb.screenshot("portrait-" + sz.name)
			l := eval[layout](tb, measureJS)
			checkPicture(t, l)
			if w, h := l.Picture.Right-l.Picture.Left, l.Picture.Bottom-l.Picture.Top; math.Abs(w/h-0.75) > 0.02 {
				t.Errorf("the picture is %.0fx%.0f, not 3:4", w, h)
			}
		})
	}
}
