package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/fake"
)

// A bcrypt hash of "secret", cost 4.
const hash = "$2a$04$5Ff22qa6uRUkTzmkeommzuK6auJT4kgWAyHjg5mJVoodOKBqJNU5O"

// parse parses and validates a file's text, as framecast does at start-up.
func parse(text string) (*config.Config, error) {
	c, err := config.Parse("cam.yaml", []byte(text))
	if err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func TestBadFiles(t *testing.T) {
	fields := "listen, webrtc_port, webrtc_public_ip, webrtc_ice_servers, log_format, log_level, snapshot_timeout, write_timeout, read_header_timeout, max_header_bytes, tls, users, public_status, allow_origin, allowed_hosts, trusted_proxies, max_viewers, max_viewers_per_camera, cameras"
	camFields := "name, default, source, size, fps, quality, codec, bitrate, keyframe_interval, h264_profile, h264_level, hflip, vflip, rotation, index, source_args, controls, idle_timeout, stall_timeout, max_frame_size, tokens, drop_same_frames, record"
	cases := []struct {
		name, text, want string
	}{
		{"unclosed list", "cameras: [\n", "cam.yaml:1: bad YAML: did not find expected node content"},
		{"tab indent", "listen: :8080\n\tfps: 3\n", "cam.yaml:2: bad YAML: found a tab character that violates indentation"},
		{"key twice", "listen: ':8080'\nlisten: ':9090'\n", "cam.yaml:2: listen: set twice (first on line 1)"},
		{"unknown top field", "lsiten: :8080\n", `cam.yaml:1: unknown field "lsiten" (did you mean listen?): use one of ` + fields},
		{"unknown camera field", "cameras:\n  - name: a\n    fsp: 30\n", `cam.yaml:3: cameras[0]: unknown field "fsp" (did you mean fps?): use one of ` + camFields},
		{"unknown far field", "cameras:\n  - name: a\n    colour: red\n", `cam.yaml:3: cameras[0]: unknown field "colour": use one of ` + camFields},
		{"duplicate names", "cameras:\n  - name: a\n  - name: b\n  - name: a\n", `cam.yaml:4: cameras[2].name: "a" is already the name of cameras[0] (line 2): names must be unique`},
		{"duplicate by alias", "cameras:\n  - &c {name: a}\n  - *c\n", `cam.yaml:2: cameras[1].name: "a" is already the name of cameras[0] (line 2): names must be unique`},
		{"name with slash", "cameras:\n  - name: a/b\n", `cam.yaml:2: cameras[0].name: "a/b": use 1 to 64 letters, digits, '-', '_' or '.'`},
		{"name dot dot", "cameras:\n  - name: ..\n", `cam.yaml:2: cameras[0].name: "..": use 1 to 64 letters, digits, '-', '_' or '.'`},
		{"size too small", "cameras:\n  - size: 10x10\n", "cam.yaml:2: cameras[0].size: 10x10 is out of range: use 16x16 to 7680x4320"},
		{"size too big", "cameras:\n  - size: 8000x100\n", "cam.yaml:2: cameras[0].size: 8000x100 is out of range: use 16x16 to 7680x4320"},
		{"size not WxH", "cameras:\n  - size: big\n", `cam.yaml:2: cameras[0].size: "big" is not WxH (for example 1280x720)`},
		{"size as list", "cameras:\n  - size: [1, 2]\n", "cam.yaml:2: cameras[0].size: a list where a size such as 1280x720 belongs"},
		{"listen not host:port", "listen: nonsense\n", `cam.yaml:1: listen: "nonsense" is not host:port (for example :8080 or 127.0.0.1:8080)`},
		{"listen port too big", "listen: ':99999'\n", `cam.yaml:1: listen: port "99999" is not a number from 0 to 65535`},
		{"listen bad host", "listen: 'a/b:80'\n", `cam.yaml:1: listen: host "a/b" is not a host name or IP address`},
		{"duration word", "cameras:\n  - idle_timeout: soon\n", `cam.yaml:2: cameras[0].idle_timeout: "soon" is not a duration: use a number with a unit, as in 10s, 500ms or 1m30s`},
		{"duration without unit", "write_timeout: 10\n", `cam.yaml:1: write_timeout: "10" is not a duration: use a number with a unit, as in 10s, 500ms or 1m30s`},
		{"negative idle", "cameras:\n  - idle_timeout: -1s\n", "cam.yaml:2: cameras[0].idle_timeout: -1s must not be negative: use 0 to keep the camera running, or a duration such as 10s"},
		{"zero stall", "cameras:\n  - stall_timeout: 0s\n", "cam.yaml:2: cameras[0].stall_timeout: 0s must be positive, as in 5s"},
		{"zero snapshot timeout", "snapshot_timeout: 0s\n", "cam.yaml:1: snapshot_timeout: 0s must be positive, as in 10s"},
		{"fps zero", "cameras:\n  - fps: 0\n", "cam.yaml:2: cameras[0].fps: 0 is out of range: use 1 to 120"},
		{"fps word", "cameras:\n  - fps: thirty\n", `cam.yaml:2: cameras[0].fps: "thirty" is not a whole number`},
		{"fps fraction", "cameras:\n  - fps: 29.97\n", `cam.yaml:2: cameras[0].fps: "29.97" is not a whole number`},
		{"quality high", "cameras:\n  - quality: 101\n", "cam.yaml:2: cameras[0].quality: 101 is out of range: use 1 to 100"},
		{"rotation", "cameras:\n  - rotation: 45\n", "cam.yaml:2: cameras[0].rotation: 45 is not 0 or 180 (cameras rotate by flipping; a quarter turn is not supported)"},
		{"rotation quarter", "cameras:\n  - rotation: 90\n", "cam.yaml:2: cameras[0].rotation: 90 is not 0 or 180 (cameras rotate by flipping; a quarter turn is not supported)"},
		{"index", "cameras:\n  - name: x\n    index: 99\n", "cam.yaml:3: cameras[0].index: 99 is out of range: use 0 to 63"},
		{"bool word", "cameras:\n  - hflip: maybe\n", `cam.yaml:2: cameras[0].hflip: "maybe" is not true or false`},
		{"frame size small", "cameras:\n  - max_frame_size: 12\n", "cam.yaml:2: cameras[0].max_frame_size: 12 is out of range: use 1KiB to 1GiB"},
		{"frame size word", "cameras:\n  - max_frame_size: lots\n", `cam.yaml:2: cameras[0].max_frame_size: "lots" is not a size in bytes: use a number with an optional unit, as in 65536, 512KiB or 16MiB`},
		{"header bytes", "max_header_bytes: 100\n", "cam.yaml:1: max_header_bytes: 100 is out of range: use 1KiB to 1MiB"},
		{"log format", "log_format: xml\n", `cam.yaml:1: log_format: "xml" is not text or json`},
		{"log level", "log_level: loud\n", `cam.yaml:1: log_level: "loud" is not debug, info, warn or error`},
		{"empty source", "cameras:\n  - source: ''\n", "cam.yaml:2: cameras[0].source: empty: name a source, as in testpattern or file:/path/to/video.mjpeg"},
		{"two defaults", "cameras:\n  - name: a\n    default: true\n  - name: b\n    default: true\n", "cam.yaml:5: cameras[1].default: cameras[0] (line 3) is already the default: mark one camera only"},
		{"plain password", "users:\n  - name: bob\n    password_hash: hunter2\n", "cam.yaml:3: users[0].password_hash: not a bcrypt hash: run framecast hash-password and paste what it prints"},
		{"absurd bcrypt cost", "users:\n  - name: bob\n    password_hash: '" + strings.Replace(hash, "$04$", "$31$", 1) + "'\n", "cam.yaml:3: users[0].password_hash: bcrypt cost 31 is out of range: use 4 to 14 (framecast hash-password -cost N): each step doubles the time of every login and of start-up"},
		{"user with colon", "users:\n  - name: 'a:b'\n    password_hash: '" + hash + "'\n", `cam.yaml:2: users[0].name: "a:b": use 1 to 64 characters without ':'`},
		{"user twice", "users:\n  - {name: a, password_hash: '" + hash + "'}\n  - {name: a, password_hash: '" + hash + "'}\n", `cam.yaml:3: users[1].name: "a" is listed twice`},
		{"origin with path", "allow_origin: https://x.example/path\n", `cam.yaml:1: allow_origin: "https://x.example/path" is not an origin: use * or scheme://host[:port], as in https://example.com`},
		{"origin list", "allow_origin: 'https://a.example, https://b.example'\n", `cam.yaml:1: allow_origin: "https://a.example, https://b.example" is not an origin: use * or scheme://host[:port], as in https://example.com`},
		{"cert without key", "tls:\n  cert: /nonexistent/cert.pem\n", "cam.yaml:1: tls.key: missing: set both cert and key files, or neither"},
		{"missing cert file", "tls:\n  cert: /nonexistent/cert.pem\n  key: /nonexistent/key.pem\n", "cam.yaml:2: tls.cert: cannot use /nonexistent/cert.pem with key /nonexistent/key.pem: open /nonexistent/cert.pem: no such file or directory"},
		{"short token", "cameras:\n  - tokens: [short]\n", "cam.yaml:2: cameras[0].tokens[0]: a token of 5 characters: use 16 to 256 letters, digits, '-', '_', '.' or '~' (openssl rand -hex 16 makes one)"},
		{"token with ampersand", "cameras:\n  - tokens: ['abcdefgh&ijklmnopq']\n", "cam.yaml:2: cameras[0].tokens[0]: a token may hold only letters, digits, '-', '_', '.' or '~' (it goes in URLs)"},
		{"token on two cameras", "cameras:\n  - name: a\n    tokens: [abcdefghijklmnopq]\n  - name: b\n    tokens: [abcdefghijklmnopq]\n", "cam.yaml:5: cameras[1].tokens[0]: the same token is already cameras[0].tokens[0]: give each its own"},
		{"token bad expiry", "cameras:\n  - tokens:\n      - secret: abcdefghijklmnopq\n        expires: someday\n", `cam.yaml:3: cameras[0].tokens[0]: expires: "someday" is not a time: use 2026-12-31 or 2026-12-31T23:59:00Z`},
		{"token unknown field", "cameras:\n  - tokens:\n      - secret: abcdefghijklmnopq\n        scope: all\n", `cam.yaml:3: cameras[0].tokens[0]: unknown field "scope": use secret or expires`},
		{"control word", "cameras:\n  - controls: {brightness: high}\n", `cam.yaml:2: cameras[0].controls.brightness: "high" is not a whole number`},
		{"args not a list", "cameras:\n  - source_args: notalist\n", `cam.yaml:2: cameras[0].source_args: a value where a list belongs (start each item with "- ")`},
		{"cameras as mapping", "cameras: {name: a}\n", `cam.yaml:1: cameras: a mapping where a list belongs (start each item with "- ")`},
		{"cameras empty value", "cameras:\n", "cam.yaml:1: cameras: no value: give one, or leave the line out for the default"},
		{"cameras empty list", "cameras: []\n", "cam.yaml:1: cameras: no cameras: list at least one"},
		{"file is a list", "- a\n- b\n", "cam.yaml:1: a list where a mapping of settings belongs"},
		{"negative viewers", "max_viewers: -1\n", "cam.yaml:1: max_viewers: -1 must not be negative: use 0 for no limit"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(c.text)
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
			var ce *config.Error
			if err != nil && !errors.As(err, &ce) {
				t.Errorf("%T is not a *config.Error", err)
			}
		})
	}
}

