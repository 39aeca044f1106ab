package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/internal/whep"
)

// clockEnv makes the test binary run as `framecast-latency clock -size
// VALUE`, so the tests' cameras need no other build.
const clockEnv = "FRAMECAST_LATENCY_TEST_CLOCK"

func TestMain(m *testing.M) {
	if size := os.Getenv(clockEnv); size != "" {
		if err := run(context.Background(), []string{"clock", "-size", size}, os.Stdout); err != nil && !strings.Contains(err.Error(), "broken pipe") {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// clockCamera is a source running this test binary as the clock, piped
// into ffmpeg with the encoder arguments enc.
func clockCamera(t *testing.T, enc string) *execsrc.Source {
	ff := fake.Tool(t, "ffmpeg")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &execsrc.Source{
		Args:   []string{"sh", "-c", `"$0" | exec "$1" -hide_banner -loglevel error -f rawvideo -pix_fmt yuv420p -video_size 320x240 -framerate 30 -i - ` + enc, self, ff},
		Env:    append(os.Environ(), clockEnv+"=320x240"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// TestMeasure: in framecast's own page in Chromium, the probe reads the
// stamps of an H.264 camera played over WebRTC and of an MJPEG camera:
// every picture shown has a readable stamp, at least half of them are
// new ones (Chromium may present a picture twice), stamps only grow, none
// is from the future, and a new viewer's first picture is read too.
func TestMeasure(t *testing.T) {
	chromium := fake.Tool(t, "chromium")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	h264 := hub.New(hub.Config{Name: "h264", Codec: hub.H264, Logger: quiet,
		Source: clockCamera(t, "-c:v libx264 -preset ultrafast -tune zerolatency -g 30 -f h264 -")})
	t.Cleanup(h264.Close)
	jpeg := hub.New(hub.Config{Name: "jpeg", Logger: quiet,
		Source: clockCamera(t, "-c:v mjpeg -q:v 5 -f mjpeg -")})
	t.Cleanup(jpeg.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: (&server.Server{Cameras: []*hub.Hub{h264, jpeg}, Logger: quiet, WHEP: w}).Handler()}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	base := "http://" + ln.Addr().String() + "/"

	b, err := newBrowser(chromium)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)
	const n = 20
	for _, cam := range []string{"h264", "jpeg"} {
		st, _, _, err := b.steady(base, cam, 0, n)
		if err != nil {
			t.Fatalf("%s: %v", cam, err)
		}
		ss, bad := samples(st)
		if bad > 0 || len(ss) < n/2 {
			t.Errorf("%s: %d of %d pictures read, %d unreadable", cam, len(ss), len(st.Frames), bad)
		}
		for i, s := range ss {
			// Date.now() and the clock read the same wall clock in whole
			// milliseconds.
			if s.shown < -1 {
				t.Errorf("%s: picture %d shown %.0f ms before its stamp %d", cam, i, -s.shown, s.stamp)
			}
			if i > 0 && s.stamp <= ss[i-1].stamp {
				t.Errorf("%s: picture %d has stamp %d after %d", cam, i, s.stamp, ss[i-1].stamp)
			}
		}
		st, _, err = b.join(base, cam, time.Millisecond, 1)
		if err != nil {
			t.Fatalf("%s: joining: %v", cam, err)
		}
		j := joinOf(st)
		if _, err := decode(st.Frames[0].Cells); err != nil || j.steps[stepFirst] <= j.steps[stepPlayer] {
			t.Errorf("%s: a new viewer's first picture: %v; player started at %.0f ms, first picture at %.0f ms",
				cam, err, j.steps[stepPlayer], j.steps[stepFirst])
		}
	}
}
