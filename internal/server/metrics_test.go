package server_test

import (
	"context"
	"io"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsParse checks /metrics with Prometheus's own text parser: every
// family has HELP and TYPE, and the values follow the cameras.
func TestMetricsParse(t *testing.T) {
	srv := secServer(io.Discard)
	ts := secServe(t, srv)
	good := basic(secUser, secPassword)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	frames := secStream(t, ctx, nil, ts.URL+"/cam/two/stream", good)
	// Four frames: a part is counted once its write returned, which is
	// after the client may have it, but before the next part is written.
	for range 4 {
		nextFrame(t, frames)
	}
	get(t, ts.URL+"/snapshot", basic(secUser, "hunter2-guess")) // one failure

	resp, body := get(t, ts.URL+"/metrics", good)
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	want := map[string]dto.MetricType{
		"framecast_info":                         dto.MetricType_GAUGE,
		"framecast_uptime_seconds":               dto.MetricType_GAUGE,
		"framecast_viewers":                      dto.MetricType_GAUGE,
		"framecast_frames_captured_total":        dto.MetricType_COUNTER,
		"framecast_frames_sent_total":            dto.MetricType_COUNTER,
		"framecast_frames_dropped_total":         dto.MetricType_COUNTER,
		"framecast_bytes_captured_total":         dto.MetricType_COUNTER,
		"framecast_bytes_sent_total":             dto.MetricType_COUNTER,
		"framecast_source_restarts_total":        dto.MetricType_COUNTER,
		"framecast_capture_fps":                  dto.MetricType_GAUGE,
		"framecast_last_frame_timestamp_seconds": dto.MetricType_GAUGE,
		"framecast_state":                        dto.MetricType_GAUGE,
		"framecast_auth_failures_total":          dto.MetricType_COUNTER,
		"framecast_viewers_rejected_total":       dto.MetricType_COUNTER,
	}
	for name, typ := range want {
		f := fams[name]
		if f == nil {
			t.Errorf("no family %s", name)
			continue
		}
		if f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("%s: type %v help %q", name, f.GetType(), f.GetHelp())
		}
	}
	if len(fams) != len(want) {
		t.Errorf("%d families, want %d", len(fams), len(want))
	}
	// value returns the sample of family name with the given labels.
	value := func(name string, labels ...string) float64 {
		t.Helper()
	metrics:
		for _, m := range fams[name].GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			if m.Gauge != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
		t.Fatalf("no %s%v", name, labels)
		return 0
	}
	if v := value("framecast_viewers", "camera", "two"); v != 1 {
		t.Errorf("viewers of two = %v, want 1", v)
	}
	if v := value("framecast_frames_sent_total", "camera", "two"); v < 3 {
		t.Errorf("frames sent by two = %v, want ≥ 3", v)
	}
	if v := value("framecast_frames_captured_total", "camera", "two"); v < 3 {
		t.Errorf("frames captured by two = %v", v)
	}
	if v := value("framecast_bytes_sent_total", "camera", "two"); v <= 0 {
		t.Errorf("bytes sent by two = %v", v)
	}
	if v := value("framecast_state", "camera", "two", "state", "running"); v != 1 {
		t.Errorf("two running = %v", v)
	}
	if v := value("framecast_state", "camera", "two", "state", "idle"); v != 0 {
		t.Errorf("two idle = %v", v)
	}
	if v := value("framecast_auth_failures_total"); v != 1 {
		t.Errorf("auth failures = %v, want 1", v)
	}
	if v := value("framecast_info", "version", "dev"); v != 1 {
		t.Errorf("info = %v", v)
	}
	states := 0
	for _, m := range fams["framecast_state"].GetMetric() {
		states += int(m.GetGauge().GetValue())
	}
	if states != 2 {
		t.Errorf("%d states set, want one per camera", states)
	}
}
