package h264_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/framecast/framecast/pkg/h264"
)

// TestSplitterFFmpeg cuts real libx264 streams, with one or several slices
// a picture, with and without access unit delimiters, read whole and in
// small pieces: there is one access unit per frame ffprobe counts, the
// keyframes are where the GOP says, and no byte is lost.
func TestSplitterFFmpeg(t *testing.T) {
	cases := []struct {
		name  string
		extra []string
	}{
		{"one slice", []string{"-g", "10"}},
		{"zerolatency two slices", []string{"-tune", "zerolatency", "-g", "10", "-x264-params", "slices=2"}},
		{"four slices", []string{"-tune", "zerolatency", "-g", "10", "-x264-params", "slices=4"}},
		{"aud", []string{"-g", "10", "-x264-params", "aud=1"}},
		{"b-frames", []string{"-preset", "medium", "-g", "10", "-bf", "2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := encode(t, "320x240", 30, c.extra...)
			frames, _, _ := probe(t, stream)
			if frames != 30 {
				t.Fatalf("ffprobe counts %d frames, want 30", frames)
			}
			got := map[string][]h264.AccessUnit{}
			aus, s := split(t, bytes.NewReader(stream), 0)
			got["whole"] = aus
			if s.Skipped() != 0 || s.Dropped() != 0 {
				t.Errorf("skipped %d bytes, dropped %d", s.Skipped(), s.Dropped())
			}
			got["one byte"], _ = split(t, iotest.OneByteReader(bytes.NewReader(stream)), 0)
			got["odd chunks"], _ = split(t, &chunkReader{b: stream, sizes: []int{7, 1, 3000, 2, 13, 65536}}, 0)
			for name, aus := range got {
				if len(aus) != frames {
					t.Errorf("%s: %d access units, ffprobe counts %d frames", name, len(aus), frames)
				}
				var joined []byte
				var keys []int
				for i, au := range aus {
					joined = append(joined, au.Data...)
					if au.Key {
						keys = append(keys, i)
					}
					if ts := nalTypes(au); !slices.Contains(ts, h264.NALSlice) && !slices.Contains(ts, h264.NALSliceIDR) {
						t.Errorf("%s: access unit %d holds NAL units %v, no slice", name, i, ts)
					}
				}
				if !bytes.Equal(joined, stream) {
					t.Errorf("%s: the access units joined (%d bytes) differ from the stream (%d bytes)", name, len(joined), len(stream))
				}
				if !slices.Equal(keys, []int{0, 10, 20}) {
					t.Errorf("%s: keyframes at %v, want [0 10 20]", name, keys)
				}
			}
			// Each access unit alone, after the first one's parameter
			// sets, is one frame to ffprobe.
			if frames, _, _ := probe(t, slices.Concat(got["whole"][0].Data, got["whole"][1].Data)); frames != 2 {
				t.Errorf("the first two access units decode to %d frames, want 2", frames)
			}
		})
	}
}

// TestSplitterFlush: an access unit is returned once the first NAL unit
// header of the next one has been read, without reading further, so a
// source that flushes every picture is not held up by a whole picture.
func TestSplitterFlush(t *testing.T) {
	stream := encode(t, "320x240", 3, "-tune", "zerolatency", "-x264-params", "slices=2")
	whole, _ := split(t, bytes.NewReader(stream), 0)
	if len(whole) != 3 {
		t.Fatalf("%d access units, want 3", len(whole))
	}
	for i := range 2 {
		// The pipe holds the pictures up to i and the first 12 bytes of
		// the next (its start code, header and a few more).
		n := 0
		for _, au := range whole[:i+1] {
			n += len(au.Data)
		}
		s := h264.NewSplitter(stopReader{bytes.NewReader(stream[:n+12])}, 0)
		for j := range i + 1 {
			au, err := s.Next()
			if err != nil {
				t.Fatalf("picture %d of %d: %v", j, i+1, err)
			}
			if !bytes.Equal(au.Data, whole[j].Data) {
				t.Fatalf("picture %d differs", j)
			}
		}
		if _, err := s.Next(); !errors.Is(err, errOverread) {
			t.Fatalf("after the whole pictures: %v, want the reader's error", err)
		}
	}
}

