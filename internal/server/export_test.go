package server

// SetFailMax sets how many failed attempts a client may make in a minute
// before it is refused, for tests whose requests all come from 127.0.0.1.
func SetFailMax(s *Server, n int) { s.failMax = n }
