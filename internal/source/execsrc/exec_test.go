package execsrc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// bound is the generous overall limit of every wait in these tests; it is
// never asserted as a duration.
const bound = 60 * time.Second

func TestMain(m *testing.M) {
	// Orphans of killed commands come to us, so Run must reap them.
	if err := execsrc.Subreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	var b syncBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})).With("camera", "cam1"), &b
}

// readPID waits for a command to write its PID to path.
func readPID(t *testing.T, path string, runErr <-chan error) int {
	t.Helper()
	deadline := time.After(bound)
	for {
		if b, err := os.ReadFile(path); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("pid file %s: %v", path, err)
			}
			return pid
		}
		select {
		case err := <-runErr:
			t.Fatalf("Run returned before writing its pid: %v", err)
		case <-deadline:
			t.Fatalf("no pid in %s", path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// assertGone checks that no process of group pgid, nor pid, is left: not
// running and not a zombie.
func assertGone(t *testing.T, pgid int, pids ...int) {
	t.Helper()
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still exists (kill 0: %v)", pgid, err)
	}
	for _, pid := range append(pids, pgid) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			t.Errorf("process %d still exists: %s", pid, b)
		}
	}
}

// runAsync runs s in a goroutine and sends each frame to frames (dropping
// when full) and Run's result to done.
func runAsync(ctx context.Context, s *execsrc.Source) (frames chan mjpeg.Frame, done chan error) {
	frames = make(chan mjpeg.Frame, 64)
	done = make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(f mjpeg.Frame) {
			select {
			case frames <- f:
			default:
			}
		})
	}()
	return frames, done
}

func waitFrames(t *testing.T, frames <-chan mjpeg.Frame, n int) {
	t.Helper()
	deadline := time.After(bound)
	for i := 0; i < n; i++ {
		select {
		case f := <-frames:
			if _, err := mjpeg.FrameLen(f.Data); err != nil {
				t.Fatalf("frame %d is not a JPEG: %v", i, err)
			}
			if f.Time.IsZero() {
				t.Fatalf("frame %d has no time", i)
			}
		case <-deadline:
			t.Fatalf("got %d frames of %d", i, n)
		}
	}
}

