package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/internal/server"
)

// TestRecordings: the recordings page lists what a recorder wrote of an
// H.264 camera and plays it in a <video>, and plays a timelapse hour of an
// MJPEG camera as pictures.
func TestRecordings(t *testing.T) {
	door := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "320x240", "15"), Codec: hub.H264, IdleTimeout: time.Second, Logger: quiet})
	t.Cleanup(door.Close)
	doorRec := &record.Recorder{Hub: door, Dir: t.TempDir(), Segment: time.Second, MinFree: -1, Logger: quiet}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- doorRec.Run(ctx) }()
	fake.WaitFor(t, "a recorded file", func() bool { return doorRec.Status().FilesWritten >= 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	desk := camera(t, "desk", pattern("desk"))
	deskRec := &record.Recorder{Hub: desk, Dir: t.TempDir(), Logger: quiet}
	for i, p := range []string{"2026-12-02/04/04-00-00.jpg", "2026-12-02/04/04-00-10.jpg", "2026-12-02/04/04-00-20.jpg"} {
		name := filepath.Join(deskRec.Dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, fake.JPEG(64, 48, i), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	st := serveServer(t, &server.Server{Cameras: []*hub.Hub{door, desk}, Recorders: []*record.Recorder{doorRec, deskRec}, Logger: quiet})
	tb := open(t, st.url()+"recordings?camera=door")
	tb.wait("the door's recordings listed", `document.querySelectorAll("#days li").length >= 1`)
	// The oldest file is whole; the newest ended when the recorder stopped.
	tb.do("play the oldest recording", evalVoid(`(() => { const b = document.querySelectorAll("#days li button"); b[b.length - 1].click(); })()`))
	tb.wait("the recording to play pictures of the camera's size",
		`(() => { const v = document.getElementById("video");
		  return !v.hidden && v.videoWidth === 320 && v.videoHeight === 240 && v.currentTime > 0.3; })()`)
	if got := eval[string](tb, `document.getElementById("download").getAttribute("href")`); got == "" {
		t.Error("no download link")
	}

	tb = open(t, st.url()+"recordings?camera=desk")
	tb.wait("the desk's pictures listed", `document.querySelectorAll("#days li").length === 3`)
	tb.do("play the hour", chromedp.Click(chromedp.CSS(`#days details > button`)))
	tb.wait("the strip and the last picture",
		`(() => { const p = document.getElementById("picture");
		  return document.querySelectorAll("#strip img").length === 3 && p.naturalWidth === 64 &&
		    p.src.endsWith("04-00-20.jpg"); })()`)
	if errs := tb.errors(); len(errs) > 0 {
		t.Errorf("console: %v", errs)
	}
}
