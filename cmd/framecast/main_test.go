package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/pkg/mjpeg"
)

func TestBadFlags(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.mjpeg")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-size", "10x10"}, "-size: 10x10 is out of range: use 16x16 to 7680x4320"},
		{[]string{"-size", "8000x100"}, "-size: 8000x100 is out of range"},
		{[]string{"-size", "big"}, `-size: "big" is not WxH`},
		{[]string{"-fps", "0"}, "-fps: 0 is out of range: use 1 to 120"},
		{[]string{"-fps", "121"}, "-fps: 121 is out of range"},
		{[]string{"-quality", "101"}, "-quality: 101 is out of range: use 1 to 100"},
		{[]string{"-source", "webcam"}, `-source: unknown kind "webcam"`},
		{[]string{"-source", "file:" + filepath.Dir(missing)}, "no .jpg or .jpeg files in folder"},
		{[]string{"-source", "file:"}, "needs a path"},
		{[]string{"-listen", "nonsense"}, `-listen: "nonsense" is not host:port`},
		{[]string{"-listen", ":99999"}, "-listen: port \"99999\""},
		{[]string{"-idle-timeout", "-1s"}, "-idle-timeout: -1s must not be negative: use 0 to keep the camera running"},
		{[]string{"-stall-timeout", "0"}, "-stall-timeout: 0s must be positive"},
		{[]string{"-max-frame-size", "12"}, "-max-frame-size: 12 is out of range: use 1KiB to 1GiB"},
		{[]string{"-log-format", "xml"}, `-log-format: "xml" is not text or json`},
		{[]string{"-log-level", "loud"}, `-log-level: "loud"`},
		{[]string{"-name", "a/b"}, `-name: "a/b"`},
		{[]string{"-fps", "x"}, `invalid value "x" for flag -fps`},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
		{[]string{"stray"}, `unexpected argument "stray"`},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, &out, &errb, nil)
		if code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-help"}, &out, &errb, nil); code != 0 {
		t.Fatalf("exit %d", code)
	}
	help := errb.String()
	for _, f := range []string{"-listen", "-source", "-size", "-fps", "-quality", "-idle-timeout", "-stall-timeout", "(default \":8080\")", "(default 30)"} {
		if !strings.Contains(help, f) {
			t.Errorf("help lacks %s", f)
		}
	}
	// -help says what the table says: each setting's value, text, allowed
	// values and default, in the table's order.
	at := 0
	for _, s := range config.Settings() {
		if !s.Flag() {
			continue
		}
		want := "  -" + strings.TrimSpace(s.Name+" "+s.Arg()) + "\n    \t" + s.Text()
		if d := s.DefaultText(); d != "" {
			if _, ok := s.Default.(string); ok {
				d = strconv.Quote(d)
			}
			want += " (default " + d + ")"
		}
		i := strings.Index(help[at:], want+"\n")
		if i < 0 {
			t.Errorf("help lacks, after what came before in the table,\n%s", want)
			continue
		}
		at += i
	}
}

func TestServesAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-size", "64x48"}, &out, io.Discard, ready)
	}()
	addr := <-ready
	resp, err := http.Get("http://" + addr + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	if _, err := io.ReadAtLeast(resp.Body, buf, 512); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The open stream must end, not hold shutdown up.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("stream ended with %v", err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "http://127.0.0.1:") {
		t.Errorf("start-up line %q lacks the URL", out.String())
	}
}

// The real binary stops on SIGTERM and SIGINT with open streams, and exits 0.
func TestSignals(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "framecast")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-size", "64x48", "-idle-timeout", "0")
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(line, "http://")
		url := strings.TrimSpace(line[i:])
		resp, err := http.Get(url + "stream")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAtLeast(resp.Body, make([]byte, 512), 512); err != nil {
			t.Fatal(err)
		}
		cmd.Process.Signal(sig)
		io.Copy(io.Discard, resp.Body)
		werr := make(chan error, 1)
		go func() { werr <- cmd.Wait() }()
		select {
		case err := <-werr:
			if err != nil {
				t.Errorf("%v: %v", sig, err)
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Fatalf("%v: framecast did not exit", sig)
		}
	}
}

// framecast with -source exec: running ffmpeg, end to end.
func TestRunExecFFmpeg(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-source",
			"exec:" + ff + " -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=320x240:rate=30 -f mjpeg -"}, io.Discard, &logs, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("exit %d", code)
	}
	sctx, stop := context.WithCancel(ctx)
	parts := fake.Stream(sctx, t, "http://"+addr+"/stream")
	deadline := time.After(60 * time.Second)
	for n := 0; n < 5; {
		select {
		case p := <-parts:
			if w, h, err := mjpeg.Size(p); err == nil && w == 320 && h == 240 {
				n++
			}
		case <-deadline:
			t.Fatal("no frames from ffmpeg")
		}
	}
	stop()
	resp, err := http.Get("http://" + addr + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"source": "exec ffmpeg"`) {
		t.Errorf("status lacks the source:\n%s", b)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// A file: source whose file is absent starts, like an absent V4L2 device:
// the camera shows no signal and says why until the file appears (mounted
// later), then its frames.
func TestMissingFileStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.mjpeg")
	addr := start(t, []string{"-listen", "127.0.0.1:0", "-source", "file:" + path, "-idle-timeout", "0", "-fps", "5"}, nil)
	fake.WaitFor(t, "status to say the file is absent", func() bool {
		resp, err := http.Get("http://" + addr + "/api/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), "no such file or directory")
	})
	var video []byte
	for i := range 3 {
		video = append(video, fake.JPEG(96, 72, i)...)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, video, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	// The no-signal card is 640x480; the file's frames are 96x72.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	for p := range fake.Stream(ctx, t, "http://"+addr+"/stream") {
		if w, h, err := mjpeg.Size(p); err == nil && w == 96 && h == 72 {
			return
		}
	}
	t.Fatal("the stream ended without the file's frames")
}
