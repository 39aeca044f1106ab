package jpegenc

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// A baseline JPEG encoder for 4:2:0 YCbCr, written for speed in pure Go:
// blocks are read straight from the planes, the forward DCT is the float
// AAN one (libjpeg's jfdctflt) with its scaling folded into the quantizer,
// zero coefficients are skipped with a bit mask, and the entropy coder
// writes 32 bits at a time into a plain byte slice.

// unzig maps a zig-zag index to its natural (row-major) index in a block.
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// baseQuant holds the example quantization tables of ITU-T T.81 Annex K.1
// (luminance, chrominance) in natural order.
var baseQuant = [2][64]uint8{{
	16, 11, 10, 16, 24, 40, 51, 61,
	12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56,
	14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77,
	24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101,
	72, 92, 95, 98, 112, 100, 103, 99,
}, {
	17, 18, 24, 47, 99, 99, 99, 99,
	18, 21, 26, 66, 99, 99, 99, 99,
	24, 26, 56, 99, 99, 99, 99, 99,
	47, 66, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
}}

// huffCodes maps a symbol to its code: the code's bits in the low 16 bits,
// its length above them.
type huffCodes [256]uint32

func buildCodes(s *mjpeg.HuffmanTable) (c huffCodes) {
	code, k := uint32(0), 0
	for length := uint32(1); length <= 16; length++ {
		for range s.Counts[length-1] {
			c[s.Symbols[k]] = length<<16 | code
			code++
			k++
		}
		code <<= 1
	}
	return c
}

var (
	codesDCLuma   = buildCodes(&mjpeg.StandardHuffmanTables[0])
	codesACLuma   = buildCodes(&mjpeg.StandardHuffmanTables[1])
	codesDCChroma = buildCodes(&mjpeg.StandardHuffmanTables[2])
	codesACChroma = buildCodes(&mjpeg.StandardHuffmanTables[3])
)

// headerDHT is the DHT segment with all four tables.
var headerDHT = mjpeg.AppendStandardDHT(nil)

// quantTables are the quantizers of one quality: the DQT segment and, per
// table, the reciprocal divisors with the AAN DCT's scaling folded in.
type quantTables struct {
	quality int
	dqt     []byte
	recip   [2][64]float32 // natural order
}

func newQuantTables(quality int) *quantTables {
	quality = max(1, min(quality, 100))
	scale := 200 - 2*quality
	if quality < 50 {
		scale = 5000 / quality
	}
	aan := [8]float64{1}
	for k := 1; k < 8; k++ {
		aan[k] = math.Cos(float64(k)*math.Pi/16) * math.Sqrt2
	}
	t := &quantTables{quality: quality, dqt: []byte{0xFF, 0xDB, 0, 2 + 2*65}}
	for i := range 2 {
		var q [64]int
		for n := range 64 {
			q[n] = max(1, min((int(baseQuant[i][n])*scale+50)/100, 255))
			t.recip[i][n] = float32(1 / (float64(q[n]) * aan[n/8] * aan[n%8] * 8))
		}
		t.dqt = append(t.dqt, byte(i))
		for z := range 64 {
			t.dqt = append(t.dqt, byte(q[unzig[z]]))
		}
	}
	return t
}