func TestFFmpegFramesAndStop(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	log, logs := testLogger()
	// sh records its pid (the group's id) and becomes ffmpeg.
	s := &execsrc.Source{
		Args: []string{"sh", "-c", `echo $$ > "$0"; exec "$1" -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=320x240:rate=30 -f mjpeg -q:v 5 -`,
			pidFile, ff},
		Logger: log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	frames, done := runAsync(ctx, s)
	pid := readPID(t, pidFile, done)
	waitFrames(t, frames, 10)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(bound):
		t.Fatal("Run did not return after cancel")
	}
	assertGone(t, pid)
	if s.Dropped() != 0 {
		t.Errorf("Dropped = %d, want 0", s.Dropped())
	}
	if strings.Contains(logs.String(), "killing") {
		t.Errorf("ffmpeg needed SIGKILL; it should stop on SIGINT:\n%s", logs)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"framecast-no-such-program"}, `exec: "framecast-no-such-program": executable file not found in $PATH`},
		{"missing path", []string{"/nonexistent/prog"}, "/nonexistent/prog: no such file or directory"},
		{"exit status with stderr", []string{"sh", "-c", "echo starting >&2; echo 'ERROR: *** no cameras available ***' >&2; exit 3"}, "sh: exit status 3: ERROR: *** no cameras available ***"},
		{"exit status only", []string{"false"}, "false: exit status 1"},
		{"clean exit", []string{"true"}, "true: exited (exit status 0)"},
		{"killed by signal", []string{"sh", "-c", "kill -9 $$"}, "sh: signal: killed"},
		{"no command", nil, "exec: no command given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, _ := testLogger()
			s := &execsrc.Source{Args: tt.args, Logger: log}
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			err := s.Run(ctx, func(mjpeg.Frame) {})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Run = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStderrLogged(t *testing.T) {
	log, logs := testLogger()
	s := &execsrc.Source{Args: []string{"sh", "-c", `printf 'first line\nprogress 1\rprogress 2\rlast words\n' >&2; exit 1`}, Logger: log}
	err := s.Run(context.Background(), func(mjpeg.Frame) {})
	if err == nil || err.Error() != "sh: exit status 1: last words" {
		t.Fatalf("Run = %v", err)
	}
	out := logs.String()
	for _, want := range []string{`camera=cam1`, `program=sh`, `line="first line"`, `line="progress 2"`, `line="last words"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// The password of a camera URL that the command prints, as ffmpeg does
// when the camera is unreachable, reaches neither the log nor the error.
func TestStderrCredentialsMasked(t *testing.T) {
	log, logs := testLogger()
	s := &execsrc.Source{Args: []string{"sh", "-c", `echo "[rtsp @ 0x5] rtsp://admin:PASS@WORD@10.0.0.5:554/s: Connection refused" >&2; exit 1`,
		"rtsp://admin:PASS@WORD@10.0.0.5/s"}, Logger: log}
	err := s.Run(context.Background(), func(mjpeg.Frame) {})
	if err == nil || err.Error() != "sh: exit status 1: [rtsp @ 0x5] rtsp://xxxxx@10.0.0.5:554/s: Connection refused" {
		t.Fatalf("Run = %v", err)
	}
	if out := logs.String(); strings.Contains(out, "PASS") || !strings.Contains(out, "rtsp://xxxxx@10.0.0.5:554/s") {
		t.Errorf("log:\n%s", out)
	}
}

// A command that ignores SIGINT, with a child that ignores it too, is
// killed with its whole group after the grace period, and nothing is left.
func TestIgnoresSIGINT(t *testing.T) {
	dir := t.TempDir()
	pidFile, childFile := filepath.Join(dir, "pid"), filepath.Join(dir, "child")
	log, logs := testLogger()
	s := &execsrc.Source{
		Args: []string{"sh", "-c", `trap '' INT; sleep 1000 & echo $! > "$1"; echo $$ > "$0"; while :; do sleep 1; done`,
			pidFile, childFile},
		Grace:  100 * time.Millisecond,
		Logger: log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, done := runAsync(ctx, s)
	pid := readPID(t, pidFile, done)
	child := readPID(t, childFile, done)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(bound):
		t.Fatal("Run did not return after cancel")
	}
	assertGone(t, pid, child)
	if !strings.Contains(logs.String(), "killing its process group") {
		t.Errorf("no kill logged:\n%s", logs)
	}
}

// The leader exits but leaves a child holding stdout: the child is stopped
// too, and the exit status is reported.
func TestLeaderExitsChildLingers(t *testing.T) {
	dir := t.TempDir()
	pidFile, childFile := filepath.Join(dir, "pid"), filepath.Join(dir, "child")
	log, _ := testLogger()
	s := &execsrc.Source{
		Args:   []string{"sh", "-c", `sleep 1000 & echo $! > "$1"; echo $$ > "$0"; exit 4`, pidFile, childFile},
		Grace:  100 * time.Millisecond,
		Logger: log,
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	err := s.Run(ctx, func(mjpeg.Frame) {})
	if err == nil || err.Error() != "sh: exit status 4" {
		t.Fatalf("Run = %v, want sh: exit status 4", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	child, _ := strconv.Atoi(strings.TrimSpace(readFile(t, childFile)))
	assertGone(t, pid, child)
}

// A command that closes stdout but keeps running is stopped.
func TestClosedOutput(t *testing.T) {
	log, _ := testLogger()
	s := &execsrc.Source{Args: []string{"sh", "-c", `exec >&-; sleep 1000`}, Grace: 100 * time.Millisecond, Logger: log}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	err := s.Run(ctx, func(mjpeg.Frame) {})
	if err == nil || !strings.HasPrefix(err.Error(), "sh: closed its output but kept running") {
		t.Fatalf("Run = %v", err)
	}
}

// Garbage between frames is skipped and broken frames are counted.
func TestGarbageAndBrokenFrames(t *testing.T) {
	dir := t.TempDir()
	good := fake.JPEG(64, 48, 1)
	var stream bytes.Buffer
	stream.WriteString("garbage before\n")
	stream.Write(good)
	stream.Write(good[:len(good)/2]) // cut short
	stream.WriteString("more garbage")
	stream.Write(good)
	path := filepath.Join(dir, "in.mjpeg")
	if err := os.WriteFile(path, stream.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	log, _ := testLogger()
	s := &execsrc.Source{Args: []string{"cat", path}, Logger: log}
	var got [][]byte
	err := s.Run(context.Background(), func(f mjpeg.Frame) { got = append(got, f.Data) })
	if err == nil || err.Error() != "cat: exited (exit status 0)" {
		t.Fatalf("Run = %v", err)
	}
	if len(got) != 2 || !bytes.Equal(got[0], good) || !bytes.Equal(got[1], good) {
		t.Fatalf("got %d frames, want the 2 whole ones", len(got))
	}
	if s.Dropped() != 1 {
		t.Errorf("Dropped = %d, want 1", s.Dropped())
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
