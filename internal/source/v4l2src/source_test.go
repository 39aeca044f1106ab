package v4l2src

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// Every source reports its drops to the hub.
var _ hub.Dropper = (*Source)(nil)

func TestSeqGap(t *testing.T) {
	tests := []struct {
		prev, cur uint32
		want      uint64
	}{
		{0, 1, 0},
		{7, 10, 2},
		{5, 5, 0},                 // repeated (v4l2loopback may hand out a buffer again)
		{0xffffffff, 0, 0},        // wraps
		{0xfffffffe, 1, 2},        // wraps, with a gap
		{1000, 3, 0},              // ran backwards: a restarted count
		{0, 1<<31 - 1, 1<<31 - 2}, // the largest gap believed
	}
	for _, tt := range tests {
		if got := seqGap(tt.prev, tt.cur); got != tt.want {
			t.Errorf("seqGap(%d, %d) = %d, want %d", tt.prev, tt.cur, got, tt.want)
		}
	}
}

// TestDroppedInStatus checks that every kind of frame the Source loses
// reaches /api/status and /metrics through the hub. (TestStackDropped, in
// the VM, has a real driver drop frames.)
func TestDroppedInStatus(t *testing.T) {
	s := &Source{Device: "/dev/video-absent-framecast"}
	s.invalid.Add(1)
	s.corrupt.Add(2)
	s.busy.Add(4)
	s.skipped.Add(8)
	s.frames.Add(100)
	s.dht.Add(100)
	if got := s.Dropped(); got != 15 {
		t.Fatalf("Dropped = %d, want 15 (stats %+v)", got, s.Stats())
	}
	h := hub.New(hub.Config{Name: "cam", Source: s, IdleTimeout: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	defer h.Close()
	ts := httptest.NewServer((&server.Server{Cameras: []*hub.Hub{h}, Logger: slog.New(slog.DiscardHandler)}).Handler())
	defer ts.Close()
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s, %v", path, resp.Status, err)
		}
		return string(b)
	}
	var status struct{ Cameras []hub.Status }
	if err := json.Unmarshal([]byte(get("/api/status")), &status); err != nil || len(status.Cameras) != 1 {
		t.Fatalf("status: %v, %+v", err, status)
	}
	if d := status.Cameras[0].FramesDropped; d != 15 {
		t.Errorf("/api/status frames_dropped = %d, want 15", d)
	}
	if m := get("/metrics"); !strings.Contains(m, `framecast_frames_dropped_total{camera="cam"} 15`) {
		t.Errorf("/metrics lacks the 15 dropped frames:\n%s", m)
	}
}