// fdct computes the forward DCT of a level-shifted block in place, scaled
// by the AAN factors that the quantizer divides out (jfdctflt.c).
func fdct(d *[64]float32) {
	for i := 0; i < 64; i += 8 {
		r := d[i : i+8 : i+8]
		tmp0, tmp7 := r[0]+r[7], r[0]-r[7]
		tmp1, tmp6 := r[1]+r[6], r[1]-r[6]
		tmp2, tmp5 := r[2]+r[5], r[2]-r[5]
		tmp3, tmp4 := r[3]+r[4], r[3]-r[4]
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		r[0], r[4] = tmp10+tmp11, tmp10-tmp11
		z1 := (tmp12 + tmp13) * 0.707106781
		r[2], r[6] = tmp13+z1, tmp13-z1
		tmp10, tmp11, tmp12 = tmp4+tmp5, tmp5+tmp6, tmp6+tmp7
		z5 := (tmp10 - tmp12) * 0.382683433
		z2 := 0.541196100*tmp10 + z5
		z4 := 1.306562965*tmp12 + z5
		z3 := tmp11 * 0.707106781
		z11, z13 := tmp7+z3, tmp7-z3
		r[5], r[3] = z13+z2, z13-z2
		r[1], r[7] = z11+z4, z11-z4
	}
	for c := 0; c < 8; c++ {
		tmp0, tmp7 := d[c]+d[56+c], d[c]-d[56+c]
		tmp1, tmp6 := d[8+c]+d[48+c], d[8+c]-d[48+c]
		tmp2, tmp5 := d[16+c]+d[40+c], d[16+c]-d[40+c]
		tmp3, tmp4 := d[24+c]+d[32+c], d[24+c]-d[32+c]
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		d[c], d[32+c] = tmp10+tmp11, tmp10-tmp11
		z1 := (tmp12 + tmp13) * 0.707106781
		d[16+c], d[48+c] = tmp13+z1, tmp13-z1
		tmp10, tmp11, tmp12 = tmp4+tmp5, tmp5+tmp6, tmp6+tmp7
		z5 := (tmp10 - tmp12) * 0.382683433
		z2 := 0.541196100*tmp10 + z5
		z4 := 1.306562965*tmp12 + z5
		z3 := tmp11 * 0.707106781
		z11, z13 := tmp7+z3, tmp7-z3
		d[40+c], d[24+c] = z13+z2, z13-z2
		d[8+c], d[56+c] = z11+z4, z11-z4
	}
}

// bitWriter is the entropy coder's output: bits gather in acc and leave 32
// at a time, with a 0x00 stuffed after every 0xFF byte.
type bitWriter struct {
	buf []byte
	acc uint64
	n   uint // bits in acc
}

// put appends the low n bits of v (n <= 32).
func (w *bitWriter) put(v uint32, n uint) {
	w.acc = w.acc<<n | uint64(v)
	w.n += n
	if w.n >= 32 {
		w.n -= 32
		w.emitWord(uint32(w.acc >> w.n))
	}
}

// emitWord appends 32 bits to buf, stuffing a 0x00 after any 0xFF byte.
func (w *bitWriter) emitWord(word uint32) {
	if t := ^word; (t-0x01010101)&^t&0x80808080 == 0 { // no 0xFF byte
		w.buf = binary.BigEndian.AppendUint32(w.buf, word)
		return
	}
	for s := 24; s >= 0; s -= 8 {
		b := byte(word >> s)
		w.buf = append(w.buf, b)
		if b == 0xFF {
			w.buf = append(w.buf, 0)
		}
	}
}

// flush pads the last byte with 1 bits and writes out what is left.
func (w *bitWriter) flush() {
	if pad := (8 - w.n%8) % 8; pad > 0 {
		w.put(1<<pad-1, pad)
	}
	for w.n >= 8 {
		w.n -= 8
		b := byte(w.acc >> w.n)
		w.buf = append(w.buf, b)
		if b == 0xFF {
			w.buf = append(w.buf, 0)
		}
	}
	w.acc, w.n = 0, 0
}

