package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"image"
	_ "image/jpeg"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs framecast with args and environ until the test ends, and
// returns the address it serves on.
func start(t *testing.T, args, environ []string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &lockedWriter{w: &errb}, environ: environ}
	go func() { done <- a.run(ctx, args, ready) }()
	select {
	case addr := <-ready:
		t.Cleanup(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("exit %d", code)
			}
		})
		return addr
	case code := <-done:
		cancel()
		t.Fatalf("exit %d before serving: %s", code, errb.String())
	}
	return ""
}

// lockedWriter lets the server's goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// firstFrame reads the first JPEG of the MJPEG stream at url and returns
// its size, and the HTTP version it came over.
func firstFrame(t *testing.T, c *http.Client, url string) (image.Point, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	boundary, err := mjpeg.BoundaryFromContentType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	part, err := mjpeg.NewReader(resp.Body, boundary).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(part.Body))
	if err != nil {
		t.Fatal(err)
	}
	return image.Pt(cfg.Width, cfg.Height), resp.ProtoMajor
}

const fourCameras = `
listen: 127.0.0.1:0
cameras:
  - name: front
    source: testpattern
    size: 320x240
    fps: 10
  - name: garage
    source: testpattern
    size: 160x120
    fps: 5
  - name: porch
    default: true
    source: testpattern
    size: 256x144
  - name: attic
    source: testpattern
    size: 64x48
    idle_timeout: 0s
`

