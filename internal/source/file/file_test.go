package file_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/fake"
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
