// Package h264 reads H.264 video in Annex-B form (the byte stream that
// rpicam-vid, ffmpeg -f h264 and RTSP cameras copied by ffmpeg write): it cuts
// the stream into access units (one picture each), tells which ones start a
// decodable sequence (IDR), and reads a picture's size from its SPS.
//
// It knows nothing of cameras, hubs or transports.
package h264

import (
	"bytes"
	"time"
)

// NAL unit types (ITU-T H.264 Table 7-1) that this package tells apart.
const (
	NALSlice    = 1 // coded slice of a non-IDR picture
	NALSliceIDR = 5 // coded slice of an IDR picture
	NALSEI      = 6 // supplemental enhancement information
	NALSPS      = 7 // sequence parameter set
	NALPPS      = 8 // picture parameter set
	NALAUD      = 9 // access unit delimiter
)

// AccessUnit is the NAL units of one picture, as Annex-B bytes: every NAL
// unit is preceded by a start code (00 00 01 or 00 00 00 01).
//
// An AccessUnit is immutable once it has been handed on: Data may be shared
// by every consumer and must never be written to again.
type AccessUnit struct {
	// Data holds the access unit's NAL units with their start codes.
	Data []byte
	// Key reports that the picture is an IDR picture: decoding can start
	// here (given the SPS and PPS, which encoders write just before it).
	Key bool
	// Time is when the picture was captured, or when its last byte arrived
	// if the source cannot tell; the Splitter leaves it zero.
	Time time.Time
}

// NALType returns the type of the NAL unit nal (its header is its first
// byte), or 0 for an empty one.
func NALType(nal []byte) int {
	if len(nal) == 0 {
		return 0
	}
	return int(nal[0] & 0x1F)
}

// NALUnits returns the NAL units of Annex-B data, without start codes and
// without trailing zero bytes. Bytes before the first start code are
// ignored. The returned slices share data's memory.
func NALUnits(data []byte) [][]byte {
	var nals [][]byte
	i := bytes.Index(data, startCode)
	for i >= 0 {
		data = data[i+3:]
		j := bytes.Index(data, startCode)
		nal := data
		if j >= 0 {
			nal = data[:j]
		}
		if nal = trimZeros(nal); len(nal) > 0 {
			nals = append(nals, nal)
		}
		i = j
	}
	return nals
}

// ParameterSets returns the last SPS and PPS NAL units of an Annex-B access
// unit, each nil where the access unit has none.
func ParameterSets(au []byte) (sps, pps []byte) {
	for _, nal := range NALUnits(au) {
		switch NALType(nal) {
		case NALSPS:
			sps = nal
		case NALPPS:
			pps = nal
		}
	}
	return sps, pps
}

// startCode is the 3-byte start code; a 4-byte one is a zero byte and this.
var startCode = []byte{0, 0, 1}

// trimZeros drops the trailing zero bytes of a NAL unit: the first byte of a
// 4-byte start code, or trailing_zero_8bits, belong to no NAL unit.
func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}
