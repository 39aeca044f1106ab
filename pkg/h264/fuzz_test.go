package h264_test

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/framecast/framecast/pkg/h264"
)

// FuzzSplitter checks, for any input, that every access unit is whole
// (a start code first, a slice inside, within the size limit, Key exactly
// when it holds an IDR slice), that reading in one-byte pieces gives the
// same access units as reading at once, and that every byte is either in an
// access unit or counted as skipped.
//
// The seeds are a real libx264 stream (testdata/testsrc2-2slices.h264: 12
// frames of testsrc2 at 320x240, two slices a frame, a keyframe every 6),
// pieces of it, and the same with bytes flipped.
func FuzzSplitter(f *testing.F) {
	stream, err := os.ReadFile("testdata/testsrc2-2slices.h264")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(stream, 0)
	f.Add(stream[:len(stream)/3], 3000)
	f.Add(stream[1000:5000], 0)
	flipped := slices.Clone(stream)
	for i := 100; i < len(flipped); i += 997 {
		flipped[i] ^= 0x80
	}
	f.Add(flipped, 2000)
	f.Add([]byte{0, 0, 1, 0x65, 0x88, 0, 0, 0, 1, 0x41, 0x9a}, 0)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		limit = limit&0xFFFF + 16
		whole, s := split(t, bytes.NewReader(in), limit)
		var n int
		for i, au := range whole {
			n += len(au.Data)
			if len(au.Data) > limit {
				t.Fatalf("access unit %d has %d bytes, the limit is %d", i, len(au.Data), limit)
			}
			if !bytes.HasPrefix(au.Data, []byte{0, 0, 1}) && !bytes.HasPrefix(au.Data, []byte{0, 0, 0, 1}) {
				t.Fatalf("access unit %d starts with % x", i, au.Data[:min(4, len(au.Data))])
			}
			ts := nalTypes(au)
			if !slices.ContainsFunc(ts, func(t int) bool { return t >= h264.NALSlice && t <= h264.NALSliceIDR }) {
				t.Fatalf("access unit %d holds NAL units %v, no slice", i, ts)
			}
			if au.Key != slices.Contains(ts, h264.NALSliceIDR) {
				t.Fatalf("access unit %d: Key %v with NAL units %v", i, au.Key, ts)
			}
		}
		if int64(n)+s.Skipped() != int64(len(in)) {
			t.Fatalf("%d bytes in access units and %d skipped, of %d", n, s.Skipped(), len(in))
		}
		if bytes.Contains(in, make([]byte, 64<<10)) {
			return // a zero run that long is cut where the reads fall
		}
		pieces, _ := split(t, iotest.OneByteReader(bytes.NewReader(in)), limit)
		if len(pieces) != len(whole) {
			t.Fatalf("%d access units read byte by byte, %d at once", len(pieces), len(whole))
		}
		for i := range whole {
			if !bytes.Equal(pieces[i].Data, whole[i].Data) || pieces[i].Key != whole[i].Key {
				t.Fatalf("access unit %d differs read byte by byte", i)
			}
		}
	})
}

// FuzzParseSPS checks that ParseSPS never panics and gives a sane size
// whenever it gives no error; the seeds are the SPSs of real streams.
func FuzzParseSPS(f *testing.F) {
	stream, err := os.ReadFile("testdata/testsrc2-2slices.h264")
	if err != nil {
		f.Fatal(err)
	}
	for _, nal := range h264.NALUnits(stream) {
		if h264.NALType(nal) == h264.NALSPS {
			f.Add(nal)
		}
	}
	f.Add([]byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60})
	f.Fuzz(func(t *testing.T, nal []byte) {
		s, err := h264.ParseSPS(nal)
		if err == nil && (s.Width <= 0 || s.Height <= 0 || s.Width > 1<<16 || s.Height > 1<<17) {
			t.Fatalf("ParseSPS gave %dx%d", s.Width, s.Height)
		}
	})
}
