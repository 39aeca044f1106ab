package h264_test

import (
	"testing"

	"github.com/framecast/framecast/pkg/h264"
)

// TestParseSPS reads the size of real libx264 streams as ffprobe sees it,
// with cropping (1080 is not a multiple of 16), 4:4:4 and 4:2:2 chroma,
// interlacing and the High profile's scaling matrices.
func TestParseSPS(t *testing.T) {
	cases := []struct {
		size  string
		extra []string
	}{
		{"320x240", nil},
		{"1920x1080", nil},
		{"642x362", []string{"-profile:v", "baseline"}},
		{"642x362", []string{"-pix_fmt", "yuv444p"}},
		{"642x362", []string{"-pix_fmt", "yuv422p"}},
		{"640x360", []string{"-flags", "+ildct", "-x264-params", "interlaced=1"}},
		{"320x240", []string{"-preset", "medium", "-x264-params", "cqm=jvt"}},
		{"160x120", []string{"-pix_fmt", "gray"}},
	}
	for _, c := range cases {
		t.Run(c.size+" "+fmtArgs(c.extra), func(t *testing.T) {
			stream := encode(t, c.size, 1, c.extra...)
			_, w, h := probe(t, stream)
			var sps *h264.SPS
			for _, nal := range h264.NALUnits(stream) {
				if h264.NALType(nal) == h264.NALSPS {
					s, err := h264.ParseSPS(nal)
					if err != nil {
						t.Fatalf("ParseSPS: %v", err)
					}
					sps = &s
				}
			}
			if sps == nil {
				t.Fatal("no SPS in the stream")
			}
			if sps.Width != w || sps.Height != h {
				t.Errorf("SPS says %dx%d, ffprobe %dx%d", sps.Width, sps.Height, w, h)
			}
			if sps.ProfileLevelID() != "" && len(sps.ProfileLevelID()) != 6 {
				t.Errorf("profile-level-id %q", sps.ProfileLevelID())
			}
		})
	}
	if _, err := h264.ParseSPS([]byte{0x68, 0xce, 0x3c, 0x80}); err == nil {
		t.Error("a PPS parsed as an SPS")
	}
	if _, err := h264.ParseSPS([]byte{0x67, 0x42, 0xc0}); err == nil {
		t.Error("a truncated SPS parsed")
	}
}

func fmtArgs(a []string) string {
	s := ""
	for _, x := range a {
		s += x
	}
	return s
}
