package picture

import (
	"fmt"
	"image"
	"time"
)

// Colours of the "no signal" card: calm, dark, readable.
var (
	cardBackground = RGB(24, 27, 34)
	cardBorder     = RGB(52, 58, 70)
	cardTitle      = RGB(232, 234, 238)
	cardAccent     = RGB(200, 70, 60)
	cardStatus     = RGB(170, 176, 188)
)

// NoSignal returns a JPEG card of the given size and quality (see Encode)
// saying "NO SIGNAL" and how long ago the last frame came ("last frame 12s
// ago", or "no frame yet" when since is negative). It shows no error text:
// every viewer sees the card, and an error can name hosts and commands that
// are for the log and authenticated status only. The size must be 1 to
// MaxSize in each direction.
func NoSignal(width, height, quality int, since time.Duration) ([]byte, error) {
	if width < 1 || height < 1 || width > MaxSize || height > MaxSize {
		return nil, fmt.Errorf("picture: no signal card size %dx%d out of range 1..%d", width, height, MaxSize)
	}
	img := New(width, height)
	Fill(img, img.Rect, cardBackground)

	s := ScaleFor(width, height)
	margin := 8 * s
	inner := img.Rect.Inset(margin)
	// A thin frame, like the edge of a screen.
	if !inner.Empty() {
		frame := inner.Inset(-max(s/2, 1))
		Fill(img, frame, cardBorder)
		Fill(img, inner, cardBackground)
	}

	title := "NO SIGNAL"
	big := 2 * s
	for big > 1 && TextWidth(title, big) > inner.Dx()-2*s {
		big--
	}
	status := "no frame yet"
	if since >= 0 {
		status = "last frame " + Ago(since)
	}
	gap := LineHeight(s)
	accent := max(s, 2)
	total := LineHeight(big) + accent + gap + LineHeight(s)

	cx := width / 2
	y := (height - total) / 2
	TextCentered(img, cx, y, big, title, cardTitle)
	y += LineHeight(big) + s
	tw := TextWidth(title, big)
	Fill(img, image.Rect(cx-tw/2, y, cx-tw/2+tw, y+accent), cardAccent)
	y += accent + gap
	TextCentered(img, cx, y, s, status, cardStatus)
	return Encode(nil, img, quality)
}

// Ago says how long a duration is in a few characters, to the second:
// "0s ago", "12s ago", "3m 20s ago", "2h 5m ago", "3d 4h ago".
func Ago(d time.Duration) string {
	sec := int64(max(d, 0) / time.Second)
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds ago", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm %ds ago", sec/60, sec%60)
	case sec < 86400:
		return fmt.Sprintf("%dh %dm ago", sec/3600, sec%3600/60)
	default:
		return fmt.Sprintf("%dd %dh ago", sec/86400, sec%86400/3600)
	}
}
