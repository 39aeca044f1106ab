package h264

import "encoding/binary"

// AVCC turns an Annex-B access unit into the length-prefixed NAL units of
// an MP4 sample (AVCC), leaving out access unit delimiters.
func AVCC(annexB []byte) []byte {
	nals := NALUnits(annexB)
	n := 0
	for _, nal := range nals {
		n += 4 + len(nal)
	}
	out := make([]byte, 0, n)
	for _, nal := range nals {
		if NALType(nal) == NALAUD {
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(nal)))
		out = append(out, nal...)
	}
	return out
}
