package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/framecast/framecast/hub"
	"github.com/framecast/framecast/mjpeg"
)

var (
	opening = mjpeg.OpeningBoundary(mjpeg.Boundary)
	trailer = mjpeg.PartTrailer(mjpeg.Boundary)
)

// stream sends h's frames as multipart/x-mixed-replace until the client
// leaves. A viewer always gets the newest frame; one that is slower than the
// camera skips frames rather than queueing them.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	fps, err := parseFPS(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	v := h.Join(r.RemoteAddr)
	defer v.Leave()

	hd := w.Header()
	hd.Set("Content-Type", mjpeg.ContentType(mjpeg.Boundary))
	hd.Set("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
	hd.Set("Pragma", "no-cache")
	hd.Set("X-Accel-Buffering", "no") // nginx in front must not buffer a live stream
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if !s.write(w, rc, opening) {
		return
	}

	var interval, due time.Duration // the ?fps= cap, on the frames' own clock
	if fps > 0 {
		interval = time.Duration(float64(time.Second) / fps)
	}
	var seq uint64
	var epoch time.Time
	for {
		f, err := h.Next(r.Context(), seq)
		if err != nil {
			return
		}
		seq = f.Seq
		if interval > 0 {
			if epoch.IsZero() {
				epoch = f.Time
			}
			at := f.Time.Sub(epoch)
			// A frame a little early still counts, or a 30 fps camera capped
			// at 15 would send every third frame instead of every second.
			if at+interval/4 < due {
				continue
			}
			due = max(due+interval, at)
		}
		if !s.write(w, rc, f.Header, f.Data, trailer) {
			return
		}
		v.Frames.Add(1)
		v.Bytes.Add(int64(len(f.Header) + len(f.Data) + len(trailer)))
	}
}

// write sends bufs and flushes them, giving up on a client that takes nothing
// for WriteTimeout.
func (s *Server) write(w http.ResponseWriter, rc *http.ResponseController, bufs ...[]byte) bool {
	rc.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
	for _, b := range bufs {
		if _, err := w.Write(b); err != nil {
			return false
		}
	}
	return rc.Flush() == nil
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
		msg := "camera " + strconv.Quote(h.Name()) + " has no picture yet"
		if errors.Is(err, hub.ErrNoFrame) {
			if st := h.Status(); st.LastError != "" {
				msg += ": " + st.LastError
			}
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
