package execsrc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// TestDecoderEnds: a decoder command that fails ends Run with its exit
// status, and one stopped by ctx ends it with nil; either way the decoder
// leaves the camera and its feeding goroutine ends (the race detector and
// the camera's viewer count would show one left behind).
func TestDecoderEnds(t *testing.T) {
	cam := h264Hub(t, fake.H264(t, "160x120", "30"))
	log, _ := testLogger()
	d := &execsrc.Decoder{From: cam, Cmd: execsrc.Source{Logger: log, Args: []string{"sh", "-c", "head -c 1000 >/dev/null; echo no decoder here >&2; exit 3"}}}
	err := d.Run(context.Background(), func(mjpeg.Frame) {})
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "no decoder here") {
		t.Errorf("Run of a failing decoder: %v", err)
	}
	if n := cam.Status().Viewers; n != 0 {
		t.Errorf("%d viewers after the decoder failed", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	d = &execsrc.Decoder{From: cam, Cmd: execsrc.Source{Logger: log, Args: []string{"sh", "-c", "head -c 1000 >/dev/null; exec sleep 600"}}}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, func(mjpeg.Frame) {}) }()
	fake.WaitFor(t, "the decoder joined", func() bool { return cam.Status().Viewers == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run stopped by ctx: %v", err)
	}
	if n := cam.Status().Viewers; n != 0 {
		t.Errorf("%d viewers after the decoder stopped", n)
	}
}
