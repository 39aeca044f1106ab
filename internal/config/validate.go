package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Validate checks every value and returns all the mistakes found, each an
// *Error naming where the value came from and what is allowed (joined with
// errors.Join), or nil. It reads the TLS certificate and key to check them.
func (c *Config) Validate() error {
	if c.origins == nil {
		c.origins = map[string]origin{}
	}
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, c.Errorf(path, format, args...))
	}
	if err := checkListen(c.Listen); err != nil {
		bad("listen", "%v", err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log_format", "%q is not text or json", c.LogFormat)
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		bad("log_level", "%v", err)
	}
	for _, d := range []struct {
		path string
		v    Duration
	}{{"snapshot_timeout", c.SnapshotTimeout}, {"write_timeout", c.WriteTimeout}, {"read_header_timeout", c.ReadHeaderTimeout}} {
		if d.v <= 0 {
			bad(d.path, "%v must be positive, as in 10s", d.v)
		}
	}
	if c.MaxHeaderBytes < 1<<10 || c.MaxHeaderBytes > 1<<20 {
		bad("max_header_bytes", "%v is out of range: use 1KiB to 1MiB", c.MaxHeaderBytes)
	}
	if c.MaxViewers < 0 {
		bad("max_viewers", "%d must not be negative: use 0 for no limit", c.MaxViewers)
	}
	if c.MaxViewersPerCamera < 0 {
		bad("max_viewers_per_camera", "%d must not be negative: use 0 for no limit", c.MaxViewersPerCamera)
	}
	c.validateTLS(bad)
	c.validateUsers(bad)
	if c.AllowOrigin != "" {
		if err := checkOrigin(c.AllowOrigin); err != nil {
			bad("allow_origin", "%v", err)
		}
	}
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
		if !ValidName(cam.Name) {
			bad(at("name"), "%q: use 1 to 64 letters, digits, '-', '_' or '.'", cam.Name)
		} else if j, dup := names[cam.Name]; dup {
			first := fmt.Sprintf("cameras[%d].name", j)
			if c.origins[first].label != "" {
				// A flag renamed the earlier camera: blame the flag.
				bad(first, "%q is already the name of cameras[%d]%s: names must be unique", cam.Name, i, c.onLine(at("name")))
			} else {
				bad(at("name"), "%q is already the name of cameras[%d]%s: names must be unique", cam.Name, j, c.onLine(first))
			}
		} else {
			names[cam.Name] = i
		}
		if cam.Default {
			if def >= 0 {
				bad(at("default"), "cameras[%d]%s is already the default: mark one camera only", def, c.onLine(fmt.Sprintf("cameras[%d].default", def)))
			} else {
				def = i
			}
		}
		cam.validate(at, bad, tokens)
	}
	return errors.Join(errs...)
}

// onLine is " (line N)" for a value from the file, or "".
func (c *Config) onLine(path string) string {
	if l := c.lineOf(path); l > 0 {
		return fmt.Sprintf(" (line %d)", l)
	}
	return ""
}

func (cam *Camera) validate(at func(string) string, bad func(string, string, ...any), tokens map[string]string) {
	if strings.TrimSpace(cam.Source) == "" {
		bad(at("source"), "empty: name a source, as in testpattern or file:/path/to/video.mjpeg")
	}
	if z := cam.Size; z.Width < MinWidth || z.Height < MinHeight || z.Width > MaxWidth || z.Height > MaxHeight {
		bad(at("size"), "%v is out of range: use %dx%d to %dx%d", cam.Size, MinWidth, MinHeight, MaxWidth, MaxHeight)
	}
	if cam.FPS < 1 || cam.FPS > MaxFPS {
		bad(at("fps"), "%d is out of range: use 1 to %d", cam.FPS, MaxFPS)
	}
	if cam.Quality < 1 || cam.Quality > 100 {
		bad(at("quality"), "%d is out of range: use 1 to 100", cam.Quality)
	}
	// Cameras turn by flipping both ways; none can turn a quarter turn.
	if cam.Rotation != 0 && cam.Rotation != 180 {
		bad(at("rotation"), "%d is not 0 or 180 (cameras rotate by flipping; a quarter turn is not supported)", cam.Rotation)
	}
	if cam.Index < 0 || cam.Index > 63 {
		bad(at("index"), "%d is out of range: use 0 to 63", cam.Index)
	}
	if cam.IdleTimeout < 0 {
		bad(at("idle_timeout"), "%v must not be negative: use 0 to keep the camera running, or a duration such as 10s", cam.IdleTimeout)
	}
	if cam.StallTimeout <= 0 {
		bad(at("stall_timeout"), "%v must be positive, as in 5s", cam.StallTimeout)
	}
	if cam.MaxFrameSize < 1<<10 || cam.MaxFrameSize > 1<<30 {
		bad(at("max_frame_size"), "%v is out of range: use 1KiB to 1GiB", cam.MaxFrameSize)
	}
	for name := range cam.Controls {
		if name == "" {
			bad(at("controls"), "a control has no name")
		}
	}
	for j, t := range cam.Tokens {
		p := fmt.Sprintf("%s[%d]", at("tokens"), j)
		if err := checkToken(t.Secret); err != nil {
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
		switch {
		case u.Name == "" || strings.ContainsAny(u.Name, ":\x00\r\n") || len(u.Name) > 64:
			bad(p+".name", "%q: use 1 to 64 characters without ':'", u.Name)
		case seen[u.Name] > 0:
			bad(p+".name", "%q is listed twice", u.Name)
		}
		seen[u.Name]++
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			bad(p+".password_hash", "not a bcrypt hash: run framecast hash-password and paste what it prints")
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

// checkOrigin checks a CORS origin: * or scheme://host[:port].
func checkOrigin(s string) error {
	if s == "*" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") || strings.ContainsAny(s, " ,;'\"") {
		return fmt.Errorf("%q is not an origin: use * or scheme://host[:port], as in https://example.com", s)
	}
	return nil
}

// checkToken checks a token's secret.
func checkToken(s string) error {
	if len(s) < 16 || len(s) > 256 {
		return fmt.Errorf("a token of %d characters: use 16 to 256 letters, digits, '-', '_', '.' or '~' (openssl rand -hex 16 makes one)", len(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '~') {
			return fmt.Errorf("a token may hold only letters, digits, '-', '_', '.' or '~' (it goes in URLs)")
		}
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
