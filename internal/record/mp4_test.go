package record_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// encode returns frames pictures of ffmpeg's test pattern as H.264 access
// units, a keyframe every gop pictures.
func encode(t *testing.T, frames, gop int) []h264.AccessUnit {
	ff := fake.Tool(t, "ffmpeg")
	out, err := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
		"-frames:v", strconv.Itoa(frames), "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
		"-g", strconv.Itoa(gop), "-f", "h264", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	sp := h264.NewSplitter(bytes.NewReader(out), 1<<20)
	var aus []h264.AccessUnit
	for {
		au, err := sp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		aus = append(aus, au)
	}
	if len(aus) != frames {
		t.Fatalf("%d access units, want %d", len(aus), frames)
	}
	return aus
}

// replay is an H.264 camera sending aus at 30 a second, then nothing.
type replay []h264.AccessUnit

func (replay) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	return errors.New("an H.264 camera")
}

func (r replay) RunH264(ctx context.Context, emit func(h264.AccessUnit)) error {
	start := time.Now()
	for i, au := range r {
		at := start.Add(time.Duration(i) * time.Second / 30)
		time.Sleep(time.Until(at))
		au.Time = at
		emit(au)
	}
	<-ctx.Done()
	return nil
}

// probe is what ffprobe says of one recorded file.
type probe struct {
	codec    string
	frames   int
	duration string
	keys     []string // the times of its keyframes
}

func ffprobe(t *testing.T, name string) probe {
	t.Helper()
	out, err := exec.Command(fake.Tool(t, "ffprobe"), "-v", "error", "-count_frames", "-show_entries",
		"stream=codec_name,nb_read_frames:format=duration:frame=key_frame,pts_time", "-of", "default=nw=1", name).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v: %s", name, err, out)
	}
	var p probe
	key := false
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "codec_name":
			p.codec = v
		case "nb_read_frames":
			p.frames, _ = strconv.Atoi(v)
		case "duration":
			p.duration = v
		case "key_frame": // before the frame's pts_time
			key = v == "1"
		case "pts_time":
			if key {
				p.keys = append(p.keys, v)
			}
		}
	}
	return p
}

// An H.264 camera is recorded as it is into files of one second that start
// on keyframes and hold every picture, as ffprobe reads them.
func TestRecordH264Segments(t *testing.T) {
	aus := encode(t, 90, 15)
	dir := t.TempDir()
	var st record.Status
	synctest.Test(t, func(t *testing.T) {
		h := hub.New(hub.Config{Name: "cam", Source: replay(aus), Codec: hub.H264, IdleTimeout: time.Second, StallTimeout: -1, Logger: quiet})
		defer h.Close()
		r := &record.Recorder{Hub: h, Dir: dir, Segment: time.Second, MinFree: -1}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		st = r.Status()
	})
	files, err := record.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind != "mp4" || st.Frames != 90 || st.Skipped != 0 || st.FilesWritten != 3 || st.Files != 3 {
		t.Errorf("status %+v", st)
	}
	// Pictures 0-29, 30-59 and 60-89: a file ends at the first keyframe a
	// second or more after its start.
	want := []string{"2000-01-01/00/00-00-00.mp4", "2000-01-01/00/00-00-01.mp4", "2000-01-01/00/00-00-02.mp4"}
	total := 0
	for i, f := range files {
		if i >= len(want) || f.Path != want[i] {
			t.Errorf("file %d is %s, want %v", i, f.Path, want)
			continue
		}
		p := ffprobe(t, filepath.Join(dir, f.Path))
		total += p.frames
		if d := length(t, filepath.Join(dir, f.Path)); d != time.Second {
			t.Errorf("%s: Length %v, want 1s", f.Path, d)
		}
		if p.codec != "h264" || p.frames != 30 || p.duration != "1.000000" || fmt.Sprint(p.keys) != "[0.000000 0.500000]" {
			t.Errorf("%s: %+v", f.Path, p)
		}
	}
	if total != len(aus) {
		t.Errorf("the files hold %d pictures; the camera sent %d", total, len(aus))
	}
}