// Several mistakes are all reported, each on its own line.
func TestAllMistakesReported(t *testing.T) {
	_, err := parse("cameras:\n  - fps: 0\n    quality: 0\n")
	want := "cam.yaml:2: cameras[0].fps: 0 is out of range: use 1 to 120\ncam.yaml:3: cameras[0].quality: 0 is out of range: use 1 to 100"
	if err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
}

// A key that cannot be read does not hide the other mistakes: the file
// is read without it and checked, and every mistake is reported, in the
// order of the file.
func TestEveryMistakeAtOnce(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"misspelt key, bad value, same name", "cameras:\n  - name: a\n    fsp: 30\n    quality: 500\n  - name: a\n",
			`cam.yaml:3: cameras[0]: unknown field "fsp" (did you mean fps?): use one of name, default, source, size, fps, quality, codec, bitrate, keyframe_interval, h264_profile, h264_level, hflip, vflip, rotation, index, source_args, controls, idle_timeout, stall_timeout, max_frame_size, tokens, drop_same_frames, record` + "\n" +
				"cam.yaml:4: cameras[0].quality: 500 is out of range: use 1 to 100\n" +
				`cam.yaml:5: cameras[1].name: "a" is already the name of cameras[0] (line 2): names must be unique`},
		{"unreadable values", "log_level: loud\nmax_viewers: many\ncameras:\n  - {name: a, fps: thirty, size: big, controls: {brightness: x}}\n  - {name: b, fps: 0}\n",
			"cam.yaml:2: max_viewers: \"many\" is not a whole number\n" +
				"cam.yaml:4: cameras[0].fps: \"thirty\" is not a whole number\n" +
				"cam.yaml:4: cameras[0].size: \"big\" is not WxH (for example 1280x720)\n" +
				"cam.yaml:4: cameras[0].controls.brightness: \"x\" is not a whole number\n" +
				"cam.yaml:1: log_level: \"loud\" is not debug, info, warn or error\n" +
				"cam.yaml:5: cameras[1].fps: 0 is out of range: use 1 to 120"},
		// A name left out is no second mistake, though the default name is
		// then another camera's.
		{"unreadable name", "cameras:\n  - name: [a]\n  - name: camera\n",
			"cam.yaml:2: cameras[0].name: a list where text belongs"},
		{"key twice", "fps: 3\ncameras:\n  - {name: a, quality: 0, quality: 5}\n",
			`cam.yaml:1: unknown field "fps" (a camera's key: put it under cameras): use one of listen, webrtc_port, webrtc_public_ip, webrtc_ice_servers, log_format, log_level, snapshot_timeout, write_timeout, read_header_timeout, max_header_bytes, tls, users, public_status, allow_origin, allowed_hosts, trusted_proxies, max_viewers, max_viewers_per_camera, cameras` + "\n" +
				"cam.yaml:3: cameras[0].quality: set twice (first on line 3)\n" +
				"cam.yaml:3: cameras[0].quality: 0 is out of range: use 1 to 100"},
	}
	for _, c := range cases {
		_, err := parse(c.text)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got\n%v\nwant\n%s", c.name, err, c.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, config.MaxFileSize+1), 0o644)
	cases := []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "cannot read the config file: open " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
		{dir, big[:len(dir)] + ": cannot read: read " + dir + ": is a directory"},
		{big, big + ": the file is larger than 1MiB; is it the right file?"},
	}
	for _, c := range cases {
		if _, err := config.Load(c.path); err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v\nwant %s", c.path, err, c.want)
		}
	}
}

