package execsrc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// serveSource serves one hub around src on 127.0.0.1.
func serveSource(t *testing.T, src hub.Source) (*hub.Hub, *httptest.Server, *syncBuffer) {
	t.Helper()
	log, logs := testLogger()
	h := hub.New(hub.Config{Name: "cam1", Source: src, IdleTimeout: 50 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Logger: log,
		NoSignal: func(w, hh int, _ time.Duration) ([]byte, error) { return fake.Gray(w, hh, 7), nil }})
	ts := httptest.NewServer((&server.Server{Cameras: []*hub.Hub{h}, Logger: log}).Handler())
	t.Cleanup(func() {
		ts.Close()
		h.Close()
	})
	return h, ts, logs
}

func TestFFmpegThroughHub(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	cmd, err := config.Split(ff + ` -hide_banner -loglevel error -re -f lavfi -i "testsrc2=size=320x240:rate=30" -f mjpeg -`)
	if err != nil {
		t.Fatal(err)
	}
	_, ts, _ := serveSource(t, &execsrc.Source{Args: cmd})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parts := fake.Stream(ctx, t, ts.URL+"/stream")
	deadline := time.After(bound)
	for n := 0; n < 10; {
		select {
		case p := <-parts:
			if w, h, err := mjpeg.Size(p); err == nil && w == 320 && h == 240 && strings.Contains(string(p), "Lavc") {
				n++
			}
		case <-deadline:
			t.Fatal("no frames from ffmpeg")
		}
	}
}

func TestMissingCommandInStatus(t *testing.T) {
	_, ts, logs := serveSource(t, &execsrc.Source{Args: []string{"framecast-no-such-program", "-x"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parts := fake.Stream(ctx, t, ts.URL+"/stream")
	want := `exec: "framecast-no-such-program": executable file not found in $PATH`
	deadline := time.After(bound)
	for {
		select {
		case <-parts: // the no-signal cards
		case <-deadline:
			t.Fatalf("status never said %s", want)
		}
		resp, err := http.Get(ts.URL + "/api/status")
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Cameras []hub.Status }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if body.Cameras[0].LastError == want {
			if !strings.Contains(logs.String(), `err="`+strings.ReplaceAll(want, `"`, `\"`)+`"`) {
				t.Errorf("log lacks the error:\n%s", logs)
			}
			return
		}
	}
}

// The hub reports the frames every source drops.
var _ hub.Dropper = (*execsrc.Source)(nil)
