package h264

import (
	"errors"
	"fmt"
)

// SPS is what framecast needs of a sequence parameter set.
type SPS struct {
	// Profile, Constraints and Level are profile_idc, the constraint flags
	// byte and level_idc: together the "profile-level-id" of RFC 6184.
	Profile, Constraints, Level byte
	// Width and Height are the displayed picture size: the coded size less
	// the frame cropping.
	Width, Height int
}

// ProfileLevelID returns the SPS's profile-level-id as RFC 6184 writes it in
// SDP: six hex digits, such as "42e01f".
func (s SPS) ProfileLevelID() string {
	return fmt.Sprintf("%02x%02x%02x", s.Profile, s.Constraints, s.Level)
}

// errNotSPS is returned by ParseSPS for a NAL unit of another type.
var errNotSPS = errors.New("h264: not an SPS NAL unit")

// maxMBs bounds the picture size in macroblocks per side (16 pixels each),
// far above any level's limit, so arithmetic on sizes never overflows.
const maxMBs = 1 << 12

// ParseSPS parses an SPS NAL unit (its header byte first, no start code).
func ParseSPS(nal []byte) (SPS, error) {
	if NALType(nal) != NALSPS {
		return SPS{}, errNotSPS
	}
	if len(nal) < 4 {
		return SPS{}, errShort
	}
	s := SPS{Profile: nal[1], Constraints: nal[2], Level: nal[3]}
	r := bitReader{b: nal[4:]}
	var err error
	// ue and flag keep the first error, so the parse below reads as the standard's
	// syntax table (7.3.2.1.1) without a check after every field.
	ue := func() uint32 {
		v, e := r.ue()
		if err == nil {
			err = e
		}
		return v
	}
	flag := func() bool {
		v, e := r.flag()
		if err == nil {
			err = e
		}
		return v
	}
	ue() // seq_parameter_set_id
	chroma := uint32(1)
	separate := false
	switch s.Profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma = ue()
		if chroma > 3 {
			return SPS{}, fmt.Errorf("h264: SPS chroma_format_idc %d", chroma)
		}
		if chroma == 3 {
			separate = flag()
		}
		ue()        // bit_depth_luma_minus8
		ue()        // bit_depth_chroma_minus8
		flag()      // qpprime_y_zero_transform_bypass_flag
		if flag() { // seq_scaling_matrix_present_flag
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := range lists {
				if flag() {
					size := 16
					if i >= 6 {
						size = 64
					}
					last, next := int32(8), int32(8)
					for range size {
						if next != 0 {
							d, e := r.se()
							if e != nil {
								return SPS{}, e
							}
							next = (last + d + 256) % 256
						}
						if next != 0 {
							last = next
						}
					}
				}
			}
		}
	}
	ue()          // log2_max_frame_num_minus4
	switch ue() { // pic_order_cnt_type
	case 0:
		ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		flag() // delta_pic_order_always_zero_flag
		if _, e := r.se(); e != nil {
			return SPS{}, e
		}
		if _, e := r.se(); e != nil {
			return SPS{}, e
		}
		n := ue()
		if n > 255 {
			return SPS{}, fmt.Errorf("h264: SPS num_ref_frames_in_pic_order_cnt_cycle %d", n)
		}
		for range n {
			if _, e := r.se(); e != nil {
				return SPS{}, e
			}
		}
	}
	ue()   // max_num_ref_frames
	flag() // gaps_in_frame_num_value_allowed_flag
	wMBs := ue() + 1
	hMapUnits := ue() + 1
	frameMBsOnly := flag()
	if !frameMBsOnly {
		flag() // mb_adaptive_frame_field_flag
	}
	flag() // direct_8x8_inference_flag
	var cl, cr, ct, cb uint32
	if flag() { // frame_cropping_flag
		cl, cr, ct, cb = ue(), ue(), ue(), ue()
	}
	if err != nil {
		return SPS{}, err
	}
	if wMBs > maxMBs || hMapUnits > maxMBs {
		return SPS{}, fmt.Errorf("h264: SPS picture of %dx%d macroblocks", wMBs, hMapUnits)
	}
	fields := 1
	if !frameMBsOnly {
		fields = 2
	}
	w, h := int(wMBs)*16, fields*int(hMapUnits)*16
	// Crop units (7-19 to 7-22): in chroma samples, or luma ones for
	// monochrome and separately coded colour planes.
	cx, cy := 1, fields
	if chroma != 0 && !separate {
		if chroma != 3 {
			cx = 2
		}
		if chroma == 1 {
			cy *= 2
		}
	}
	if cl > maxMBs*16 || cr > maxMBs*16 || ct > maxMBs*16 || cb > maxMBs*16 {
		return SPS{}, fmt.Errorf("h264: SPS cropping %d,%d,%d,%d", cl, cr, ct, cb)
	}
	w -= int(cl+cr) * cx
	h -= int(ct+cb) * cy
	if w <= 0 || h <= 0 {
		return SPS{}, fmt.Errorf("h264: SPS cropping leaves a %dx%d picture", w, h)
	}
	s.Width, s.Height = w, h
	return s, nil
}
