package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/framecast/framecast/internal/hub"
)

// serveSnapshot is a snapshot route: auth, then the snapshot. Snapshots are
// short, so the viewer limits do not count them.
func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	s.cors(w)
	if !s.allow(w, r, h) {
		return
	}
	if mh, ok := s.mjpegHub(w, h); ok {
		s.snapshot(w, r, mh)
	}
}

// snapshot answers with the newest frame, starting the camera when it is idle.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	ctx, cancel := context.WithTimeout(r.Context(), s.SnapshotTimeout)
	defer cancel()
	f, err := h.Snapshot(ctx, r.RemoteAddr)
	if err != nil {
		if r.Context().Err() != nil {
			return // the client left
		}
		// Only that the camera is down and since when: a token holder may
		// read this, and the error is for authenticated status and the log.
		msg := "camera " + strconv.Quote(h.Name()) + " has no picture yet"
		if st := h.Status(); errors.Is(err, hub.ErrNoFrame) && st.LastFrame != nil {
			msg = "camera " + strconv.Quote(h.Name()) + " unavailable since " + st.LastFrame.UTC().Format(time.RFC3339)
		}
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, msg)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/jpeg")
	hd.Set("Content-Length", strconv.Itoa(len(f.Data)))
	hd.Set("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
	hd.Set("X-Timestamp", strconv.FormatFloat(float64(f.Time.UnixMicro())/1e6, 'f', 6, 64))
	hd.Set("Content-Disposition", `inline; filename="`+h.Name()+"-"+f.Time.Format("20060102-150405")+`.jpg"`)
	w.Write(f.Data)
}
