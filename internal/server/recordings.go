package server

import (
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

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

// recordingsList is the JSON of /api/cameras/{name}/recordings.
type recordingsList struct {
	Camera string `json:"camera"`
	// Kind is "timelapse" (JPEG pictures) or "mp4".
	Kind  string          `json:"kind"`
	Files []recordingFile `json:"files"`
}

// recordingFile is one file in the list: its length in seconds for an
// MP4 file, as far as its last whole fragment.
type recordingFile struct {
	record.File
	Seconds float64 `json:"seconds,omitempty"`
}

// recordingRoutes adds the recordings' page, list and files to mux. They
// ask for the password like the controls do: tokens never open them, and
// public_status does not make them public.
func (s *Server) recordingRoutes(mux *http.ServeMux, page fs.FS) {
	mux.HandleFunc("GET /recordings", func(w http.ResponseWriter, r *http.Request) {
		if s.allow(w, r, nil) {
			http.ServeFileFS(w, r, page, "recordings.html")
		}
	})
	mux.HandleFunc("GET /api/cameras/{name}/recordings", s.recordingRoute(s.listRecordings))
	mux.HandleFunc("GET /api/cameras/{name}/recordings/{path...}", s.recordingRoute(s.serveRecording))
}

// recordingRoute checks the password and finds the camera's recorder.
func (s *Server) recordingRoute(fn func(http.ResponseWriter, *http.Request, *record.Recorder)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.allow(w, r, nil) {
			return
		}
		name := r.PathValue("name")
		rec := s.recorder(name)
		if rec == nil {
			httpError(w, http.StatusNotFound, "camera "+strconv.Quote(name)+" does not record (record.mode: continuous records it)")
			return
		}
		fn(w, r, rec)
	}
}

func (s *Server) listRecordings(w http.ResponseWriter, r *http.Request, rec *record.Recorder) {
	files, err := rec.Files()
	if err != nil {
		s.Logger.Error("listing recordings", "camera", rec.Hub.Name(), "err", err)
		httpError(w, http.StatusInternalServerError, "cannot list the recordings: see the log")
		return
	}
	body := recordingsList{Camera: rec.Hub.Name(), Kind: rec.Kind(), Files: make([]recordingFile, len(files))}
	for i, f := range files {
		body.Files[i].File = f
		if rec.Kind() == "mp4" {
			if fh, err := rec.Open(f.Path); err == nil {
				if d, err := record.Length(fh); err == nil {
					body.Files[i].Seconds = d.Seconds()
				}
				fh.Close()
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(body)
}

// serveRecording answers one recorded file, with ranges (a browser's
// <video> seeks with them) and ?download=1 for a download.
func (s *Server) serveRecording(w http.ResponseWriter, r *http.Request, rec *record.Recorder) {
	rel := r.PathValue("path")
	f, err := rec.Open(rel)
	if err != nil {
		httpError(w, http.StatusNotFound, "no such recording")
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		httpError(w, http.StatusNotFound, "no such recording")
		return
	}
	if path.Ext(rel) == ".mp4" {
		w.Header().Set("Content-Type", "video/mp4")
	} else {
		w.Header().Set("Content-Type", "image/jpeg")
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	if r.URL.Query().Get("download") != "" {
		name := rec.Hub.Name() + "-" + strings.NewReplacer("/", "-").Replace(rel)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	http.ServeContent(w, r, "", info.ModTime(), f)
}
