package server

import (
	"github.com/framecast/framecast/internal/record"
)

// recorder returns the recorder of the camera named name, or nil.
func (s *Server) recorder(name string) *record.Recorder {
	for _, r := range s.Recorders {
		if r.Hub.Name() == name {
			return r
		}
	}
	return nil
}

// recordStatus returns the status of the camera's recording, or nil when
// it does not record.
func (s *Server) recordStatus(name string) *record.Status {
	r := s.recorder(name)
	if r == nil {
		return nil
	}
	st := r.Status()
	return &st
}

// recordMetrics writes the recorders' metrics with /metrics' family and
// sample.
func (s *Server) recordMetrics(family func(name, typ, help string), sample func(name string, v float64, labels ...string)) {
	if len(s.Recorders) == 0 {
		return
	}
	sts := make([]record.Status, len(s.Recorders))
	for i, r := range s.Recorders {
		sts[i] = r.Status()
	}
	each := func(name, typ, help string, value func(record.Status) float64) {
		family(name, typ, help)
		for i, st := range sts {
			sample(name, value(st), "camera", s.Recorders[i].Hub.Name())
		}
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	each("framecast_record_bytes_written_total", "counter", "Bytes the recorder wrote since the server started.",
		func(st record.Status) float64 { return float64(st.BytesWritten) })
	each("framecast_record_files_written_total", "counter", "Files the recorder finished since the server started.",
		func(st record.Status) float64 { return float64(st.FilesWritten) })
	each("framecast_record_files", "gauge", "Recorded files kept on disk.",
		func(st record.Status) float64 { return float64(st.Files) })
	each("framecast_record_bytes", "gauge", "Bytes of the recorded files kept on disk.",
		func(st record.Status) float64 { return float64(st.Bytes) })
	each("framecast_record_oldest_timestamp_seconds", "gauge", "Unix time of the oldest recording kept; 0 when none is.",
		func(st record.Status) float64 {
			if st.Oldest == nil {
				return 0
			}
			return float64(st.Oldest.Unix())
		})
	each("framecast_record_free_bytes", "gauge", "Free space of the recordings' disk when last checked.",
		func(st record.Status) float64 { return float64(st.FreeBytes) })
	each("framecast_record_paused", "gauge", "1 while recording is paused because the disk is nearly full, else 0.",
		func(st record.Status) float64 { return b2f(st.Paused) })
}
