package hub_test

import (
	"context"
	"testing"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// detailed is a source that says what it really runs with.
type detailed struct{ detail string }

func (d *detailed) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	<-ctx.Done()
	return nil
}

func (d *detailed) Detail() string { return d.detail }

func TestSourceAndDetail(t *testing.T) {
	src := &detailed{detail: "/dev/video0: YUYV 640x480 at 30 fps"}
	h := hub.New(hub.Config{Name: "c", Source: src, Describe: "v4l2 /dev/video0", IdleTimeout: 1})
	defer h.Close()
	if h.Source() != hub.Source(src) || h.Describe() != "v4l2 /dev/video0" {
		t.Errorf("Source() = %v, Describe() = %q", h.Source(), h.Describe())
	}
	if st := h.Status(); st.SourceDetail != src.detail || st.Source != "v4l2 /dev/video0" {
		t.Errorf("status source %q, detail %q", st.Source, st.SourceDetail)
	}
	plain := hub.New(hub.Config{Name: "p", Source: hub.SourceFunc(func(ctx context.Context, _ func(mjpeg.Frame)) error {
		<-ctx.Done()
		return nil
	}), IdleTimeout: 1})
	defer plain.Close()
	if st := plain.Status(); st.SourceDetail != "" {
		t.Errorf("detail %q from a source that has none", st.SourceDetail)
	}
}