// encodeBlock transforms, quantizes and entropy-codes one block, and returns
// its quantized DC value.
func (w *bitWriter) encodeBlock(d *[64]float32, recip *[64]float32, prevDC int32, dc, ac *huffCodes) int32 {
	fdct(d)
	var zz [64]int32
	var mask uint64 // bit k set: zig-zag coefficient k is not zero
	for k := 1; k < 64; k++ {
		n := unzig[k] & 63
		// Round to nearest; quantized coefficients stay well inside ±16384.
		v := int32(d[n]*recip[n]+16384.5) - 16384
		zz[k] = v
		if v != 0 {
			mask |= 1 << k
		}
	}
	lastMask := mask
	// Blocks are loaded without the level shift of -128: for the DC
	// coefficient that is 64*128 after this DCT's scaling.
	q := int32((d[0]-8192)*recip[0]+16384.5) - 16384
	// The bit accumulator lives in locals here: this is the hot loop.
	acc, nb := w.acc, w.n
	v := q - prevDC
	a, b := v, v
	if v < 0 {
		a, b = -v, v-1
	}
	size := uint(bits.Len32(uint32(a)))
	c := dc[size&0xFF]
	acc = acc<<(uint(c>>16)+size) | uint64((c&0xFFFF)<<size|uint32(b)&(1<<size-1))
	nb += uint(c>>16) + size
	if nb >= 32 {
		nb -= 32
		w.emitWord(uint32(acc >> nb))
	}
	for k := 0; mask != 0; {
		next := bits.TrailingZeros64(mask)
		run := next - k - 1
		for run >= 16 {
			c := ac[0xF0]
			acc = acc<<(c>>16) | uint64(c&0xFFFF)
			nb += uint(c >> 16)
			if nb >= 32 {
				nb -= 32
				w.emitWord(uint32(acc >> nb))
			}
			run -= 16
		}
		v := zz[next&63]
		a, b := v, v
		if v < 0 {
			a, b = -v, v-1
		}
		size := uint(bits.Len32(uint32(a)))
		c := ac[uint8(run<<4)|uint8(size)]
		acc = acc<<(uint(c>>16)+size) | uint64((c&0xFFFF)<<size|uint32(b)&(1<<size-1))
		nb += uint(c>>16) + size
		if nb >= 32 {
			nb -= 32
			w.emitWord(uint32(acc >> nb))
		}
		k = next
		mask &= mask - 1
	}
	if k := 63 - bits.LeadingZeros64(lastMask); lastMask == 0 || k != 63 {
		c := ac[0x00] // end of block
		acc = acc<<(c>>16) | uint64(c&0xFFFF)
		nb += uint(c >> 16)
		if nb >= 32 {
			nb -= 32
			w.emitWord(uint32(acc >> nb))
		}
	}
	w.acc, w.n = acc, nb
	return q
}

// loadBlock copies an 8x8 block at (x, y) of a plane (not level-shifted:
// encodeBlock does that on the DC coefficient), repeating the last row and column past the plane's edges.
func loadBlock(d *[64]float32, p []byte, stride, w, h, x, y int) {
	if x+8 <= w && y+8 <= h {
		for r := 0; r < 8; r++ {
			row := p[(y+r)*stride+x : (y+r)*stride+x+8 : (y+r)*stride+x+8]
			o := d[r*8 : r*8+8 : r*8+8]
			for c := range 8 {
				o[c] = float32(row[c])
			}
		}
		return
	}
	for r := 0; r < 8; r++ {
		yy := min(y+r, h-1)
		for c := 0; c < 8; c++ {
			d[r*8+c] = float32(p[yy*stride+min(x+c, w-1)])
		}
	}
}

// appendJPEG appends the baseline JPEG of a 4:2:0 image to dst.
func appendJPEG(dst []byte, m *imageYCbCr420, qt *quantTables) []byte {
	w, h := m.w, m.h
	dst = append(dst, 0xFF, 0xD8)
	dst = append(dst, qt.dqt...)
	dst = append(dst, 0xFF, 0xC0, 0, 17, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	dst = append(dst, headerDHT...)
	dst = append(dst, 0xFF, 0xDA, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	bw := bitWriter{buf: dst}
	var blk [64]float32
	var dcY, dcCb, dcCr int32
	cw, ch := (w+1)/2, (h+1)/2
	for my := 0; my < h; my += 16 {
		for mx := 0; mx < w; mx += 16 {
			for i := 0; i < 4; i++ {
				loadBlock(&blk, m.y, m.yStride, w, h, mx+8*(i&1), my+8*(i>>1))
				dcY = bw.encodeBlock(&blk, &qt.recip[0], dcY, &codesDCLuma, &codesACLuma)
			}
			loadBlock(&blk, m.cb, m.cStride, cw, ch, mx/2, my/2)
			dcCb = bw.encodeBlock(&blk, &qt.recip[1], dcCb, &codesDCChroma, &codesACChroma)
			loadBlock(&blk, m.cr, m.cStride, cw, ch, mx/2, my/2)
			dcCr = bw.encodeBlock(&blk, &qt.recip[1], dcCr, &codesDCChroma, &codesACChroma)
		}
	}
	bw.flush()
	return append(bw.buf, 0xFF, 0xD9)
}

// imageYCbCr420 is the view of a 4:2:0 image the encoder reads.
type imageYCbCr420 struct {
	y, cb, cr        []byte
	yStride, cStride int
	w, h             int
}