// Four cameras from one file: each is served under /cam/NAME/ at its own
// size, and the one marked default at /stream too.
func TestFourCamerasFromFile(t *testing.T) {
	file := writeFile(t, t.TempDir(), "framecast.yaml", fourCameras)
	addr := start(t, []string{"-config", file}, nil)
	base := "http://" + addr
	sizes := map[string]image.Point{"front": {320, 240}, "garage": {160, 120}, "porch": {256, 144}, "attic": {64, 48}}
	for name, want := range sizes {
		if got, _ := firstFrame(t, http.DefaultClient, base+"/cam/"+name+"/stream"); got != want {
			t.Errorf("%s: frame %v, want %v", name, got, want)
		}
	}
	for _, p := range []string{"/stream", "/video_feed", "/?action=stream"} {
		if got, _ := firstFrame(t, http.DefaultClient, base+p); got != sizes["porch"] {
			t.Errorf("%s: frame %v, want the default camera's %v", p, got, sizes["porch"])
		}
	}
	resp, err := http.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var status struct {
		Cameras []struct {
			Name string `json:"name"`
		} `json:"cameras"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range status.Cameras {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "porch,front,garage,attic" {
		t.Errorf("status cameras %s, want the default first", got)
	}
}

// With a certificate and key, framecast serves HTTPS, and HTTP/2 to
// clients that offer it.
func TestTLSServesHTTP2(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := fake.WriteCert(t, dir, "framecast test")
	file := writeFile(t, dir, "framecast.yaml", `
listen: 127.0.0.1:0
tls:
  cert: `+cert+`
  key: `+key+`
cameras:
  - {name: a, source: testpattern, size: 64x48}
  - {name: b, source: testpattern, size: 32x32}
`)
	addr := start(t, []string{"-config", file}, nil)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
	defer client.CloseIdleConnections()
	for path, want := range map[string]image.Point{"/stream": {64, 48}, "/cam/b/stream": {32, 32}} {
		size, proto := firstFrame(t, client, "https://"+addr+path)
		if size != want || proto != 2 {
			t.Errorf("%s: %v over HTTP/%d, want %v over HTTP/2", path, size, proto, want)
		}
	}
	// Plain HTTP to the TLS port is refused, not served.
	resp, err := http.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP served on the TLS port")
		}
	}
}

// printConfig runs framecast -print-config and loads what it prints.
func printConfig(t *testing.T, args, environ []string) *config.Config {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, environ: environ}
	if code := a.run(context.Background(), append(args, "-print-config"), nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	cfg, err := config.Parse("printed", out.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return cfg
}

// Flags override the environment, which overrides the file.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "f.yaml", "listen: 127.0.0.1:1\nlog_level: debug\ncameras:\n  - {name: a, fps: 5, quality: 50, source: testpattern}\n  - {name: b, fps: 6, default: true, source: testpattern}\n")
	env := []string{"HOME=/root", "FRAMECAST_CONFIG=" + file, "FRAMECAST_FPS=7", "FRAMECAST_LISTEN=127.0.0.1:2", "FRAMECAST_QUALITY=60"}
	cfg := printConfig(t, []string{"-fps", "8"}, env)
	if cfg.Listen != "127.0.0.1:2" || cfg.LogLevel != "debug" {
		t.Errorf("listen %s, log level %s", cfg.Listen, cfg.LogLevel)
	}
	a, b := cfg.Cameras[0], cfg.Cameras[1]
	if a.FPS != 5 || a.Quality != 50 || b.FPS != 8 || b.Quality != 60 {
		t.Errorf("a %d/%d, b %d/%d; want 5/50 and 8/60 (overrides go to the default camera)", a.FPS, a.Quality, b.FPS, b.Quality)
	}
	// -config beats FRAMECAST_CONFIG.
	other := writeFile(t, dir, "g.yaml", "cameras:\n  - {name: only, source: testpattern}\n")
	cfg = printConfig(t, []string{"-config", other}, env)
	if len(cfg.Cameras) != 1 || cfg.Cameras[0].Name != "only" {
		t.Errorf("cameras %+v", cfg.Cameras)
	}
	// Flags alone give one camera, printed in full.
	cfg = printConfig(t, []string{"-source", "testpattern", "-name", "desk", "-size", "800x600", "-token", "0123456789abcdef,fedcba9876543210"}, nil)
	c := cfg.Cameras[0]
	if len(cfg.Cameras) != 1 || c.Name != "desk" || c.Size != (config.Size{Width: 800, Height: 600}) || len(c.Tokens) != 2 {
		t.Errorf("cameras %+v", cfg.Cameras)
	}
}

// Every bad start gets exit 2 and exactly this error.
func TestBadConfigStarts(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	good := writeFile(t, dir, "good.yaml", "cameras:\n  - {name: a, source: testpattern}\n")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name    string
		args    []string
		environ []string
		file    string // written to bad.yaml and given with -config
		want    string
	}{
		{name: "missing file", args: []string{"-config", missing}, want: "framecast: cannot read the config file: open " + missing + ": no such file or directory"},
		{name: "missing file from env", environ: []string{"FRAMECAST_CONFIG=" + missing}, want: "framecast: cannot read the config file: open " + missing + ": no such file or directory"},
		{name: "unknown variable", environ: []string{"FRAMECAST_FSP=3"}, want: "framecast: FRAMECAST_FSP: not a framecast setting: each flag -some-name is FRAMECAST_SOME_NAME (see framecast -help)"},
		{name: "lower-case variable", environ: []string{"FRAMECAST_fps=3"}, want: "framecast: FRAMECAST_fps: not a framecast setting: each flag -some-name is FRAMECAST_SOME_NAME (see framecast -help)"},
		{name: "bad variable value", environ: []string{"FRAMECAST_FPS=fast"}, want: `framecast: FRAMECAST_FPS: "fast" is not a whole number`},
		{name: "variable out of range", environ: []string{"FRAMECAST_QUALITY=0"}, want: "framecast: FRAMECAST_QUALITY: 0 is out of range: use 1 to 100"},
		{name: "bad variable duration", environ: []string{"FRAMECAST_WRITE_TIMEOUT=10"}, want: `framecast: FRAMECAST_WRITE_TIMEOUT: "10" is not a duration: use a number with a unit, as in 10s, 500ms or 1m30s`},
		{name: "unknown source in file", file: "cameras:\n  - {name: a, source: testpattern}\n  - name: b\n    source: webcam\n", want: `framecast: bad.yaml:4: cameras[1].source: unknown kind "webcam": use auto, v4l2, v4l2:/dev/videoN, rpicam, testpattern, file:PATH, exec:COMMAND, http(s)://URL or snapshot+http(s)://URL`},
		{name: "video folder without pictures", file: "cameras:\n  - source: file:" + dir + "\n", want: "framecast: bad.yaml:2: cameras[0].source: file:" + dir + ": " + dir + ": no .jpg or .jpeg files in folder"},
		{name: "unknown field in file", file: "cameras:\n  - name: a\n    sorce: testpattern\n", want: `framecast: bad.yaml:3: cameras[0]: unknown field "sorce" (did you mean source?): use one of name, default, source, size, fps, quality, codec, bitrate, keyframe_interval, h264_profile, h264_level, hflip, vflip, rotation, index, source_args, controls, idle_timeout, stall_timeout, max_frame_size, tokens, drop_same_frames, record`},
		{name: "flag overriding file badly", args: []string{"-config", good, "-size", "1x1"}, want: "framecast: -size: 1x1 is out of range: use 16x16 to 7680x4320"},
		{name: "flag renames onto another", file: "cameras:\n  - {name: a, source: testpattern}\n  - {name: b, source: testpattern}\n", args: []string{"-name", "b"}, want: `framecast: -name: "b" is already the name of cameras[1] (line 3): names must be unique`},
		// bcrypt allows cost 31, whose one hash at start-up would take days.
		{name: "absurd bcrypt cost", file: "users:\n  - name: a\n    password_hash: '$2a$31$5Ff22qa6uRUkTzmkeommzuK6auJT4kgWAyHjg5mJVoodOKBqJNU5O'\ncameras:\n  - {name: a, source: testpattern}\n", want: "framecast: bad.yaml:3: users[0].password_hash: bcrypt cost 31 is out of range: use 4 to 14 (framecast hash-password -cost N): each step doubles the time of every login and of start-up"},
		{name: "tls key without cert", args: []string{"-tls-key", "/nonexistent/key.pem"}, want: "framecast: tls.cert: missing: set both cert and key files, or neither"},
		{name: "address in use", args: []string{"-source", "testpattern", "-listen", busy.Addr().String()}, want: "framecast: -listen: listen tcp " + busy.Addr().String() + ": bind: address already in use"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.file != "" {
				wd := t.TempDir()
				writeFile(t, wd, "bad.yaml", c.file)
				t.Chdir(wd)
				args = append([]string{"-config", "bad.yaml"}, args...)
			}
			var out, errb bytes.Buffer
			a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, environ: c.environ}
			code := a.run(context.Background(), args, nil)
			got := strings.TrimSpace(errb.String())
			if code == 0 || got != c.want {
				t.Errorf("exit %d\ngot  %s\nwant %s", code, got, c.want)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", fourCameras)
	bad := writeFile(t, dir, "bad.yaml", "cameras:\n  - fps: 0\n    quality: 500\n")
	// A misspelt key hides no other mistake.
	many := writeFile(t, dir, "many.yaml", "cameras:\n  - name: a\n    fsp: 30\n    quality: 500\n  - name: a\n")
	cases := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"check-config", good}, 0, good + ": ok: 4 camera(s)\n  porch: testpattern 256x144@30 (256x144, default)\n  front: testpattern 320x240@10 (320x240)\n  garage: testpattern 160x120@5 (160x120)\n  attic: testpattern 64x48@30 (64x48)\n", ""},
		{[]string{"check-config", bad}, 2, "", "framecast: " + bad + ":2: cameras[0].fps: 0 is out of range: use 1 to 120\nframecast: " + bad + ":3: cameras[0].quality: 500 is out of range: use 1 to 100\n"},
		{[]string{"check-config", many}, 2, "", "framecast: " + many + `:3: cameras[0]: unknown field "fsp" (did you mean fps?): use one of name, default, source, size, fps, quality, codec, bitrate, keyframe_interval, h264_profile, h264_level, hflip, vflip, rotation, index, source_args, controls, idle_timeout, stall_timeout, max_frame_size, tokens, drop_same_frames, record` + "\n" +
			"framecast: " + many + ":4: cameras[0].quality: 500 is out of range: use 1 to 100\n" +
			"framecast: " + many + `:5: cameras[1].name: "a" is already the name of cameras[0] (line 2): names must be unique` + "\n"},
		{[]string{"check-config"}, 2, "", "usage: framecast check-config FILE\n"},
		{[]string{"check-config", "a", "b"}, 2, "", "usage: framecast check-config FILE\n"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
		code := a.run(context.Background(), c.args, nil)
		if code != c.code || out.String() != c.out || errb.String() != c.err {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant %d %q %q", c.args, code, out.String(), errb.String(), c.code, c.out, c.err)
		}
	}
}

