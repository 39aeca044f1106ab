package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/framecast/framecast/internal/hls"
	"github.com/framecast/framecast/internal/hub"
)

// Cache lifetimes of HLS answers. Segments, parts and the init segment never
// change under their names (each run of a Muxer names its files afresh);
// the playlist changes with every part.
const (
	hlsImmutable = "max-age=31536000, immutable"
	// A playlist without _HLS_msn is read once by a player joining; a
	// second is about five parts, and the player's next (blocking) request
	// catches up.
	hlsPlaylist = "max-age=1"
)

// serveHLS serves /cam/{name}/hls/{file} (and /hls/{file} for the first
// camera): the LL-HLS playlist index.m3u8, and the init segment, segments
// and parts it names.
//
// Auth: with no users and no tokens configured every camera is public and
// its HLS is open. Otherwise the camera's ?token= opens it, carried into
// every URI of the playlist, so a CDN or nginx cache keys each token's
// answers apart; basic auth opens it too, with answers marked private so
// that no shared cache hands them to anyone else.
func (s *Server) serveHLS(w http.ResponseWriter, r *http.Request, h *hub.Hub) {
	if !s.allow(w, r, h) {
		return
	}
	if h.Codec() != hub.H264 {
		hlsError(w, r, hls.ErrNotFound, "camera "+strconv.Quote(h.Name())+
			" sends MJPEG, and HLS is made from H.264 cameras only: watch its MJPEG stream at /cam/"+h.Name()+"/stream")
		return
	}
	s.cors(w)
	scope := "public, "
	query := ""
	if token := r.URL.Query().Get("token"); token != "" {
		query = url.Values{"token": {token}}.Encode()
	} else if s.auth.on {
		scope = "private, "
	}
	file := r.PathValue("file")
	if file == "index.m3u8" {
		s.serveHLSPlaylist(w, r, h, scope, query)
		return
	}
	m, release := s.hls.Lookup(h)
	defer release()
	if m == nil {
		hlsError(w, r, hls.ErrNotFound, "no HLS stream runs for camera "+strconv.Quote(h.Name())+": load index.m3u8 first")
		return
	}
	data, err := m.File(r.Context(), file)
	if err != nil {
		hlsError(w, r, err, err.Error())
		return
	}
	hdr := w.Header()
	hdr.Set("Cache-Control", scope+hlsImmutable)
	hdr.Set("Content-Type", "video/mp4")
	hdr.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// serveHLSPlaylist serves index.m3u8, with a blocking reload when asked.
func (s *Server) serveHLSPlaylist(w http.ResponseWriter, r *http.Request, h *hub.Hub, scope, query string) {
	q := r.URL.Query()
	reload, err := hls.ParseReload(q.Get)
	if err != nil {
		hlsError(w, r, err, err.Error())
		return
	}
	m, release := s.hls.Acquire(h)
	defer release()
	if m == nil {
		hlsError(w, r, hls.ErrStopped, "server shutting down")
		return
	}
	data, err := m.Playlist(r.Context(), reload, query)
	if errors.Is(err, hls.ErrStopped) && !reload.Block {
		// The Muxer stopped as this request came (idle, or a new picture
		// size): a new one answers.
		release()
		m, release = s.hls.Acquire(h)
		defer release()
		if m != nil {
			data, err = m.Playlist(r.Context(), reload, query)
		}
	}
	if err != nil {
		hlsError(w, r, err, err.Error())
		return
	}
	hdr := w.Header()
	// A blocking reload's answer holds at least what it waited for, so a
	// cache may give it to every player asking the same (its query is in
	// the cache key); by the time it is stale, players ask for later parts.
	cc := scope + hlsPlaylist
	if reload.Block {
		cc = scope + "max-age=" + strconv.Itoa(hlsBlockingMaxAge)
	}
	hdr.Set("Cache-Control", cc)
	hdr.Set("Content-Type", "application/vnd.apple.mpegurl")
	hdr.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// hlsBlockingMaxAge is how long, in seconds, a cache keeps a blocking
// reload's answer.
const hlsBlockingMaxAge = 10

// hlsError answers an HLS request that failed with err, saying msg. No
// error answer is stored by a cache: a part not made yet will be soon.
func hlsError(w http.ResponseWriter, r *http.Request, err error, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	code := http.StatusServiceUnavailable
	switch {
	case r.Context().Err() != nil:
		return // the client left
	case errors.Is(err, hls.ErrBadRequest):
		code = http.StatusBadRequest
	case errors.Is(err, hls.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, hls.ErrGone):
		code = http.StatusGone
	case errors.Is(err, hls.ErrBusy), errors.Is(err, hls.ErrTimeout), errors.Is(err, hls.ErrStopped):
		w.Header().Set("Retry-After", "1")
	}
	httpError(w, code, msg)
}