// Overrides are named by the flag or variable that made them, and checked
// like values from the file.
func TestSetErrors(t *testing.T) {
	cases := []struct{ name, value, label, want string }{
		{"fps", "x", "FRAMECAST_FPS", `FRAMECAST_FPS: "x" is not a whole number`},
		{"fps", "500", "FRAMECAST_FPS", "FRAMECAST_FPS: 500 is out of range: use 1 to 120"},
		{"size", "1x1", "-size", "-size: 1x1 is out of range: use 16x16 to 7680x4320"},
		{"idle-timeout", "forever", "FRAMECAST_IDLE_TIMEOUT", `FRAMECAST_IDLE_TIMEOUT: "forever" is not a duration: use a number with a unit, as in 10s, 500ms or 1m30s`},
		{"hflip", "sometimes", "FRAMECAST_HFLIP", `FRAMECAST_HFLIP: "sometimes" is not true or false`},
		{"listen", "8080", "FRAMECAST_LISTEN", `FRAMECAST_LISTEN: "8080" is not host:port (for example :8080 or 127.0.0.1:8080)`},
		{"colour", "red", "-colour", `-colour: "colour" is not a setting`},
	}
	for _, c := range cases {
		cfg := config.Default()
		err := cfg.Set(c.name, c.value, c.label)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("%s=%s: got %v\nwant %s", c.label, c.value, err, c.want)
		}
	}
}

