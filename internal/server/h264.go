package server

import (
	"net/http"
	"strconv"

	"github.com/framecast/framecast/internal/hub"
)

// mjpegHub returns the hub whose JPEGs the MJPEG routes (stream, snapshot)
// of camera h serve: h itself, or for an H.264 camera the hub decoding it
// (Decoded). An H.264 camera without one gets 503, and ok is false.
func (s *Server) mjpegHub(w http.ResponseWriter, h *hub.Hub) (mh *hub.Hub, ok bool) {
	if h.Codec() != hub.H264 {
		return h, true
	}
	if d := s.Decoded[h]; d != nil {
		return d, true
	}
	httpError(w, http.StatusServiceUnavailable, "camera "+strconv.Quote(h.Name())+
		" sends H.264, which browsers play over WebRTC (the page does, through /cam/"+h.Name()+"/whep); "+
		"its MJPEG stream and snapshot are decoded by ffmpeg, which was not found in PATH")
	return nil, false
}
