package record_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/record"
)

// A timelapse of 12 pictures at 6 a second is a 2-second H.264 video of 12
// frames, as ffprobe reads it.
func TestAssemble(t *testing.T) {
	fake.Tool(t, "ffmpeg")
	probe := fake.Tool(t, "ffprobe")
	dir := t.TempDir()
	start := time.Date(2026, 12, 2, 3, 59, 0, 0, time.UTC)
	for i := range 12 {
		// Across an hour: the order is the paths', not the names'.
		p := filepath.Join(dir, filepath.FromSlash(start.Add(time.Duration(i)*10*time.Second).Format("2006-01-02/15/15-04-05.jpg")))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, fake.JPEG(161, 120, i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out.mp4")
	if err := record.Assemble(context.Background(), dir, out, 6); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(probe, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "default=nw=1", out).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	for _, want := range []string{"codec_name=h264", "width=160", "height=120", "nb_read_frames=12", "duration=2.000000"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("ffprobe says\n%s\nwithout %s", got, want)
		}
	}
}

func TestAssembleNothing(t *testing.T) {
	fake.Tool(t, "ffmpeg")
	err := record.Assemble(context.Background(), t.TempDir(), filepath.Join(t.TempDir(), "out.mp4"), 25)
	if err == nil || !strings.Contains(err.Error(), "no .jpg pictures") {
		t.Fatalf("got %v", err)
	}
}

func TestAssembleWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := record.Assemble(context.Background(), t.TempDir(), "out.mp4", 25)
	if err != record.ErrNoFFmpeg || !strings.Contains(err.Error(), "ffmpeg is not installed") {
		t.Fatalf("got %v", err)
	}
}