func TestDefaultsAndOverrides(t *testing.T) {
	cfg, err := config.Parse("cam.yaml", []byte(`
listen: 127.0.0.1:9000
cameras:
  - name: front
    size: 1280x720
    idle_timeout: 0s
  - name: garage
    default: true
    source: file:/videos/garage.mjpeg
    fps: 5
    tokens:
      - 0123456789abcdef
      - {secret: fedcba9876543210, expires: 2030-01-02}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := cfg.DefaultIndex(); got != 1 {
		t.Fatalf("default camera %d, want 1", got)
	}
	def := config.DefaultCamera()
	front, garage := cfg.Cameras[0], cfg.Cameras[1]
	if front.Size != (config.Size{Width: 1280, Height: 720}) || front.IdleTimeout != 0 || front.FPS != def.FPS || front.Source != def.Source {
		t.Errorf("front: %+v", front)
	}
	if garage.Size != def.Size || garage.IdleTimeout != def.IdleTimeout || garage.FPS != 5 {
		t.Errorf("garage: %+v", garage)
	}
	exp := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	if len(garage.Tokens) != 2 || !garage.Tokens[1].Expires.Equal(exp) || !garage.Tokens[0].Expires.IsZero() {
		t.Errorf("tokens: %+v", garage.Tokens)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.WriteTimeout != config.Default().WriteTimeout {
		t.Errorf("top level: %+v", cfg)
	}
	// Camera overrides go to the default camera.
	if err := cfg.Set("fps", "7", "-fps"); err != nil {
		t.Fatal(err)
	}
	if cfg.Cameras[1].FPS != 7 || cfg.Cameras[0].FPS != def.FPS {
		t.Errorf("-fps went to the wrong camera: %d, %d", cfg.Cameras[0].FPS, cfg.Cameras[1].FPS)
	}
	// A bad override of a file value is named by its flag.
	cfg.Set("quality", "0", "-quality")
	if err := cfg.Validate(); err == nil || err.Error() != "-quality: 0 is out of range: use 1 to 100" {
		t.Errorf("got %v", err)
	}
}

// A file without cameras gets the one default camera; an empty file is the
// default configuration.
func TestEmptyFile(t *testing.T) {
	for _, text := range []string{"", "# nothing\n", "listen: :9\n"} {
		cfg, err := parse(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if len(cfg.Cameras) != 1 || !reflect.DeepEqual(cfg.Cameras[0], config.DefaultCamera()) {
			t.Errorf("%q: cameras %+v", text, cfg.Cameras)
		}
	}
}

// Printed configuration loads back to the same configuration.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := fake.WriteCert(t, dir, "framecast test")
	text := `
listen: 127.0.0.1:0
log_format: json
tls: {cert: ` + cert + `, key: ` + key + `}
users:
  - {name: alice, password_hash: '` + hash + `'}
public_status: true
allow_origin: https://ha.example:8123
max_viewers: 20
max_viewers_per_camera: 5
cameras:
  - name: a
    source: testpattern
    hflip: true
    rotation: 180
    source_args: [--denoise, cdn_off]
    controls: {brightness: 10, contrast: -3}
    max_frame_size: 3MiB
    tokens: [{secret: 0123456789abcdef, expires: "2030-01-02T03:04:05Z"}]
  - name: b
    default: true
    size: 320x240
`
	cfg, err := parse(text)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := parse(string(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !sameConfig(cfg, again) {
		t.Errorf("round trip differs:\n%s", out)
	}
}

// sameConfig compares configurations by their exported fields.
func sameConfig(a, b *config.Config) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := range va.NumField() {
		if !va.Type().Field(i).IsExported() {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return false
		}
	}
	return true
}

func TestValuesParse(t *testing.T) {
	sizes := []struct {
		in   string
		want config.ByteSize
	}{{"65536", 65536}, {"512KiB", 512 << 10}, {"16MiB", 16 << 20}, {"1GiB", 1 << 30}, {"4MB", 4000000}, {"2k", 2048}, {" 8 MiB ", 8 << 20}}
	for _, s := range sizes {
		var b config.ByteSize
		if err := b.Set(s.in); err != nil || b != s.want {
			t.Errorf("%q: %d, %v; want %d", s.in, b, err, s.want)
		}
		var again config.ByteSize
		if err := again.Set(b.String()); err != nil || again != b {
			t.Errorf("%q: String %q does not parse back", s.in, b.String())
		}
	}
	for _, bad := range []string{"", "-1", "1TiB", "12 parsecs", "99999999999999GiB"} {
		var b config.ByteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestSettingsHaveEnvNames(t *testing.T) {
	for _, s := range config.Settings() {
		if !s.Flag() {
			continue
		}
		if env := config.EnvName(s.Name); !strings.HasPrefix(env, "FRAMECAST_") || strings.Contains(env, "-") {
			t.Errorf("%s: %s", s.Name, env)
		}
	}
	if got := config.EnvName("max-frame-size"); got != "FRAMECAST_MAX_FRAME_SIZE" {
		t.Errorf("got %s", got)
	}
}
