package h264_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/framecast/framecast/pkg/h264"
)

// tool returns the path of an external program. Outside CI a missing tool
// skips the test; in CI (CI=true) it fails it.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", name, err)
	}
	t.Skipf("%s not installed: %v", name, err)
	return ""
}

// encode makes an Annex-B stream of ffmpeg's testsrc2 with libx264; extra
// goes before the output options.
func encode(t testing.TB, size string, frames int, extra ...string) []byte {
	t.Helper()
	ff := tool(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), "out.h264")
	args := []string{"-v", "error", "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30",
		"-frames:v", strconv.Itoa(frames), "-c:v", "libx264", "-preset", "ultrafast"}
	args = append(args, extra...)
	args = append(args, "-f", "h264", out)
	if b, err := exec.Command(ff, args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// probe returns what ffprobe counts and sees in an Annex-B stream: the
// frames decoded, and the picture size.
func probe(t testing.TB, stream []byte) (frames, width, height int) {
	t.Helper()
	fp := tool(t, "ffprobe")
	in := filepath.Join(t.TempDir(), "in.h264")
	if err := os.WriteFile(in, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(fp, "-v", "error", "-f", "h264", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0", in).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	f := strings.Split(strings.TrimSpace(string(b)), ",")
	if len(f) != 3 {
		t.Fatalf("ffprobe said %q", b)
	}
	width, _ = strconv.Atoi(f[0])
	height, _ = strconv.Atoi(f[1])
	frames, _ = strconv.Atoi(f[2])
	return frames, width, height
}

// split runs a Splitter over r to the end.
func split(t testing.TB, r io.Reader, max int) ([]h264.AccessUnit, *h264.Splitter) {
	t.Helper()
	s := h264.NewSplitter(r, max)
	var aus []h264.AccessUnit
	for {
		au, err := s.Next()
		if err == io.EOF {
			return aus, s
		}
		if err != nil {
			t.Fatalf("Next after %d access units: %v", len(aus), err)
		}
		aus = append(aus, au)
	}
}

// chunkReader returns its data in reads of the given sizes, in turn.
type chunkReader struct {
	b     []byte
	sizes []int
	i     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), r.sizes[r.i%len(r.sizes)])
	r.i++
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// errOverread is what stopReader returns when read past its data.
var errOverread = errors.New("read past the data given")

// stopReader returns its data, then errOverread: a pipe whose writer has
// nothing more to say yet.
type stopReader struct{ r *bytes.Reader }

func (r stopReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF {
		return n, errOverread
	}
	return n, err
}

// nalTypes lists the NAL unit types of an access unit.
func nalTypes(au h264.AccessUnit) []int {
	var ts []int
	for _, n := range h264.NALUnits(au.Data) {
		ts = append(ts, h264.NALType(n))
	}
	return ts
}
