package h264

import "errors"

// errShort is returned when a NAL unit ends before a field it must hold.
var errShort = errors.New("h264: NAL unit too short")

// errRange is returned for an Exp-Golomb code longer than 32 bits.
var errRange = errors.New("h264: Exp-Golomb value out of range")

// bitReader reads the RBSP of a NAL unit bit by bit, dropping emulation
// prevention bytes (the 03 of 00 00 03) as it goes.
type bitReader struct {
	b     []byte // the NAL unit's bytes after its header
	i     int    // next byte of b
	zeros int    // zero bytes just read, for emulation prevention
	cur   byte
	n     int // bits left in cur
}

func (r *bitReader) bit() (uint32, error) {
	if r.n == 0 {
		if r.i >= len(r.b) {
			return 0, errShort
		}
		c := r.b[r.i]
		r.i++
		if r.zeros >= 2 && c == 3 {
			// An emulation prevention byte: skip it.
			r.zeros = 0
			if r.i >= len(r.b) {
				return 0, errShort
			}
			c = r.b[r.i]
			r.i++
		}
		if c == 0 {
			r.zeros++
		} else {
			r.zeros = 0
		}
		r.cur, r.n = c, 8
	}
	r.n--
	return uint32(r.cur>>r.n) & 1, nil
}

// u reads an n-bit unsigned integer, n ≤ 32.
func (r *bitReader) u(n int) (uint32, error) {
	var v uint32
	for range n {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		v = v<<1 | b
	}
	return v, nil
}

// flag reads one bit as a bool.
func (r *bitReader) flag() (bool, error) {
	b, err := r.bit()
	return b == 1, err
}

// ue reads an unsigned Exp-Golomb code (ue(v) in the standard).
func (r *bitReader) ue() (uint32, error) {
	zeros := 0
	for {
		b, err := r.bit()
		if err != nil {
			return 0, err
		}
		if b == 1 {
			break
		}
		if zeros++; zeros > 31 {
			return 0, errRange
		}
	}
	v, err := r.u(zeros)
	if err != nil {
		return 0, err
	}
	return (1<<zeros - 1) + v, nil
}

// se reads a signed Exp-Golomb code (se(v)).
func (r *bitReader) se() (int32, error) {
	v, err := r.ue()
	if err != nil {
		return 0, err
	}
	if v&1 == 1 {
		return int32(v/2 + 1), nil
	}
	return -int32(v / 2), nil
}

// firstMBInSlice reads first_mb_in_slice, the first field of a slice
// header, from a slice NAL unit (header byte included).
func firstMBInSlice(nal []byte) (uint32, error) {
	if len(nal) < 2 {
		return 0, errShort
	}
	r := bitReader{b: nal[1:]}
	return r.ue()
}
