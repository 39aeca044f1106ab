package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
)

// statusBody is the JSON of /api/status.
type statusBody struct {
	Version       string         `json:"version"`
	UptimeSeconds float64        `json:"uptime_seconds"`
	Cameras       []cameraStatus `json:"cameras"`
}

// cameraStatus is one camera in /api/status: the hub's figures, and
// whether the camera has tokens (never the tokens), so the page can say
// how to make a URL with one.
type cameraStatus struct {
	hub.Status
	Tokens bool `json:"tokens,omitempty"`
	// Record is the camera's recording, when it records.
	Record *record.Status `json:"record,omitempty"`
}

// Version is reported by /api/status; the build sets it.
var Version = "dev"

// status answers /api/status: to everyone with PublicStatus, else to those
// auth lets in. A token holder reads its own camera only, without what is
// for the camera's owner: the source, why it failed, who watches, the
// recording.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	var token *Token
	if !s.PublicStatus {
		var ok bool
		if token, ok = s.allowViewer(w, r); !ok {
			return
		}
	}
	body := statusBody{Version: Version, UptimeSeconds: time.Since(s.started).Seconds()}
	for _, h := range s.Cameras {
		if token != nil && h.Name() != token.Camera {
			continue
		}
		cs := cameraStatus{Status: h.Status(), Record: s.recordStatus(h.Name())}
		if token != nil {
			cs.Source, cs.SourceDetail, cs.LastError, cs.ViewerList, cs.Record = "", "", "", nil, nil
		}
		for _, t := range s.Tokens {
			cs.Tokens = cs.Tokens || t.Camera == h.Name()
		}
		body.Cameras = append(body.Cameras, cs)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(body)
}
