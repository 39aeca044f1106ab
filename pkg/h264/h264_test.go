package h264

import (
	"bytes"
	"testing"
)

func TestParameterSets(t *testing.T) {
	sps := []byte{0x67, 0x42, 0xc0, 0x1e}
	pps := []byte{0x68, 0xce, 0x3c, 0x80}
	idr := []byte{0x65, 0x88, 0x84}
	join := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	gotSPS, gotPPS := ParameterSets(join(sps, pps, idr))
	if !bytes.Equal(gotSPS, sps) || !bytes.Equal(gotPPS, pps) {
		t.Errorf("SPS %x PPS %x, want %x %x", gotSPS, gotPPS, sps, pps)
	}
	if s, p := ParameterSets(join(idr)); s != nil || p != nil {
		t.Errorf("a picture alone: SPS %x PPS %x, want none", s, p)
	}
}
