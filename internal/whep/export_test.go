package whep

import "github.com/pion/webrtc/v4"

// ICEServersOf returns the ICE servers of session id's peer connection.
func (s *Server) ICEServersOf(id string) []webrtc.ICEServer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id].pc.GetConfiguration().ICEServers
}
