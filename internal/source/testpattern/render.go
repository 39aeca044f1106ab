package testpattern

import (
	"fmt"
	"image"
	"math"
	"strconv"
	"time"

	"github.com/framecast/framecast/internal/picture"
)

// 75% colour bars, as in SMPTE and EBU test cards, and the reversed row
// beneath them.
var (
	bars = []picture.Color{
		picture.RGB(191, 191, 191), picture.RGB(191, 191, 0), picture.RGB(0, 191, 191),
		picture.RGB(0, 191, 0), picture.RGB(191, 0, 191), picture.RGB(191, 0, 0),
		picture.RGB(0, 0, 191),
	}
	castellations = []picture.Color{
		picture.RGB(0, 0, 191), picture.RGB(19, 19, 19), picture.RGB(191, 0, 191),
		picture.RGB(19, 19, 19), picture.RGB(0, 191, 191), picture.RGB(19, 19, 19),
		picture.RGB(191, 191, 191),
	}

	base      = picture.RGB(22, 25, 32)
	nameColor = picture.RGB(170, 178, 192)
	timeColor = picture.RGB(245, 246, 248)
	infoColor = picture.RGB(200, 205, 214)
	sweep     = picture.RGB(230, 40, 40)
	bitOff    = picture.Gray(48)
	bitOn     = picture.Gray(235)
	ballRim   = picture.Gray(20)
	ballShade = []picture.Color{picture.RGB(220, 110, 30), picture.RGB(245, 150, 60), picture.RGB(255, 200, 130), picture.RGB(255, 240, 215)}
)

// The ball crosses the picture once every ballPeriodX and bobs up and down
// once every ballPeriodY; the sweep marker crosses the ramp once a second.
const (
	ballPeriodX = 4 * time.Second
	ballPeriodY = 3 * time.Second
	// motionPeriod is a common multiple of the periods above, so positions
	// are computed from a small remainder of the clock with full precision.
	motionPeriod = 12 * time.Second
	counterBits  = 32
)

// layout is where each part of the pattern goes for one picture size.
type layout struct {
	scale      int             // text scale for the small lines
	bars       image.Rectangle // colour bars, where the ball moves
	castle     image.Rectangle // reversed bars
	ramp       image.Rectangle // black-to-white ramp, where the sweep runs
	panel      image.Rectangle // dark area under the bars, holding the text
	nameY      int             // top of the name line
	timeY      int             // top of the clock line
	timeScale  int
	countY     int // top of the frame counter line
	infoY      int // top of the size, rate and date line
	code       image.Rectangle
	cell       int // side of one counter cell
	ballRadius float64
}

func newLayout(w, h int) layout {
	s := picture.ScaleFor(w, h)
	l := layout{scale: s, timeScale: 2 * s}
	barsBottom := h * 50 / 100
	castleBottom := h * 54 / 100
	rampBottom := h * 58 / 100
	l.bars = image.Rect(0, 0, w, barsBottom)
	l.castle = image.Rect(0, barsBottom, w, castleBottom)
	l.ramp = image.Rect(0, castleBottom, w, rampBottom)
	l.panel = image.Rect(0, rampBottom, w, h)
	l.ballRadius = math.Max(float64(h)/14, 2)

	// Shrink the clock's text until it fits the width.
	for l.timeScale > 1 && picture.TextWidth("00:00:00.000", l.timeScale) > w*9/10 {
		l.timeScale--
	}
	l.cell = max(4*s, 3)
	gap := 3 * s
	total := 3*picture.LineHeight(s) + picture.LineHeight(l.timeScale) + l.cell + 4*gap
	y := l.panel.Min.Y + (l.panel.Dy()-total)/2
	l.nameY = y
	y += picture.LineHeight(s) + gap
	l.timeY = y
	y += picture.LineHeight(l.timeScale) + gap
	l.countY = y
	y += picture.LineHeight(s) + gap
	l.infoY = y
	y += picture.LineHeight(s) + gap
	codeWidth := counterBits * l.cell
	l.code = image.Rect((w-codeWidth)/2, y, (w-codeWidth)/2+codeWidth, y+l.cell)
	return l
}

// cellRect returns the square of counter bit i, the most significant first.
func (l layout) cellRect(i int) image.Rectangle {
	x := l.code.Min.X + (counterBits-1-i)*l.cell
	// A one-pixel gutter (at least) keeps the cells apart.
	g := max(l.cell/8, 1)
	return image.Rect(x+g, l.code.Min.Y, x+l.cell-g, l.code.Max.Y)
}

