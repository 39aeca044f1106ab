package file_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/source/file"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// collect runs s for n frames (on synctest's clock) and returns them.
func collect(t *testing.T, s *file.Source, n int) ([][]byte, error) {
	var got [][]byte
	var err error
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		err = s.Run(ctx, func(f mjpeg.Frame) {
			got = append(got, f.Data)
			if len(got) == n {
				cancel()
			}
		})
	})
	return got, err
}

func TestStreamFileLoopsAndSkipsBrokenFrames(t *testing.T) {
	a, b, c := fake.JPEG(32, 24, 1), fake.JPEG(32, 24, 2), fake.JPEG(32, 24, 3)
	var stream bytes.Buffer
	stream.Write(a)
	stream.WriteString("garbage between frames")
	stream.Write(b[:len(b)/2]) // a truncated frame
	stream.Write(b)
	stream.Write(c)
	path := filepath.Join(t.TempDir(), "clip.mjpeg")
	if err := os.WriteFile(path, stream.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &file.Source{Path: path, FPS: 10}
	got, err := collect(t, s, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{a, b, c, a, b, c, a}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d differs from the file's frame", i)
		}
	}
	if s.Dropped() < 2 {
		t.Errorf("dropped %d, want the truncated frame counted on each pass", s.Dropped())
	}
}

func TestFolderPlaysInNameOrder(t *testing.T) {
	dir := t.TempDir()
	a, b := fake.JPEG(16, 16, 1), fake.JPEG(16, 16, 2)
	files := map[string][]byte{
		"01.jpg":     a,
		"02.JPEG":    b,
		"03.jpg":     []byte("not a jpeg"),
		"notes.txt":  []byte("ignored"),
		"00-pad.jpg": append(append([]byte{}, b...), 0, 0, 0), // padding after EOI is cut
	}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	s := &file.Source{Path: dir, FPS: 30}
	got, err := collect(t, s, 6)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{b, a, b, b, a, b}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d: got %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
	if s.Dropped() != 2 {
		t.Errorf("dropped %d, want 2 (the broken file, twice)", s.Dropped())
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	junk := filepath.Join(dir, "junk.mjpeg")
	os.WriteFile(junk, []byte(strings.Repeat("no frames here ", 100)), 0o644)
	cases := []struct {
		path, check, run string
	}{
		{filepath.Join(dir, "missing.mjpeg"), "no such file", "no such file"},
		{empty, "no .jpg or .jpeg files", "no valid JPEG frames"},
		{junk, "", "no valid JPEG frames"},
	}
	for _, c := range cases {
		s := &file.Source{Path: c.path}
		err := s.Check()
		if c.check == "" && err != nil || c.check != "" && (err == nil || !strings.Contains(err.Error(), c.check)) {
			t.Errorf("Check(%s) = %v, want %q", c.path, err, c.check)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err = s.Run(ctx, func(mjpeg.Frame) {})
		cancel()
		if err == nil || !strings.Contains(err.Error(), c.run) {
			t.Errorf("Run(%s) = %v, want %q", c.path, err, c.run)
		}
	}
}

// bound is the generous limit of every wait for Run to return; it is never
// asserted as a duration.
const bound = time.Minute

// runAsync runs s in a goroutine; frames receives every frame.
func runAsync(ctx context.Context, s *file.Source) (frames chan []byte, done chan error) {
	frames, done = make(chan []byte, 100), make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(f mjpeg.Frame) {
			select {
			case frames <- f.Data:
			default:
			}
		})
	}()
	return frames, done
}

func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(bound):
		t.Fatal("Run did not return")
		return nil
	}
}

// A FIFO that no program writes to fails at once instead of blocking in
// open(2) out of reach of ctx.
func TestFIFOWithoutWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	_, done := runAsync(context.Background(), &file.Source{Path: path})
	if err := waitRun(t, done); err == nil || err.Error() != path+": no program writes to this FIFO" {
		t.Fatalf("Run = %v", err)
	}
}

// A FIFO whose writer goes silent: Run returns when ctx ends.
func TestFIFOSilentWriterStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(path, os.O_RDWR, 0) // a writer that never blocks opening
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	jpg := fake.JPEG(16, 16, 1)
	w.Write(jpg)
	ctx, cancel := context.WithCancel(context.Background())
	frames, done := runAsync(ctx, &file.Source{Path: path, FPS: 1000})
	select {
	case f := <-frames:
		if !bytes.Equal(f, jpg) {
			t.Fatal("the frame differs from the one written")
		}
	case err := <-done:
		t.Fatalf("Run = %v before the frame", err)
	case <-time.After(bound):
		t.Fatal("no frame")
	}
	cancel() // Run now waits in a read that only the stop can end
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

// /dev/zero gives bytes forever and never a JPEG: Run fails after a few
// frame sizes, and returns when ctx ends before that.
func TestDevZero(t *testing.T) {
	_, done := runAsync(context.Background(), &file.Source{Path: "/dev/zero", MaxFrameSize: 64 << 10})
	if err := waitRun(t, done); err == nil || err.Error() != "/dev/zero: no JPEG frame in 1 MiB" {
		t.Fatalf("Run = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, done = runAsync(ctx, &file.Source{Path: "/dev/zero", MaxFrameSize: 1 << 30})
	cancel()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

// The hub reports the frames every source drops.
var _ hub.Dropper = (*file.Source)(nil)
