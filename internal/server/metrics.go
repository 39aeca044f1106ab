package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/framecast/framecast/internal/hub"
)

// metricsContentType is the Prometheus text exposition format, version 0.0.4.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// states are the values of the framecast_state metric, one series each.
var states = []hub.State{hub.Idle, hub.Starting, hub.Running, hub.Failed}

// metrics answers /metrics in the Prometheus text format, written by hand:
// a few dozen lines do not need a client library.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	sts := make([]hub.Status, len(s.Cameras))
	for i, h := range s.Cameras {
		sts[i] = h.Status()
	}
	var b []byte
	family := func(name, typ, help string) {
		b = append(b, "# HELP "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, help...)
		b = append(b, "\n# TYPE "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, typ...)
		b = append(b, '\n')
	}
	sample := func(name string, v float64, labels ...string) {
		b = append(b, name...)
		if len(labels) > 0 {
			b = append(b, '{')
			for i := 0; i+1 < len(labels); i += 2 {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, labels[i]...)
				b = append(b, `="`...)
				b = append(b, labelEscaper.Replace(labels[i+1])...)
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		b = append(b, ' ')
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
		b = append(b, '\n')
	}
	perCamera := func(name, typ, help string, value func(hub.Status) float64) {
		family(name, typ, help)
		for _, st := range sts {
			sample(name, value(st), "camera", st.Name)
		}
	}

	family("framecast_info", "gauge", "Version of the running framecast; always 1.")
	sample("framecast_info", 1, "version", Version)
	family("framecast_uptime_seconds", "gauge", "Seconds since the server started.")
	sample("framecast_uptime_seconds", time.Since(s.started).Seconds())
	perCamera("framecast_viewers", "gauge", "Clients of the camera now: streams and waiting snapshots.",
		func(st hub.Status) float64 { return float64(st.Viewers) })
	perCamera("framecast_frames_captured_total", "counter", "Frames the camera's source delivered.",
		func(st hub.Status) float64 { return float64(st.FramesCaptured) })
	perCamera("framecast_frames_sent_total", "counter", "Frames sent to viewers, summed over viewers.",
		func(st hub.Status) float64 { return float64(st.FramesSent) })
	perCamera("framecast_frames_dropped_total", "counter", "Frames the source lost: broken or oversized ones dropped, frames a device skipped or shed while busy.",
		func(st hub.Status) float64 { return float64(st.FramesDropped) })
	perCamera("framecast_bytes_captured_total", "counter", "Bytes of the frames the source delivered.",
		func(st hub.Status) float64 { return float64(st.BytesCaptured) })
	perCamera("framecast_bytes_sent_total", "counter", "Bytes sent to viewers, summed over viewers.",
		func(st hub.Status) float64 { return float64(st.BytesSent) })
	perCamera("framecast_source_restarts_total", "counter", "Times the source failed and was restarted.",
		func(st hub.Status) float64 { return float64(st.Restarts) })
	perCamera("framecast_capture_fps", "gauge", "Frames per second the source delivers now.",
		func(st hub.Status) float64 { return st.FPS })
	perCamera("framecast_last_frame_timestamp_seconds", "gauge", "Unix time of the newest frame; 0 before the first.",
		func(st hub.Status) float64 {
			if st.LastFrame == nil {
				return 0
			}
			return float64(st.LastFrame.UnixMicro()) / 1e6
		})
	family("framecast_state", "gauge", "1 for the state the camera's source is in (idle, starting, running, failed), else 0.")
	for _, st := range sts {
		for _, state := range states {
			v := 0.0
			if st.State == state {
				v = 1
			}
			sample("framecast_state", v, "camera", st.Name, "state", string(state))
		}
	}
	s.recordMetrics(family, sample)
	family("framecast_auth_failures_total", "counter", "Failed logins and invalid tokens.")
	sample("framecast_auth_failures_total", float64(s.auth.failures.Load()))
	family("framecast_viewers_rejected_total", "counter", "Streams refused because a viewer limit was reached.")
	sample("framecast_viewers_rejected_total", float64(s.viewers.rejected.Load()))

	w.Header().Set("Content-Type", metricsContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// labelEscaper escapes a label value for the text format.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
