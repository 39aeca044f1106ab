package picture

import (
	"image"
	"unicode/utf8"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The font is basicfont's 7x13 fixed-width face (the X11 "fixed" font),
// read once into bit rows so that drawing needs no image.Image calls.
const (
	// GlyphAdvance is the width of one character cell at scale 1, in pixels.
	GlyphAdvance = 7
	// GlyphHeight is the height of one character cell at scale 1, in pixels.
	GlyphHeight = 13

	glyphWidth = 6
	firstRune  = 0x20
	lastRune   = 0x7e
)

// glyphs[r-firstRune][row] holds the pixels of one row of rune r, bit 0 the
// leftmost. notdef is drawn for runes the font lacks.
var glyphs, notdef = loadFont()

func loadFont() (g [lastRune - firstRune + 1][GlyphHeight]uint8, notdef [GlyphHeight]uint8) {
	face := basicfont.Face7x13
	read := func(r rune) (rows [GlyphHeight]uint8) {
		dr, mask, mp, _, _ := face.Glyph(fixed.P(0, face.Ascent), r)
		for y := range min(dr.Dy(), GlyphHeight) {
			for x := range min(dr.Dx(), 8) {
				if _, _, _, a := mask.At(mp.X+x, mp.Y+y).RGBA(); a >= 0x8000 {
					rows[y] |= 1 << (x + dr.Min.X)
				}
			}
		}
		return rows
	}
	for r := rune(firstRune); r <= lastRune; r++ {
		g[r-firstRune] = read(r)
	}
	return g, read(utf8.RuneError)
}

func glyph(r rune) *[GlyphHeight]uint8 {
	if r >= firstRune && r <= lastRune {
		return &glyphs[r-firstRune]
	}
	return &notdef
}

// ScaleFor returns the text scale that reads well on a picture of the given
// size: 1 up to 479 lines, 2 at 480 (VGA), 3 at 720, 4 at 960 and 1080, and
// so on, never more than the width allows for 40 characters (but at least 1).
func ScaleFor(width, height int) int {
	s := max(height/240, 1)
	return max(min(s, width/(40*GlyphAdvance)), 1)
}

// TextWidth returns the width in pixels of s drawn at scale: every rune,
// known to the font or not, takes one cell.
func TextWidth(s string, scale int) int {
	return utf8.RuneCountInString(s) * GlyphAdvance * scale
}

// LineHeight returns the height in pixels of one line of text at scale.
func LineHeight(scale int) int { return GlyphHeight * scale }

// Text draws s with its top-left corner at (x, y), each font pixel a
// scale x scale square of colour c. Runes missing from the font (it has
// printable ASCII) are drawn as a box. Only the glyphs' pixels are painted,
// luma and chroma; the background shows between them.
func Text(img *image.YCbCr, x, y, scale int, s string, c Color) {
	scale = max(scale, 1)
	adv := GlyphAdvance * scale
	line := image.Rect(x, y, x+TextWidth(s, scale), y+LineHeight(scale))
	if !line.Overlaps(img.Rect) {
		return
	}
	for _, r := range s {
		cell := image.Rect(x, y, x+adv, y+LineHeight(scale))
		x += adv
		if r == ' ' || !cell.Overlaps(img.Rect) {
			continue
		}
		g := glyph(r)
		for row, bits := range g {
			py := y + row*scale
			// Draw each horizontal run of set bits as one rectangle.
			for col := 0; col < glyphWidth; {
				if bits&(1<<col) == 0 {
					col++
					continue
				}
				end := col
				for end < glyphWidth && bits&(1<<end) != 0 {
					end++
				}
				Fill(img, image.Rect(cell.Min.X+col*scale, py, cell.Min.X+end*scale, py+scale), c)
				col = end
			}
		}
	}
}

// TextCentered draws s centred horizontally on cx, with its top at y (see
// Text).
func TextCentered(img *image.YCbCr, cx, y, scale int, s string, c Color) {
	Text(img, cx-TextWidth(s, max(scale, 1))/2, y, scale, s, c)
}