// childDir, when set, makes the test binary a recorder of a live ffmpeg
// H.264 camera into it, until it is killed.
const childDir = "FRAMECAST_RECORD_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDir); dir != "" {
		ff, err := exec.LookPath("ffmpeg")
		if err != nil {
			panic(err)
		}
		src := &execsrc.Source{Args: []string{ff, "-hide_banner", "-loglevel", "error", "-re",
			"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-c:v", "libx264", "-preset", "ultrafast",
			"-tune", "zerolatency", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", "15", "-f", "h264", "-"}}
		h := hub.New(hub.Config{Name: "cam", Source: src, Codec: hub.H264, IdleTimeout: time.Second, Logger: quiet})
		r := &record.Recorder{Hub: h, Dir: dir, Segment: time.Hour, MinFree: -1}
		if err := r.Run(context.Background()); err != nil {
			panic(err)
		}
		return
	}
	os.Exit(m.Run())
}

// A recorder killed with SIGKILL leaves a file that plays up to its last
// fragment.
func TestKilledMidSegment(t *testing.T) {
	fake.Tool(t, "ffmpeg")
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDir+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Killed once the file holds three fragments: half a second each, at
	// one fragment per group of pictures.
	var name string
	fake.WaitFor(t, "three fragments", func() bool {
		files, _ := record.List(dir)
		if len(files) == 0 {
			return false
		}
		name = filepath.Join(dir, files[0].Path)
		data, _ := os.ReadFile(name)
		return bytes.Count(data, []byte("moof")) >= 3
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	fragments := bytes.Count(data, []byte("moof"))
	// Its length is read from its fragments.
	if d := length(t, name); d <= 0 {
		t.Errorf("%d fragments; Length %v", fragments, d)
	}
	p := ffprobe(t, name)
	// Every fragment is a group of 15 pictures.
	if p.codec != "h264" || p.frames != 15*fragments || len(p.keys) != fragments {
		t.Errorf("%d fragments; ffprobe: %+v", fragments, p)
	}
}

func length(t *testing.T, name string) time.Duration {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := record.Length(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A disk filling up mid-file ends the file where it is, whole, and pauses:
// the pictures that found no room are counted, none written by halves.
func TestRecordH264DiskFull(t *testing.T) {
	aus := encode(t, 90, 15)
	total := 0
	for _, au := range aus {
		total += len(au.Data)
	}
	disk := smallDisk(t)
	dir := filepath.Join(disk, "cam")
	const minFree = 512 << 10
	free, err := record.FreeSpace(disk)
	if err != nil {
		t.Fatal(err)
	}
	// Room for about half the pictures above the floor.
	if err := os.WriteFile(filepath.Join(disk, "filler"), make([]byte, free-minFree-int64(total/2)), 0o644); err != nil {
		t.Fatal(err)
	}
	var st record.Status
	synctest.Test(t, func(t *testing.T) {
		h := hub.New(hub.Config{Name: "cam", Source: replay(aus), Codec: hub.H264, IdleTimeout: time.Second, StallTimeout: -1, Logger: quiet})
		defer h.Close()
		r := &record.Recorder{Hub: h, Dir: dir, Segment: time.Hour, MinFree: minFree, Logger: quiet}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		st = r.Status()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	if !st.Paused || st.Skipped == 0 || st.Frames == 0 || st.Frames+st.Skipped != int64(len(aus)) || st.Files != 1 {
		t.Errorf("status %+v", st)
	}
	files, err := record.List(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v: %v", files, err)
	}
	if p := ffprobe(t, filepath.Join(dir, files[0].Path)); p.frames != int(st.Frames) || p.codec != "h264" {
		t.Errorf("ffprobe %+v; status %+v", p, st)
	}
}
