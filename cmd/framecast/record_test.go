package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/record"
)

// A camera with record continuous keeps a picture every -timelapse in
// FOLDER/NAME, runs with no viewer, and says so in status and metrics;
// framecast timelapse makes a video of them.
func TestRecordTimelapse(t *testing.T) {
	folder := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-size", "64x48", "-name", "desk",
			"-record", "continuous", "-record-folder", folder, "-timelapse", "1s", "-record-min-free", "0"}, io.Discard, &errb, ready)
	}()
	addr := <-ready
	dir := filepath.Join(folder, "desk")
	type status struct {
		Cameras []struct {
			Viewers int            `json:"viewers"`
			Record  *record.Status `json:"record"`
		} `json:"cameras"`
	}
	var st status
	// Polled until status counts three pictures kept.
	fake.WaitFor(t, "three pictures", func() bool {
		resp, err := http.Get("http://" + addr + "/api/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		st = status{}
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st.Cameras[0].Record != nil && st.Cameras[0].Record.Files >= 3
	})
	if files, err := record.List(dir); err != nil || len(files) < 3 {
		t.Errorf("%d files in %s: %v", len(files), dir, err)
	}
	if c := st.Cameras[0]; c.Record == nil || c.Record.Kind != "timelapse" || !c.Record.Recording || c.Record.Files < 3 || c.Record.Oldest == nil || c.Record.FreeBytes <= 0 || c.Viewers != 1 {
		t.Errorf("status %+v %+v", c, c.Record)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`framecast_record_files{camera="desk"} `, `framecast_record_paused{camera="desk"} 0`, `framecast_record_bytes_written_total{camera="desk"} `} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}

	fake.Tool(t, "ffmpeg")
	probe := fake.Tool(t, "ffprobe")
	out := filepath.Join(t.TempDir(), "out.mp4")
	var so, se bytes.Buffer
	a := &app{stdout: &so, stderr: &se}
	if code := a.run(context.Background(), []string{"timelapse", dir, "-o", out}, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	got, err := exec.Command(probe, "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", out).CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "h264,64,48" {
		t.Errorf("ffprobe: %v: %s", err, got)
	}
}

func TestTimelapseWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var so, se bytes.Buffer
	a := &app{stdout: &so, stderr: &se}
	if code := a.run(context.Background(), []string{"timelapse", t.TempDir(), "-o", "x.mp4"}, nil); code != 1 || !strings.Contains(se.String(), "ffmpeg is not installed") {
		t.Errorf("exit %d: %s", code, se.String())
	}
}

func TestRecordFolderUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	var errb bytes.Buffer
	code := run(t.Context(), []string{"-listen", "127.0.0.1:0", "-record", "continuous", "-record-folder", file}, io.Discard, &errb, nil)
	if code != 2 || !strings.Contains(errb.String(), "-record-folder:") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}
