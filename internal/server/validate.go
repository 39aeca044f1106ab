package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Validate reports the first problem with s's security settings, naming the
// field: a user name that basic auth cannot carry, a password that is not a
// bcrypt hash, a token that is short, repeated or names no camera, a bad
// AllowOrigin, or a negative limit. Handler does not call it; a caller that
// loads settings should, and refuse to start on an error.
func (s *Server) Validate() error {
	for name, hash := range s.Users {
		if name == "" || strings.ContainsAny(name, ":\r\n") {
			return fmt.Errorf("users: user name %q: use a non-empty name without ':'", name)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("users: %s: password is not a bcrypt hash (make one with framecast hash-password): %v", name, err)
		}
	}
	cams := map[string]bool{}
	var names []string
	for _, h := range s.Cameras {
		cams[h.Name()] = true
		names = append(names, strconv.Quote(h.Name()))
	}
	seen := map[string]bool{}
	for i, t := range s.Tokens {
		switch {
		case !cams[t.Camera]:
			return fmt.Errorf("tokens[%d]: camera %q does not exist: use one of %s", i, t.Camera, strings.Join(names, ", "))
		case len(t.Secret) < MinTokenLen:
			return fmt.Errorf("tokens[%d] (camera %q): token is %d characters: use at least %d", i, t.Camera, len(t.Secret), MinTokenLen)
		case strings.ContainsAny(t.Secret, "&#%+ \t\r\n"):
			return fmt.Errorf("tokens[%d] (camera %q): token must not contain & # %% + or spaces, which URLs change", i, t.Camera)
		case seen[t.Secret]:
			return fmt.Errorf("tokens[%d] (camera %q): the same token is given twice", i, t.Camera)
		}
		seen[t.Secret] = true
	}
	if s.AllowOrigin != "" {
		if err := checkOrigin(s.AllowOrigin); err != nil {
			return err
		}
	}
	switch {
	case s.MaxViewers < 0:
		return errors.New("max-viewers: " + strconv.Itoa(s.MaxViewers) + " is negative: use 0 for no limit")
	case s.MaxViewersPerCamera < 0:
		return errors.New("max-viewers-per-camera: " + strconv.Itoa(s.MaxViewersPerCamera) + " is negative: use 0 for no limit")
	}
	return nil
}
