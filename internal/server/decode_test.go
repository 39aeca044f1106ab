package server_test

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/execsrc"
)

// TestH264DecodedMJPEG: an H.264 camera with a decoder serves its MJPEG
// stream and snapshot (and their aliases) as JPEGs of the camera's size,
// decoded by ffmpeg on demand; once the last MJPEG viewer has been gone
// for the idle timeout, the decoder process is gone, zombie included, and
// the camera stops too.
func TestH264DecodedMJPEG(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	cam := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "320x240", "30"), Codec: hub.H264,
		IdleTimeout: 100 * time.Millisecond})
	defer cam.Close()
	dec := hub.New(hub.Config{Name: "door", IdleTimeout: 100 * time.Millisecond,
		Source: &execsrc.Decoder{From: cam, Cmd: execsrc.Source{Args: append([]string{ff}, execsrc.DecoderArgs[1:]...)}}})
	defer dec.Close()
	srv := &server.Server{Cameras: []*hub.Hub{cam}, Decoded: map[*hub.Hub]*hub.Hub{cam: dec}}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Close()

	for _, p := range []string{"/stream", "/cam/door/stream", "/?action=stream"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if resp.StatusCode != http.StatusOK || err != nil {
			resp.Body.Close()
			t.Fatalf("%s: %s, %q", p, resp.Status, resp.Header.Get("Content-Type"))
		}
		mr := multipart.NewReader(resp.Body, params["boundary"])
		for i := range 3 {
			part, err := mr.NextPart()
			if err != nil {
				t.Fatalf("%s: part %d: %v", p, i, err)
			}
			b, err := io.ReadAll(part)
			if err != nil {
				t.Fatalf("%s: part %d: %v", p, i, err)
			}
			checkJPEG(t, fmt.Sprintf("%s part %d", p, i), b)
		}
		if pid := decoderPID(); pid == 0 {
			t.Errorf("%s: no decoder process while streaming", p)
		}
		resp.Body.Close()
	}
	for _, p := range []string{"/snapshot", "/snapshot.jpg", "/cam/door/snapshot", "/?action=snapshot"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %s %q: %.200s", p, resp.Status, resp.Header.Get("Content-Type"), b)
		}
		checkJPEG(t, p, b)
	}
	pid := decoderPID()
	if pid == 0 {
		// The idle timeout may have passed since the last snapshot: one
		// more, and the decoder is caught while it runs.
		fake.WaitFor(t, "a decoder process", func() bool {
			if resp, err := http.Get(ts.URL + "/snapshot"); err == nil {
				resp.Body.Close()
			}
			pid = decoderPID()
			return pid != 0
		})
	}
	fake.WaitFor(t, "the decoder process gone", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid)) // a zombie has one too
		return err != nil && dec.Status().State == hub.Idle
	})
	fake.WaitFor(t, "the camera idle", func() bool { return cam.Status().State == hub.Idle })
}

// checkJPEG checks that b is a JPEG of 320x240.
func checkJPEG(t *testing.T, what string, b []byte) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if r := img.Bounds(); r.Dx() != 320 || r.Dy() != 240 {
		t.Errorf("%s: %dx%d, want 320x240", what, r.Dx(), r.Dy())
	}
}

// decoderPID returns the pid of a child of this process whose command line
// is the decoder's (it writes mjpeg), running or a zombie, or 0.
func decoderPID() int {
	ents, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
		if len(f) < 2 || string(f[1]) != self {
			continue
		}
		if string(f[0]) == "Z" {
			return pid // a zombie has no command line left
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if bytes.Contains(cmd, []byte("\x00mjpeg\x00")) {
			return pid
		}
	}
	return 0
}
