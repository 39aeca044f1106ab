package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/framecast/framecast/internal/server"
)

// Validate checks every value and returns all the mistakes found, each an
// *Error naming where the value came from and what is allowed (joined with
// errors.Join), or nil. It reads the TLS certificate and key to check them.
func (c *Config) Validate() error {
	if c.origins == nil {
		c.origins = map[string]origin{}
	}
	errs := slices.Clone(c.fileErrs)
	bad := func(path, format string, args ...any) {
		if !c.leftOut(path) {
			errs = append(errs, c.Errorf(path, format, args...))
		}
	}
	for i := range table {
		if st := &table[i]; !st.Camera && st.rule != nil {
			if err := st.rule.check(st.top(c)); err != nil {
				bad(st.Key, "%v", err)
			}
		}
	}
	c.validateTLS(bad)
	c.validateUsers(bad)
	switch {
	case len(c.Cameras) == 0:
		bad("cameras", "no cameras: list at least one")
	case len(c.Cameras) > MaxCameras:
		bad("cameras", "%d cameras are too many: use at most %d", len(c.Cameras), MaxCameras)
	}
	names := map[string]int{}
	tokens := map[string]string{} // secret → path of its first use
	def := -1
	for i := range c.Cameras {
		cam := &c.Cameras[i]
		at := func(field string) string { return fmt.Sprintf("cameras[%d].%s", i, field) }
		cam.validate(at, bad)
		switch j, dup := names[cam.Name]; {
		case !ValidName(cam.Name) || c.leftOut(at("name")):
			// The table's rule or the file's reading has said so.
		case dup:
			first := fmt.Sprintf("cameras[%d].name", j)
			if c.origins[first].label != "" {
				// A flag renamed the earlier camera: blame the flag.
				bad(first, "%q is already the name of cameras[%d]%s: names must be unique", cam.Name, i, c.onLine(at("name")))
			} else {
				bad(at("name"), "%q is already the name of cameras[%d]%s: names must be unique", cam.Name, j, c.onLine(first))
			}
		default:
			names[cam.Name] = i
		}
		if cam.Default {
			if def >= 0 {
				bad(at("default"), "cameras[%d]%s is already the default: mark one camera only", def, c.onLine(fmt.Sprintf("cameras[%d].default", def)))
			} else {
				def = i
			}
		}
		cam.validateTokens(at, bad, tokens)
	}
	return errors.Join(errs...)
}

// leftOut reports whether the value at path, or one holding it, is one
// the file gave but Parse could not read: its mistake is reported, and its
// default is no mistake of the user's.
func (c *Config) leftOut(path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if c.origins[p].bad {
			return true
		}
	}
	return false
}

// onLine is " (line N)" for a value from the file, or "".
func (c *Config) onLine(path string) string {
	if l := c.lineOf(path); l > 0 {
		return fmt.Sprintf(" (line %d)", l)
	}
	return ""
}

// validate checks the camera's values against the table's rules.
func (cam *Camera) validate(at func(string) string, bad func(string, string, ...any)) {
	for i := range table {
		if st := &table[i]; st.Camera && st.rule != nil {
			if err := st.rule.check(st.cam(cam)); err != nil {
				bad(at(st.Key), "%v", err)
			}
		}
	}
}

// validateTokens checks the camera's tokens, and that none is another's;
// tokens maps each secret to the path of its first use.
func (cam *Camera) validateTokens(at func(string) string, bad func(string, string, ...any), tokens map[string]string) {
	for j, t := range cam.Tokens {
		p := fmt.Sprintf("%s[%d]", at("tokens"), j)
		if err := server.CheckToken(t.Secret); err != nil {
			bad(p, "%v", err)
		} else if first, dup := tokens[t.Secret]; dup {
			bad(p, "the same token is already %s: give each its own", first)
		} else {
			tokens[t.Secret] = p
		}
	}
}

func (c *Config) validateTLS(bad func(string, string, ...any)) {
	switch {
	case c.TLS.Cert == "" && c.TLS.Key == "":
		return
	case c.TLS.Key == "":
		bad("tls.key", "missing: set both cert and key files, or neither")
	case c.TLS.Cert == "":
		bad("tls.cert", "missing: set both cert and key files, or neither")
	default:
		if _, err := tls.LoadX509KeyPair(c.TLS.Cert, c.TLS.Key); err != nil {
			bad("tls.cert", "cannot use %s with key %s: %v", c.TLS.Cert, c.TLS.Key, err)
		}
	}
}

func (c *Config) validateUsers(bad func(string, string, ...any)) {
	seen := map[string]int{}
	for i, u := range c.Users {
		p := fmt.Sprintf("users[%d]", i)
		if err := server.CheckUserName(u.Name); err != nil {
			bad(p+".name", "%v", err)
		} else if seen[u.Name] > 0 {
			bad(p+".name", "%q is listed twice", u.Name)
		}
		seen[u.Name]++
		if err := server.CheckPasswordHash(u.PasswordHash); err != nil {
			bad(p+".password_hash", "%v", err)
		}
	}
}

// checkListen checks a host:port address.
func checkListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port (for example :8080 or 127.0.0.1:8080)", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /\\?#@") {
		return fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return nil
}

// ValidName reports whether s may name a camera: it appears in URLs.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ParseLevel reads a log level: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	switch strings.ToLower(s) {
	case "debug", "info", "warn", "error":
		l.UnmarshalText([]byte(strings.ToUpper(s)))
		return l, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}
