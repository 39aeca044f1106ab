package record_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// ticking is a camera that sends a picture of size bytes every second, half
// a second off the whole seconds, so a picture kept at a whole second is
// named for the second before.
func ticking(size int) hub.Source {
	return hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return nil
		}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for i := 0; ; i++ {
			data := bytes.Repeat([]byte{byte(i)}, size)
			emit(mjpeg.Frame{Data: data})
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
}

// runFor runs r on a camera of src for d, in a synctest bubble's time, and
// returns when it has stopped and its camera is closed.
func runFor(t *testing.T, r *record.Recorder, src hub.Source, d time.Duration) {
	t.Helper()
	h := hub.New(hub.Config{Name: "cam", Source: src, IdleTimeout: time.Second, StallTimeout: -1, Logger: quiet})
	defer h.Close()
	r.Hub = h
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	time.Sleep(d)
	synctest.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// kept returns the names of the files in dir, oldest first, as seconds
// after the bubble's start (2000-01-01 00:00:00 UTC).
func kept(t *testing.T, dir string) []int {
	t.Helper()
	files, err := record.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var secs []int
	for _, f := range files {
		secs = append(secs, int(f.Time.Sub(start)/time.Second))
	}
	return secs
}

func TestRetentionByAge(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		r := &record.Recorder{Dir: dir, Timelapse: 10 * time.Second, MaxAge: time.Minute, MinFree: -1}
		runFor(t, r, ticking(1000), 5*time.Minute+5*time.Second)
		// At 300s, pictures older than a minute went: those taken at 239.5s
		// and before.
		if got, want := kept(t, dir), []int{249, 259, 269, 279, 289, 299}; !slices.Equal(got, want) {
			t.Errorf("kept %v, want %v", got, want)
		}
		st := r.Status()
		if st.Files != 6 || st.Bytes != 6000 || st.FilesWritten != 30 || st.BytesWritten != 30000 || st.Kind != "timelapse" {
			t.Errorf("status %+v", st)
		}
		if st.Oldest == nil || !st.Oldest.Equal(time.Date(2000, 1, 1, 0, 4, 9, 0, time.UTC)) {
			t.Errorf("oldest %v", st.Oldest)
		}
	})
	// Empty hour and day folders went with their last picture.
	if _, err := os.Stat(filepath.Join(dir, "2000-01-01", "00", "00-04-09.jpg")); err != nil {
		t.Error(err)
	}
}

func TestRetentionByBytes(t *testing.T) {
	dir := t.TempDir()
	// Kept across runs: what an earlier run left counts, and a file that is
	// not a recording is neither counted nor deleted.
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	crash := filepath.Join(dir, "1999-12-31", "23", "23-59-50.jpg.tmp")
	os.MkdirAll(filepath.Dir(crash), 0o755)
	if err := os.WriteFile(crash, []byte("half a pict"), 0o644); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		r := &record.Recorder{Dir: dir, Timelapse: 10 * time.Second, MaxBytes: 3500, MinFree: -1}
		runFor(t, r, ticking(1000), 65*time.Second)
		if got, want := kept(t, dir), []int{39, 49, 59}; !slices.Equal(got, want) {
			t.Errorf("kept %v, want %v", got, want)
		}
		// A second run goes on from what the first kept.
		r = &record.Recorder{Dir: dir, Timelapse: 10 * time.Second, MaxBytes: 3500, MinFree: -1}
		runFor(t, r, ticking(1000), 20*time.Second)
		if got, want := kept(t, dir), []int{59, 69, 79}; !slices.Equal(got, want) {
			t.Errorf("second run kept %v, want %v", got, want)
		}
	})
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not a recording: %v", err)
	}
	if _, err := os.Stat(crash); !os.IsNotExist(err) {
		t.Errorf("the half-written picture of a crash is still there: %v", err)
	}
}

// logBuffer collects log lines for a test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// smallDisk mounts a 2 MiB tmpfs for the test, or skips (fails in CI) when
// it cannot.
func smallDisk(t *testing.T) string {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mounting a tmpfs (CI runs as root): %v", err)
		}
		t.Skipf("cannot mount a small tmpfs (run as root): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

// A disk nearly full pauses recording, says so in status and the log, and
// deletes nothing; recording resumes once there is room.
func TestNearlyFullDisk(t *testing.T) {
	disk := smallDisk(t)
	dir := filepath.Join(disk, "cam")
	const size, minFree = 100 << 10, 512 << 10
	free, err := record.FreeSpace(disk)
	if err != nil {
		t.Fatal(err)
	}
	// Room for two pictures and a half above the floor.
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, free-minFree-size*5/2), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	synctest.Test(t, func(t *testing.T) {
		h := hub.New(hub.Config{Name: "cam", Source: ticking(size), IdleTimeout: time.Second, StallTimeout: -1, Logger: quiet})
		defer h.Close()
		r := &record.Recorder{Hub: h, Dir: dir, Timelapse: 10 * time.Second, MinFree: minFree, Logger: log}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(65 * time.Second)
		synctest.Wait()
		st := r.Status()
		if got, want := kept(t, dir), []int{9, 19}; !slices.Equal(got, want) {
			t.Errorf("kept %v, want %v", got, want)
		}
		if !st.Paused || st.Recording || !strings.Contains(st.PausedReason, "disk nearly full") || st.FreeBytes >= minFree+size {
			t.Errorf("status %+v", st)
		}
		if !strings.Contains(logs.String(), "recording paused: disk nearly full") {
			t.Errorf("log:\n%s", logs.String())
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if got, want := kept(t, dir), []int{9, 19, 69, 79}; !slices.Equal(got, want) {
			t.Errorf("after room was made, kept %v, want %v", got, want)
		}
		if st := r.Status(); st.Paused || !st.Recording {
			t.Errorf("status after room was made %+v", st)
		}
		if !strings.Contains(logs.String(), "recording resumed") {
			t.Errorf("log:\n%s", logs.String())
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// quiet takes the hub's log lines, which say nothing these tests check.
var quiet = slog.New(slog.DiscardHandler)
