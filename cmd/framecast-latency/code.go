package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The stamp is drawn across the top of the picture as a grid of square
// cells, cols to a row, each cell cols-th of the picture's width (32 pixels
// at 640). A bit is a pair of neighbouring cells, white then black for 1,
// black then white for 0, so reading it compares two cells and needs no
// threshold that depends on the encoder's levels. 70 pairs carry the 48-bit
// stamp (Unix milliseconds), a 16-bit check of it (the low half of its
// CRC-32) and 6 fixed bits; a picture whose pairs are not all clearly one
// way or the other, or whose check or fixed bits are wrong, is unreadable.
// Cells of 32 pixels cover whole 16x16 macroblocks and 8x8 JPEG blocks
// even in the half-size chroma planes, and only their inner half is read,
// so neither compression's ringing at the cells' edges reaches a reading.
const (
	cols      = 20
	stampBits = 48
	checkBits = 16
	fixedBits = 6
	pairs     = stampBits + checkBits + fixedBits
	codeRows  = pairs / (cols / 2)
	fixed     = 0b101101 // the fixed bits' pattern

	black, white = 16, 235 // video-range luma
	// minContrast is the least difference of a pair's two cells (in 8-bit
	// luma) that reads as a bit: a fifth of black to white.
	minContrast = 44
)

// errUnreadable is returned for a picture that holds no readable stamp.
var errUnreadable = errors.New("no readable stamp")

// geometry is where the code's cells lie in a picture of a given size.
type geometry struct {
	w, h int
	cell float64 // a cell's side in pixels
}

func newGeometry(w, h int) (geometry, error) {
	g := geometry{w: w, h: h, cell: float64(w) / cols}
	if g.cell < 4 || g.cell*codeRows > float64(h) {
		return g, fmt.Errorf("a %dx%d picture is too small for the stamp's %dx%d cells", w, h, cols, codeRows)
	}
	return g, nil
}

// codeHeight is the height in pixels of the picture's band the code covers.
func (g geometry) codeHeight() int { return int(g.cell*codeRows + 0.5) }

// bitsOf returns the pairs' bits for stamp ms: the stamp's 48 bits, its
// check's 16 and the fixed 6, each most significant bit first.
func bitsOf(ms int64) []bool {
	ms &= 1<<stampBits - 1
	out := make([]bool, 0, pairs)
	put := func(v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			out = append(out, v>>i&1 == 1)
		}
	}
	put(uint64(ms), stampBits)
	put(uint64(check(ms)), checkBits)
	put(fixed, fixedBits)
	return out
}

// check is the 16-bit check of a stamp: the low half of the CRC-32 of its
// six bytes.
func check(ms int64) uint16 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ms))
	return uint16(crc32.ChecksumIEEE(b[2:]))
}

// drawCode paints stamp ms into the luma plane y (w pixels a row) of a
// picture with geometry g; chroma is left to the caller (grey: 128).
func drawCode(y []byte, g geometry, ms int64) {
	bits := bitsOf(ms)
	for row := range g.codeHeight() {
		r := min(int(float64(row)/g.cell), codeRows-1)
		line := y[row*g.w : row*g.w+g.w]
		for x := range line {
			c := min(int(float64(x)/g.cell), cols-1)
			bit := bits[r*cols/2+c/2]
			on := bit == (c%2 == 0) // 1: white then black
			line[x] = black
			if on {
				line[x] = white
			}
		}
	}
}

// cellMeans returns the mean luma of the inner half of each cell, row by
// row, read from the luma plane y (stride bytes a row). The browser reads
// the same cells from a canvas (see readCellsJS).
func cellMeans(y []byte, stride int, g geometry) []float64 {
	out := make([]float64, 0, codeRows*cols)
	for r := range codeRows {
		for c := range cols {
			x0, y0 := int(g.cell*(float64(c)+0.25)), int(g.cell*(float64(r)+0.25))
			x1, y1 := int(g.cell*(float64(c)+0.75)), int(g.cell*(float64(r)+0.75))
			sum, n := 0, 0
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					sum += int(y[yy*stride+xx])
					n++
				}
			}
			out = append(out, float64(sum)/float64(n))
		}
	}
	return out
}

// decode reads the stamp from the cells' mean luma (codeRows*cols values,
// row by row). It fails with errUnreadable when any pair is unclear or the
// check or fixed bits do not match.
func decode(cells []float64) (int64, error) {
	if len(cells) != codeRows*cols {
		return 0, fmt.Errorf("%d cells, want %d", len(cells), codeRows*cols)
	}
	var stamp, chk, fix uint64
	for i := range pairs {
		a, b := cells[2*i], cells[2*i+1]
		var bit uint64
		switch {
		case a-b >= minContrast:
			bit = 1
		case b-a >= minContrast:
		default:
			return 0, errUnreadable
		}
		switch {
		case i < stampBits:
			stamp = stamp<<1 | bit
		case i < stampBits+checkBits:
			chk = chk<<1 | bit
		default:
			fix = fix<<1 | bit
		}
	}
	if fix != fixed || uint16(chk) != check(int64(stamp)) {
		return 0, errUnreadable
	}
	return int64(stamp), nil
}
