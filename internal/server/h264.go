package server

import (
	"net/http"
	"strconv"

	"github.com/framecast/framecast/internal/hub"
)

// notJPEG answers 503 for the MJPEG routes (stream, snapshot) of an H.264
// camera, which has no JPEG to give, and reports whether it did.
func notJPEG(w http.ResponseWriter, h *hub.Hub) bool {
	if h.Codec() != hub.H264 {
		return false
	}
	httpError(w, http.StatusServiceUnavailable, "camera "+strconv.Quote(h.Name())+
		" sends H.264, which browsers play over WebRTC (the page does, through /cam/"+h.Name()+"/whep); "+
		"its MJPEG stream and snapshot need an H.264 decoder, which framecast does not have")
	return true
}
