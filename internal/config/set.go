package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/framecast/framecast/internal/source/execsrc"
)

// A setting is one value a flag or environment variable may override. Camera
// settings apply to the default camera.
type setting struct {
	path   string // the value's path in the file; camera settings lack "cameras[i]."
	camera bool
	set    func(c *Config, cam *Camera, v string) error
}

var settings = map[string]setting{
	"listen":                 {"listen", false, func(c *Config, _ *Camera, v string) error { c.Listen = v; return nil }},
	"log-format":             {"log_format", false, func(c *Config, _ *Camera, v string) error { c.LogFormat = v; return nil }},
	"log-level":              {"log_level", false, func(c *Config, _ *Camera, v string) error { c.LogLevel = v; return nil }},
	"snapshot-timeout":       {"snapshot_timeout", false, func(c *Config, _ *Camera, v string) error { return c.SnapshotTimeout.Set(v) }},
	"write-timeout":          {"write_timeout", false, func(c *Config, _ *Camera, v string) error { return c.WriteTimeout.Set(v) }},
	"read-header-timeout":    {"read_header_timeout", false, func(c *Config, _ *Camera, v string) error { return c.ReadHeaderTimeout.Set(v) }},
	"max-header-bytes":       {"max_header_bytes", false, func(c *Config, _ *Camera, v string) error { return c.MaxHeaderBytes.Set(v) }},
	"tls-cert":               {"tls.cert", false, func(c *Config, _ *Camera, v string) error { c.TLS.Cert = v; return nil }},
	"tls-key":                {"tls.key", false, func(c *Config, _ *Camera, v string) error { c.TLS.Key = v; return nil }},
	"allow-origin":           {"allow_origin", false, func(c *Config, _ *Camera, v string) error { c.AllowOrigin = v; return nil }},
	"max-viewers":            {"max_viewers", false, func(c *Config, _ *Camera, v string) error { return setInt(&c.MaxViewers, v) }},
	"max-viewers-per-camera": {"max_viewers_per_camera", false, func(c *Config, _ *Camera, v string) error { return setInt(&c.MaxViewersPerCamera, v) }},
	"public-status":          {"public_status", false, func(c *Config, _ *Camera, v string) error { return setBool(&c.PublicStatus, v) }},

	"name":           {"name", true, func(_ *Config, cam *Camera, v string) error { cam.Name = v; return nil }},
	"source":         {"source", true, func(_ *Config, cam *Camera, v string) error { cam.Source = v; return nil }},
	"size":           {"size", true, func(_ *Config, cam *Camera, v string) error { return cam.Size.Set(v) }},
	"fps":            {"fps", true, func(_ *Config, cam *Camera, v string) error { return setInt(&cam.FPS, v) }},
	"quality":        {"quality", true, func(_ *Config, cam *Camera, v string) error { return setInt(&cam.Quality, v) }},
	"hflip":          {"hflip", true, func(_ *Config, cam *Camera, v string) error { return setBool(&cam.HFlip, v) }},
	"vflip":          {"vflip", true, func(_ *Config, cam *Camera, v string) error { return setBool(&cam.VFlip, v) }},
	"rotation":       {"rotation", true, func(_ *Config, cam *Camera, v string) error { return setInt(&cam.Rotation, v) }},
	"camera-index":   {"index", true, func(_ *Config, cam *Camera, v string) error { return setInt(&cam.Index, v) }},
	"source-args":    {"source_args", true, func(_ *Config, cam *Camera, v string) error { return setArgs(&cam.SourceArgs, v) }},
	"idle-timeout":   {"idle_timeout", true, func(_ *Config, cam *Camera, v string) error { return cam.IdleTimeout.Set(v) }},
	"stall-timeout":  {"stall_timeout", true, func(_ *Config, cam *Camera, v string) error { return cam.StallTimeout.Set(v) }},
	"max-frame-size": {"max_frame_size", true, func(_ *Config, cam *Camera, v string) error { return cam.MaxFrameSize.Set(v) }},
	"drop-same-frames": {"drop_same_frames", true, func(_ *Config, cam *Camera, v string) error {
		return setBool(&cam.DropSameFrames, v)
	}},
	"token": {"tokens", true, func(_ *Config, cam *Camera, v string) error {
		cam.Tokens = nil
		for _, s := range splitList(v) {
			cam.Tokens = append(cam.Tokens, Token{Secret: s})
		}
		return nil
	}},
}

// Settings lists the names Set accepts, sorted: each is a flag name and,
// as FRAMECAST_ plus the name in upper case with '_' for '-', an
// environment variable.
func Settings() []string {
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// EnvName is the environment variable of a setting: FRAMECAST_MAX_FRAME_SIZE
// for max-frame-size.
func EnvName(name string) string {
	return "FRAMECAST_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Set overrides the setting name (a flag name such as "fps") with value;
// label ("-fps" or "FRAMECAST_FPS") names it in errors, from Set and from
// Validate. Camera settings apply to the default camera. The token setting
// is a comma-separated list.
func (c *Config) Set(name, value, label string) error {
	s, ok := settings[name]
	if !ok {
		return &Error{Field: label, Msg: fmt.Sprintf("%q is not a setting", name)}
	}
	if c.origins == nil {
		c.origins = map[string]origin{}
	}
	path := s.path
	var cam *Camera
	if s.camera {
		if len(c.Cameras) == 0 {
			c.Cameras = []Camera{DefaultCamera()}
		}
		i := c.DefaultIndex()
		cam = &c.Cameras[i]
		path = fmt.Sprintf("cameras[%d].%s", i, s.path)
	}
	if err := s.set(c, cam, value); err != nil {
		return &Error{Field: label, Msg: err.Error()}
	}
	c.origins[path] = origin{label: label}
	return nil
}

func setInt(p *int, v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*p = n
	return nil
}

func setBool(p *bool, v string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*p = b
	return nil
}

// setArgs splits a command line's arguments the way a shell would.
func setArgs(p *[]string, v string) error {
	args, err := execsrc.Split(v)
	if err != nil {
		return err
	}
	*p = args
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