// renderer draws frames of one size. It keeps the static background as a
// template and reuses one picture, so a frame costs a copy, the moving parts,
// the text and the JPEG encoding.
type renderer struct {
	c        config
	l        layout
	tmpl     *image.YCbCr
	img      *image.YCbCr
	info     string // size and rate, fixed for the renderer's life
	sizeHint int    // bytes of the last JPEG, to allocate the next at once
}

func newRenderer(c config) *renderer {
	r := &renderer{
		c:    c,
		l:    newLayout(c.width, c.height),
		tmpl: picture.New(c.width, c.height),
		img:  picture.New(c.width, c.height),
		info: fmt.Sprintf("%dx%d  %d fps", c.width, c.height, c.fps),
	}
	r.drawBackground()
	return r
}

func (r *renderer) drawBackground() {
	img, l, w := r.tmpl, r.l, r.c.width
	column := func(i, n int) (int, int) { return w * i / n, w * (i + 1) / n }
	for i, c := range bars {
		x0, x1 := column(i, len(bars))
		picture.Fill(img, image.Rect(x0, l.bars.Min.Y, x1, l.bars.Max.Y), c)
		x0, x1 = column(i, len(castellations))
		picture.Fill(img, image.Rect(x0, l.castle.Min.Y, x1, l.castle.Max.Y), castellations[i])
	}
	// Neutral chroma first (Fill), then the ramp's luma pixel by pixel.
	picture.Fill(img, l.ramp, picture.Gray(0))
	for y := l.ramp.Min.Y; y < l.ramp.Max.Y; y++ {
		row := img.Y[img.YOffset(0, y):]
		for x := range w {
			row[x] = uint8(x * 255 / max(w-1, 1))
		}
	}
	picture.Fill(img, l.panel, base)
	picture.TextCentered(img, w/2, l.nameY, l.scale, r.c.name, nameColor)
	for i := range counterBits {
		picture.Fill(img, l.cellRect(i), bitOff)
	}
}

// render draws frame n as it is at now and returns it encoded.
func (r *renderer) render(now time.Time, n uint64) ([]byte, error) {
	img, tmpl, l, w := r.img, r.tmpl, r.l, r.c.width
	copy(img.Y, tmpl.Y)
	copy(img.Cb, tmpl.Cb)
	copy(img.Cr, tmpl.Cr)

	// Motion follows the wall clock, so it is smooth whatever the frame rate.
	t := time.Duration(now.UnixNano() % int64(motionPeriod))
	r.drawBall(phase(t, ballPeriodX), phase(t, ballPeriodY))
	sx := int(float64(w) * phase(t, time.Second))
	sw := max(r.l.scale, 2)
	picture.Fill(img, image.Rect(sx-sw/2, l.ramp.Min.Y, sx-sw/2+sw, l.ramp.Max.Y), sweep)

	var buf [64]byte
	picture.TextCentered(img, w/2, l.timeY, l.timeScale, string(now.AppendFormat(buf[:0], "15:04:05.000")), timeColor)
	count := strconv.AppendUint(append(buf[:0], "frame "...), n, 10)
	picture.TextCentered(img, w/2, l.countY, l.scale, string(count), infoColor)
	info := now.AppendFormat(append(append(buf[:0], r.info...), "  "...), "2006-01-02")
	picture.TextCentered(img, w/2, l.infoY, l.scale, string(info), infoColor)
	for i := range counterBits {
		if n&(1<<i) != 0 {
			picture.Fill(img, l.cellRect(i), bitOn)
		}
	}

	data, err := picture.Encode(make([]byte, 0, r.sizeHint+r.sizeHint/8), img, r.c.quality)
	if err != nil {
		return nil, err
	}
	r.sizeHint = len(data)
	return data, nil
}

// drawBall draws the ball at phases px, py (0 to 1) of its path over the
// bars: back and forth across, and up and down.
func (r *renderer) drawBall(px, py float64) {
	l, rad := r.l, r.l.ballRadius
	// A triangle wave across, a sine up and down.
	tx := 1 - math.Abs(2*px-1)
	cx := rad + tx*(float64(l.bars.Dx())-2*rad)
	cy := float64(l.bars.Min.Y) + float64(l.bars.Dy())/2 + (float64(l.bars.Dy())/2-rad*1.2)*math.Sin(2*math.Pi*py)
	picture.Disc(r.img, cx, cy, rad+math.Max(rad/10, 1), ballRim)
	// Smaller, lighter discs towards the top left shade it like a sphere.
	for i, c := range ballShade {
		k := float64(i) / float64(len(ballShade))
		picture.Disc(r.img, cx-rad*0.35*k, cy-rad*0.35*k, rad*(1-0.72*k), c)
	}
}

// phase returns how far t is into a cycle of period p, from 0 to 1.
func phase(t, p time.Duration) float64 {
	return float64(t%p) / float64(p)
}
