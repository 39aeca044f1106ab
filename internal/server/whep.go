package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/whep"
)

// maxOffer bounds a WHEP offer's body; browsers' offers are a few KB.
const maxOffer = 64 << 10

// whepRoutes adds the WHEP routes (RFC 9725): POST an SDP offer to
// /cam/{name}/whep (or /whep for the default camera), DELETE the Location
// it answers to end the session.
func (s *Server) whepRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /whep", func(w http.ResponseWriter, r *http.Request) { s.whepOffer(w, r, s.Cameras[0]) })
	mux.HandleFunc("POST /cam/{name}/whep", s.perCamera(s.whepOffer))
	mux.HandleFunc("DELETE /cam/{name}/whep/{id}", s.perCamera(s.whepEnd))
}

// whepOffer reports whether path takes a WHEP offer (a POST with a body).
func whepOffer(path string) bool {
	return path == "/whep" || strings.HasPrefix(path, "/cam/") && strings.HasSuffix(path, "/whep")
}

// offerTimeout bounds the reading of an offer's body.
const offerTimeout = 10 * time.Second

// whepOffer answers an SDP offer with a session of camera h: auth and the
// viewer limits as for a stream, whose place the session takes.
func (s *Server) whepOffer(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	s.cors(w)
	if !s.allowBody(w, r, h, offerTimeout) {
		return
	}
	if h.Codec() != hub.H264 {
		httpError(w, http.StatusConflict, "camera "+strconv.Quote(h.Name())+" sends MJPEG, not H.264: watch /cam/"+h.Name()+"/stream")
		return
	}
	if s.WHEP == nil {
		httpError(w, http.StatusServiceUnavailable, "WebRTC is not running on this server")
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/sdp" {
		httpError(w, http.StatusUnsupportedMediaType, "a WHEP offer is sent with Content-Type: application/sdp")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOffer))
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "the offer is larger than 64 KiB")
		return
	}
	release, ok := s.admit(w, h)
	if !ok {
		return
	}
	id, answer, err := s.WHEP.Offer(h, r.RemoteAddr, string(body), release)
	if err != nil {
		release()
		switch {
		case errors.Is(err, whep.ErrBadOffer), errors.Is(err, whep.ErrNoH264):
			httpError(w, http.StatusBadRequest, err.Error())
		case errors.Is(err, whep.ErrTooMany):
			w.Header().Set("Retry-After", "10")
			httpError(w, http.StatusServiceUnavailable, err.Error())
		default:
			s.Logger.Error("webrtc offer", "camera", h.Name(), "err", err)
			httpError(w, http.StatusInternalServerError, "cannot start a WebRTC session")
		}
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/sdp")
	// Relative, so it holds under a reverse proxy's path prefix too.
	loc := "whep/" + id
	if !strings.HasPrefix(r.URL.Path, "/cam/") {
		loc = "cam/" + url.PathEscape(h.Name()) + "/whep/" + id
	}
	hd.Set("Location", loc)
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

// whepEnd ends a session (DELETE on the Location its offer was given).
func (s *Server) whepEnd(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	s.cors(w)
	if !s.allow(w, r, h) {
		return
	}
	if s.WHEP == nil || s.WHEP.End(h, r.PathValue("id")) != nil {
		httpError(w, http.StatusNotFound, "no such WebRTC session (it may have ended)")
		return
	}
	w.WriteHeader(http.StatusOK)
}