// TestSplitterBadInput: garbage before the stream is skipped and counted; an
// access unit with an invalid NAL unit, or one too large, is dropped with
// the pictures after it up to the next IDR, and the stream goes on.
func TestSplitterBadInput(t *testing.T) {
	stream := encode(t, "320x240", 20, "-g", "5")
	good, _ := split(t, bytes.NewReader(stream), 0)
	if len(good) != 20 {
		t.Fatalf("%d access units, want 20", len(good))
	}
	join := func(aus []h264.AccessUnit) []byte {
		var b []byte
		for _, au := range aus {
			b = append(b, au.Data...)
		}
		return b
	}
	t.Run("garbage first", func(t *testing.T) {
		garbage := []byte("not a video \xff\x00\x00\x02")
		aus, s := split(t, bytes.NewReader(slices.Concat(garbage, stream)), 0)
		if len(aus) != 20 || s.Skipped() != int64(len(garbage)) || s.Dropped() != 0 {
			t.Errorf("%d access units, %d bytes skipped, %d dropped; want 20, %d, 0", len(aus), s.Skipped(), s.Dropped(), len(garbage))
		}
	})
	t.Run("forbidden bit", func(t *testing.T) {
		// Picture 7 gets a NAL unit with forbidden_zero_bit set: 7, 8 and
		// 9 are lost, the IDR picture 10 starts the stream again.
		broken := slices.Clone(good[7].Data)
		broken = append(broken, 0, 0, 1, 0x81, 0x23)
		in := join(slices.Concat(good[:7], []h264.AccessUnit{{Data: broken}}, good[8:]))
		aus, s := split(t, bytes.NewReader(in), 0)
		if len(aus) != 17 || s.Dropped() != 3 || !aus[7].Key || !bytes.Equal(aus[7].Data, good[10].Data) {
			t.Errorf("%d access units, %d dropped; want 17, 3 and picture 10 after picture 6", len(aus), s.Dropped())
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := 0
		for _, au := range good {
			if !au.Key {
				big = max(big, len(au.Data))
			}
		}
		// Every IDR picture is larger than any other here.
		aus, s := split(t, iotest.HalfReader(bytes.NewReader(stream)), big)
		if len(aus) != 0 || s.Dropped() != 20 {
			t.Errorf("limit %d: %d access units, %d dropped; want 0, 20", big, len(aus), s.Dropped())
		}
		// Only picture 12 is too large: 12 to 14 are lost.
		in := join(slices.Concat(good[:12], []h264.AccessUnit{{Data: slices.Concat(good[12].Data, bytes.Repeat([]byte{1}, 20000))}}, good[13:]))
		limit := 0
		for _, au := range good {
			limit = max(limit, len(au.Data))
		}
		aus, s = split(t, bytes.NewReader(in), limit)
		if len(aus) != 17 || s.Dropped() != 3 || !bytes.Equal(aus[12].Data, good[15].Data) {
			t.Errorf("%d access units, %d dropped; want 17, 3 and picture 15 after picture 11", len(aus), s.Dropped())
		}
	})
	t.Run("cut short", func(t *testing.T) {
		// A stream that ends inside a picture's slice returns what came.
		aus, _ := split(t, bytes.NewReader(stream[:len(stream)-len(good[19].Data)/2]), 0)
		if len(aus) != 20 {
			t.Errorf("%d access units, want 20", len(aus))
		}
	})
	t.Run("no picture", func(t *testing.T) {
		// Parameter sets without any slice are skipped at the end.
		sps := good[0].Data[:bytes.Index(good[0].Data[4:], []byte{0, 0, 1})+4]
		aus, s := split(t, bytes.NewReader(sps), 0)
		if len(aus) != 0 || s.Skipped() != int64(len(sps)) {
			t.Errorf("%d access units, %d bytes skipped; want 0, %d", len(aus), s.Skipped(), len(sps))
		}
	})
}

// TestSplitterPadding: zero bytes after a picture (a V4L2 driver's buffer
// reported at full size, or trailing_zero_8bits) belong to no access unit:
// they are skipped and counted, each access unit still starts at its start
// code, and End tells where in the stream each one ended.
func TestSplitterPadding(t *testing.T) {
	stream := encode(t, "320x240", 6, "-g", "3")
	good, _ := split(t, bytes.NewReader(stream), 0)
	if len(good) != 6 {
		t.Fatalf("%d access units, want 6", len(good))
	}
	pad := []int{100000, 0, 1, 7, 5000, 3}
	var in []byte
	var ends []int64
	for i, au := range good {
		in = append(in, au.Data...)
		ends = append(ends, int64(len(in)))
		in = append(in, make([]byte, pad[i])...)
	}
	for name, r := range map[string]io.Reader{
		"whole":      bytes.NewReader(in),
		"one byte":   iotest.OneByteReader(bytes.NewReader(in)),
		"odd chunks": &chunkReader{b: in, sizes: []int{7, 1, 3000, 2, 13, 65536}},
	} {
		s := h264.NewSplitter(r, 0)
		for i := range good {
			au, err := s.Next()
			if err != nil {
				t.Fatalf("%s: access unit %d: %v", name, i, err)
			}
			if !bytes.Equal(au.Data, good[i].Data) || au.Key != good[i].Key {
				t.Fatalf("%s: access unit %d (%d bytes, starting % x) differs from the one written (%d bytes)",
					name, i, len(au.Data), au.Data[:min(8, len(au.Data))], len(good[i].Data))
			}
			if s.End() != ends[i] {
				t.Fatalf("%s: access unit %d ends at %d, want %d", name, i, s.End(), ends[i])
			}
		}
		if _, err := s.Next(); err != io.EOF {
			t.Fatalf("%s: after the last access unit: %v", name, err)
		}
		var padded int64
		for _, p := range pad {
			padded += int64(p)
		}
		// A 4-byte start code's first zero is part of the access unit.
		if s.Skipped() != padded || s.Dropped() != 0 {
			t.Errorf("%s: %d bytes skipped, %d dropped; want %d, 0", name, s.Skipped(), s.Dropped(), padded)
		}
	}
}
