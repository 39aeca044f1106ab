package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/framecast/framecast/internal/hub"
)

// statusBody is the JSON of /api/status.
type statusBody struct {
	Version       string       `json:"version"`
	UptimeSeconds float64      `json:"uptime_seconds"`
	Cameras       []hub.Status `json:"cameras"`
}

// Version is reported by /api/status; the build sets it.
var Version = "dev"

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	body := statusBody{Version: Version, UptimeSeconds: time.Since(s.started).Seconds()}
	for _, h := range s.Cameras {
		body.Cameras = append(body.Cameras, h.Status())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(body)
}