// What -print-config prints passes check-config.
func TestPrintedConfigChecks(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard}
	if code := a.run(context.Background(), []string{"-config", writeFile(t, dir, "in.yaml", fourCameras), "-print-config"}, nil); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out.String(), "# framecast ") {
		t.Errorf("no header: %q", out.String())
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	printed := writeFile(t, dir, "printed.yaml", out.String())
	a = &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	if code := a.run(context.Background(), []string{"check-config", printed}, nil); code != 0 {
		t.Errorf("check-config of printed config: exit %d\n%s", code, out.String())
	}
}

func TestHashPassword(t *testing.T) {
	cases := []struct {
		args  []string
		stdin string
		code  int
		err   string
	}{
		{[]string{"-cost", "4"}, "correct horse\n", 0, ""},
		{[]string{"-cost", "4"}, "no newline", 0, ""},
		{[]string{"-cost", "4"}, "crlf\r\n", 0, ""},
		{nil, "\n", 1, "framecast hash-password: empty password\n"},
		{nil, strings.Repeat("x", 73) + "\n", 1, "framecast hash-password: a password of 73 bytes: bcrypt uses at most 72\n"},
		{[]string{"hunter2"}, "", 2, `framecast hash-password: unexpected argument "hunter2": the password is read from stdin, never from the command line` + "\n"},
		{[]string{"-cost", "3"}, "x\n", 2, "framecast hash-password: -cost: 3 is out of range: use 4 to 14\n"},
		{[]string{"-cost", "15"}, "x\n", 2, "framecast hash-password: -cost: 15 is out of range: use 4 to 14\n"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		a := &app{stdin: strings.NewReader(c.stdin), stdout: &out, stderr: &errb}
		code := a.run(context.Background(), append([]string{"hash-password"}, c.args...), nil)
		if code != c.code || errb.String() != c.err {
			t.Errorf("%v %q: exit %d, stderr %q; want %d %q", c.args, c.stdin, code, errb.String(), c.code, c.err)
			continue
		}
		if code != 0 {
			continue
		}
		pw := strings.TrimRight(c.stdin, "\r\n")
		hash := strings.TrimSpace(out.String())
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)); err != nil {
			t.Errorf("%q: hash %q does not match: %v", c.stdin, hash, err)
		}
		// The hash is accepted by the config file.
		cfg, err := config.Parse("h.yaml", []byte("users:\n  - name: me\n    password_hash: '"+hash+"'\n"))
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			t.Errorf("config refuses the printed hash: %v", err)
		}
	}
}

func TestSourceArgsFlag(t *testing.T) {
	cfg, _, err := loadConfig([]string{"-source", "rpicam", "-source-args", `--awb indoor --info-text "a b"`}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--awb", "indoor", "--info-text", "a b"}
	if got := cfg.Cameras[0].SourceArgs; !reflect.DeepEqual(got, want) {
		t.Errorf("source args %q, want %q", got, want)
	}
	if _, _, err := loadConfig([]string{"-source-args", `"open`}, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "unterminated") {
		t.Errorf("bad -source-args: %v", err)
	}
}
