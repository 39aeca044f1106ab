package execsrc_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/pkg/h264"
)

// h264Hub runs src as an H.264 camera.
func h264Hub(t *testing.T, src *execsrc.Source) *hub.Hub {
	t.Helper()
	log, _ := testLogger()
	h := hub.New(hub.Config{Name: "cam1", Source: src, Codec: hub.H264, IdleTimeout: time.Minute, Logger: log})
	t.Cleanup(h.Close)
	return h
}

// TestFFmpegH264 runs ffmpeg writing libx264 (two slices a picture) to
// stdout: a consumer starts at an IDR picture of the right size and then
// gets every picture in order.
func TestFFmpegH264(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	cmd, err := config.Split(ff + ` -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=320x240:rate=30 -c:v libx264 -preset ultrafast -tune zerolatency -threads 1 -x264-params slices=2 -g 15 -f h264 -`)
	if err != nil {
		t.Fatal(err)
	}
	src := &execsrc.Source{Args: cmd}
	h := h264Hub(t, src)
	v := h.Join("test")
	defer v.Leave()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	f, err := h.NextAU(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Key || f.Width != 320 || f.Height != 240 {
		t.Fatalf("first access unit: key %v, %dx%d", f.Key, f.Width, f.Height)
	}
	keys := 0
	for range 40 {
		n, err := h.NextAU(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if n.Seq != f.Seq+1 {
			t.Fatalf("picture %d after %d", n.Seq, f.Seq)
		}
		slices := 0
		for _, nal := range h264.NALUnits(n.Data) {
			if t := h264.NALType(nal); t == h264.NALSlice || t == h264.NALSliceIDR {
				slices++
			}
		}
		if slices != 2 {
			t.Fatalf("picture %d holds %d slices, want 2", n.Seq, slices)
		}
		if n.Key {
			keys++
		}
		f = n
	}
	if keys < 2 {
		t.Errorf("%d IDR pictures in 40, want one every 15", keys)
	}
	if st := h.Status(); st.Codec != hub.H264 || st.Width != 320 || st.FramesDropped != 0 {
		t.Errorf("status: codec %q, width %d, %d dropped", st.Codec, st.Width, st.FramesDropped)
	}
}

// TestH264Garbage: garbage before the stream and a broken picture inside
// it are skipped and counted; the pictures around them come through.
func TestH264Garbage(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	file := filepath.Join(t.TempDir(), "in.h264")
	if out, err := exec.Command(ff, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-frames:v", "30",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-f", "h264", file).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sp := h264.NewSplitter(bytes.NewReader(b), 0)
	var aus [][]byte
	for {
		au, err := sp.Next()
		if err != nil {
			break
		}
		aus = append(aus, au.Data)
	}
	// Picture 3 gets a NAL unit with forbidden_zero_bit set: 3 to 9 are
	// lost, 10 (an IDR picture) goes on.
	aus[3] = append(aus[3], 0, 0, 1, 0x81, 0x23)
	stream := []byte("\xff\xd8 some garbage \x00\x00")
	for _, au := range aus {
		stream = append(stream, au...)
	}
	if err := os.WriteFile(file, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	h := h264Hub(t, &execsrc.Source{Args: []string{"sh", "-c", `cat "$0"; exec sleep 600`, file}})
	v := h.Join("test")
	defer v.Leave()
	// The last picture waits for the start of the next, which never comes.
	fake.WaitFor(t, "22 pictures", func() bool { return h.Status().FramesCaptured == 30-7-1 })
	if st := h.Status(); st.FramesDropped != 7 {
		t.Errorf("%d pictures dropped, want 7", st.FramesDropped)
	}
}
