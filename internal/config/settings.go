package config

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/whep"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// A Setting is one value of the configuration, top-level or of each camera.
// The table of them (see Settings) is the one place a setting is declared:
// the flags, the FRAMECAST_* variables, the keys of the file (and the "did
// you mean" of a misspelt one), -help, -print-config, README's settings
// table and the example file's keys all come from it, and so do the
// defaults and the range checks of Validate.
//
// To add a setting:
//  1. add its field to Config or Camera, with the key as its yaml tag, in
//     the place it should take in the file;
//  2. add its entry to the table in the same place: Name, Key, Help,
//     Default (of the field's type; a default another package owns is that
//     package's exported constant) and the field; a rule when not every
//     value is allowed;
//  3. run go test ./internal/config -update, which rewrites README's table,
//     and add the key to deploy/framecast.yaml (a test holds both);
//  4. use it: cmd/framecast copies it to the hub or the server.
type Setting struct {
	// Name is the flag (-max-frame-size) and, as FRAMECAST_MAX_FRAME_SIZE,
	// the environment variable; empty for a key only the file can set.
	Name string
	// Key is the key in the file, below a camera for a camera setting; a
	// dot separates the keys of a nested mapping (tls.cert).
	Key string
	// Camera is true for a setting of each camera; its flag sets the
	// default camera's.
	Camera bool
	// Help says what the value does. A word in `backquotes` names the value
	// in -help.
	Help string
	// Default is the value when nothing sets it, of the field's type; nil
	// means the zero value.
	Default any

	top  func(*Config) any // a pointer to the field of a top-level setting
	cam  func(*Camera) any // a pointer to the field of a camera setting
	rule *rule             // the values allowed; nil allows every value
}

// A rule says which values a setting allows.
type rule struct {
	// allowed says it in words, for -help and README: "1 to 120".
	allowed string
	// check returns what is wrong with the value at p, a pointer to the
	// field, or nil.
	check func(p any) error
}

// Allowed says in words which values the setting allows, or "".
func (s *Setting) Allowed() string {
	if s.rule == nil {
		return ""
	}
	return s.rule.allowed
}

// Arg names the setting's value in -help: the word in backquotes of Help,
// else its kind (int, duration, ...); "" for a switch.
func (s *Setting) Arg() string {
	if _, q, ok := strings.Cut(s.Help, "`"); ok {
		if name, _, ok := strings.Cut(q, "`"); ok {
			return name
		}
	}
	switch s.field(&Config{}, &Camera{}).(type) {
	case *bool:
		return ""
	case *int:
		return "int"
	case *Duration:
		return "duration"
	case *ByteSize:
		return "bytes"
	case *Size:
		return "WxH"
	case *[]string:
		return "arguments"
	}
	return "string"
}

// Flag reports whether the setting has a flag, and an environment variable:
// lists of mappings are set in the file only.
func (s *Setting) Flag() bool { return s.Name != "" }

// DefaultText is the default written as a flag takes it, or "" for a zero
// default.
func (s *Setting) DefaultText() string {
	if s.Default == nil {
		return ""
	}
	v := reflect.New(reflect.TypeOf(s.Default))
	v.Elem().Set(reflect.ValueOf(s.Default))
	return format(v.Interface())
}

// field returns a pointer to the setting's field in c, or in cam for a
// camera setting.
func (s *Setting) field(c *Config, cam *Camera) any {
	if s.Camera {
		return s.cam(cam)
	}
	return s.top(c)
}

// table is every setting, in the order of the file, -help and README.
var table = []Setting{
	{Name: "listen", Key: "listen", Default: ":8080",
		Help: "`address` to serve on (host:port; port 0 picks a free one)",
		top:  func(c *Config) any { return &c.Listen }, rule: &rule{"", func(p any) error { return checkListen(*p.(*string)) }}},
	{Name: "webrtc-port", Key: "webrtc_port", Default: 8189,
		Help: "UDP and TCP `port` of every WebRTC session (H.264 cameras; TCP for networks that block UDP), on the host of -listen; forward it (UDP and TCP) with the HTTP port to watch from outside",
		top:  func(c *Config) any { return &c.WebRTCPort }, rule: intIn(0, 65535)},
	{Name: "webrtc-public-ip", Key: "webrtc_public_ip",
		Help: "`address` WebRTC viewers are told to reach instead of this machine's own: a router's public address that forwards -webrtc-port (UDP and TCP)",
		top:  func(c *Config) any { return &c.WebRTCPublicIP }, rule: &rule{"an IP address", func(p any) error {
			if v := *p.(*string); v != "" && net.ParseIP(v) == nil {
				return fmt.Errorf("%q is not an IP address", v)
			}
			return nil
		}}},
	{Name: "webrtc-ice-servers", Key: "webrtc_ice_servers",
		Help: "STUN and TURN `servers` for WebRTC viewers behind NAT or firewalls: stun:host:port, turn:user:password@host:port[?transport=tcp] (space-separated; in the file, a list)",
		top:  func(c *Config) any { return &c.WebRTCICEServers }, rule: &rule{"", func(p any) error {
			for _, u := range *p.(*[]string) {
				if _, err := whep.ParseICEServer(u); err != nil {
					return err
				}
			}
			return nil
		}}},
	{Name: "log-format", Key: "log_format", Default: "text", Help: "log format",
		top: func(c *Config) any { return &c.LogFormat }, rule: &rule{"text or json", func(p any) error {
			if s := *p.(*string); s != "text" && s != "json" {
				return fmt.Errorf("%q is not text or json", s)
			}
			return nil
		}}},
	{Name: "log-level", Key: "log_level", Default: "info", Help: "log level",
		top: func(c *Config) any { return &c.LogLevel }, rule: &rule{"debug, info, warn or error", func(p any) error {
			_, err := ParseLevel(*p.(*string))
			return err
		}}},
	{Name: "snapshot-timeout", Key: "snapshot_timeout", Default: Duration(server.DefaultSnapshotTimeout),
		Help: "how long a snapshot waits for a picture before answering 503",
		top:  func(c *Config) any { return &c.SnapshotTimeout }, rule: positive("10s")},
	{Name: "write-timeout", Key: "write_timeout", Default: Duration(server.DefaultWriteTimeout),
		Help: "drop a viewer whose connection took no data for this long",
		top:  func(c *Config) any { return &c.WriteTimeout }, rule: positive("10s")},
	{Name: "read-header-timeout", Key: "read_header_timeout", Default: Duration(server.ReadHeaderTimeout),
		Help: "drop a client that takes longer than this to send its request headers",
		top:  func(c *Config) any { return &c.ReadHeaderTimeout }, rule: positive("10s")},
	{Name: "max-header-bytes", Key: "max_header_bytes", Default: ByteSize(server.MaxHeaderBytes),
		Help: "largest request headers accepted",
		top:  func(c *Config) any { return &c.MaxHeaderBytes }, rule: bytesIn(1<<10, 1<<20)},
	{Name: "tls-cert", Key: "tls.cert",
		Help: "serve HTTPS (and HTTP/2) with this PEM certificate `file`, read again when it changes; needs -tls-key",
		top:  func(c *Config) any { return &c.TLS.Cert }},
	{Name: "tls-key", Key: "tls.key", Help: "the PEM private key `file` of -tls-cert",
		top: func(c *Config) any { return &c.TLS.Key }},
	{Key: "users", Help: "logins for HTTP basic auth: a list of {name, password_hash}; framecast hash-password prints the hash",
		top: func(c *Config) any { return &c.Users }},
	{Name: "public-status", Key: "public_status",
		Help: "leave /api/status and /metrics open to everyone when users or tokens are set",
		top:  func(c *Config) any { return &c.PublicStatus }},
	{Name: "allow-origin", Key: "allow_origin",
		Help: "CORS: the `origin` (https://host:port, or * for any) allowed to fetch streams and snapshots and to frame the page",
		top:  func(c *Config) any { return &c.AllowOrigin }, rule: &rule{"", func(p any) error {
			if s := *p.(*string); s != "" {
				return server.CheckOrigin(s)
			}
			return nil
		}}},
	{Name: "allowed-hosts", Key: "allowed_hosts",
		Help: "without users or tokens, the host `names` requests may address besides IP addresses, localhost and this machine's name, against DNS rebinding (space-separated; in the file, a list)",
		top:  func(c *Config) any { return &c.AllowedHosts }, rule: &rule{"", func(p any) error {
			for _, n := range *p.(*[]string) {
				if err := server.CheckHostName(n); err != nil {
					return err
				}
			}
			return nil
		}}},
	{Name: "trusted-proxies", Key: "trusted_proxies",
		Help: "reverse proxies (`addresses` or networks, as 127.0.0.1 or 10.0.0.0/8) whose X-Forwarded-For or Forwarded header names the client for logs, status and the login limit; ignored from anyone else (space-separated; in the file, a list)",
		top:  func(c *Config) any { return &c.TrustedProxies }, rule: &rule{"", func(p any) error {
			for _, n := range *p.(*[]string) {
				if _, err := server.ParseProxy(n); err != nil {
					return err
				}
			}
			return nil
		}}},
	{Name: "max-viewers", Key: "max_viewers", Help: "most stream viewers over all cameras",
		top: func(c *Config) any { return &c.MaxViewers }, rule: noLimitOrMore},
	{Name: "max-viewers-per-camera", Key: "max_viewers_per_camera", Help: "most stream viewers of one camera",
		top: func(c *Config) any { return &c.MaxViewersPerCamera }, rule: noLimitOrMore},
	{Key: "cameras", Help: "the cameras, a list of mappings of the camera keys; without it, one camera of the defaults",
		top: func(c *Config) any { return &c.Cameras }},

	{Name: "name", Key: "name", Camera: true, Default: "camera",
		Help: "the camera's `name`, shown on the page, in status and in /cam/NAME/ URLs",
		cam:  func(c *Camera) any { return &c.Name }, rule: &rule{"1 to 64 letters, digits, '-', '_' or '.'", func(p any) error {
			if s := *p.(*string); !ValidName(s) {
				return fmt.Errorf("%q: use 1 to 64 letters, digits, '-', '_' or '.'", s)
			}
			return nil
		}}},
	{Key: "default", Camera: true, Help: "serve this camera also at /stream and /snapshot (else the first camera is)",
		cam: func(c *Camera) any { return &c.Default }},
	{Name: "source", Key: "source", Camera: true, Default: "auto",
		Help: "where frames come from: auto (a Pi camera, else the first V4L2 device, else the test pattern), v4l2 (the first capture device), v4l2:/dev/videoN (or a /dev/v4l/by-id/ path), rpicam, testpattern, file:PATH (a .mjpeg file or a folder of .jpg files), exec:COMMAND (writing MJPEG to stdout), http(s)://URL (an MJPEG stream) or snapshot+http(s)://URL (a JPEG polled at -fps)",
		cam:  func(c *Camera) any { return &c.Source }, rule: &rule{"", func(p any) error {
			if strings.TrimSpace(*p.(*string)) == "" {
				return fmt.Errorf("empty: name a source, as in testpattern or file:/path/to/video.mjpeg")
			}
			return nil
		}}},
	{Name: "size", Key: "size", Camera: true, Default: Size{640, 480}, Help: "picture size",
		cam: func(c *Camera) any { return &c.Size }, rule: &rule{fmt.Sprintf("%dx%d to %dx%d", MinWidth, MinHeight, MaxWidth, MaxHeight), func(p any) error {
			if z := *p.(*Size); z.Width < MinWidth || z.Height < MinHeight || z.Width > MaxWidth || z.Height > MaxHeight {
				return fmt.Errorf("%v is out of range: use %dx%d to %dx%d", z, MinWidth, MinHeight, MaxWidth, MaxHeight)
			}
			return nil
		}}},
	{Name: "fps", Key: "fps", Camera: true, Default: 30, Help: "frames per second",
		cam: func(c *Camera) any { return &c.FPS }, rule: intIn(1, MaxFPS)},
	{Name: "quality", Key: "quality", Camera: true, Default: 80, Help: "JPEG quality of the frames framecast or the camera encodes",
		cam: func(c *Camera) any { return &c.Quality }, rule: intIn(1, 100)},
	{Name: "codec", Key: "codec", Camera: true, Default: "mjpeg",
		Help: "what the camera sends: mjpeg, or h264 (sources rpicam, v4l2 with a device that sends H.264, and exec:, the command writing Annex-B H.264); H.264 plays over WebRTC",
		cam:  func(c *Camera) any { return &c.Codec }, rule: oneOf("mjpeg", "h264")},
	{Name: "bitrate", Key: "bitrate", Camera: true, Help: "H.264 bitrate in bits per second asked of rpicam-vid or a V4L2 H.264 device; 0 leaves its default",
		cam: func(c *Camera) any { return &c.Bitrate }, rule: intIn(0, 100_000_000)},
	{Name: "keyframe-interval", Key: "keyframe_interval", Camera: true,
		Help: "frames between H.264 keyframes asked of rpicam-vid (--intra) or a V4L2 H.264 device; 0 leaves its default",
		cam:  func(c *Camera) any { return &c.KeyframeInterval }, rule: intIn(0, 1000)},
	{Name: "h264-profile", Key: "h264_profile", Camera: true, Help: "H.264 profile asked of rpicam-vid; empty leaves its default",
		cam: func(c *Camera) any { return &c.H264Profile }, rule: oneOf("", "baseline", "main", "high")},
	{Name: "h264-level", Key: "h264_level", Camera: true, Help: "H.264 level asked of rpicam-vid; empty leaves its default",
		cam: func(c *Camera) any { return &c.H264Level }, rule: oneOf("", "4", "4.1", "4.2")},
	{Name: "hflip", Key: "hflip", Camera: true, Help: "mirror the picture left to right (sources that can)",
		cam: func(c *Camera) any { return &c.HFlip }},
	{Name: "vflip", Key: "vflip", Camera: true, Help: "flip the picture upside down (sources that can)",
		cam: func(c *Camera) any { return &c.VFlip }},
	// Cameras turn by flipping both ways; none can turn a quarter turn.
	{Name: "rotation", Key: "rotation", Camera: true, Help: "rotate the picture, in degrees (sources that can: rpicam, v4l2)",
		cam: func(c *Camera) any { return &c.Rotation }, rule: &rule{"0 or 180", func(p any) error {
			if r := *p.(*int); r != 0 && r != 180 {
				return fmt.Errorf("%d is not 0 or 180 (cameras rotate by flipping; a quarter turn is not supported)", r)
			}
			return nil
		}}},
	{Name: "camera-index", Key: "index", Camera: true, Help: "which camera of a source kind that reaches several (rpicam's --camera; 0 is the first)",
		cam: func(c *Camera) any { return &c.Index }, rule: intIn(0, 63)},
	{Name: "source-args", Key: "source_args", Camera: true,
		Help: "extra `arguments` for sources that run a command (rpicam, exec), split like a shell would, as in \"--awb indoor --denoise cdn_off\" (in the file, a list)",
		cam:  func(c *Camera) any { return &c.SourceArgs }},
	{Key: "controls", Camera: true, Help: "device controls by name, as in {brightness: 140, exposure_auto: 1} (V4L2; framecast devices lists them)",
		cam: func(c *Camera) any { return &c.Controls }, rule: &rule{"", func(p any) error {
			for name := range *p.(*map[string]int) {
				if name == "" {
					return fmt.Errorf("a control has no name")
				}
			}
			return nil
		}}},
	{Name: "idle-timeout", Key: "idle_timeout", Camera: true, Default: Duration(10 * time.Second),
		Help: "stop the camera this long after the last viewer left; 0 keeps it running",
		cam:  func(c *Camera) any { return &c.IdleTimeout }, rule: &rule{"0 or more", func(p any) error {
			if d := *p.(*Duration); d < 0 {
				return fmt.Errorf("%v must not be negative: use 0 to keep the camera running, or a duration such as 10s", d)
			}
			return nil
		}}},
	{Name: "stall-timeout", Key: "stall_timeout", Camera: true, Default: Duration(hub.DefaultStallTimeout),
		Help: "restart a source that sent no frame for this long",
		cam:  func(c *Camera) any { return &c.StallTimeout }, rule: positive("5s")},
	{Name: "max-frame-size", Key: "max_frame_size", Camera: true, Default: ByteSize(mjpeg.DefaultMaxFrameSize),
		Help: "largest JPEG frame accepted from a source; larger ones are dropped and counted",
		cam:  func(c *Camera) any { return &c.MaxFrameSize }, rule: bytesIn(1<<10, 1<<30)},
	{Name: "token", Key: "tokens", Camera: true,
		Help: "comma-separated read-only `tokens` that open the stream and snapshot with ?token= (in the file, a list of secrets or {secret, expires})",
		cam:  func(c *Camera) any { return &c.Tokens }},
	{Name: "drop-same-frames", Key: "drop_same_frames", Camera: true,
		Help: fmt.Sprintf("do not send a frame identical to the previous one (a static scene costs nothing); it is sent again every %v", server.SameFrameRefresh),
		cam:  func(c *Camera) any { return &c.DropSameFrames }},
	{Name: "record", Key: "record.mode", Camera: true, Default: "off",
		Help: "continuous keeps what the camera sees in record.folder: a picture every record.timelapse of an MJPEG camera, MP4 files of an H.264 camera",
		cam:  func(c *Camera) any { return &c.Record.Mode }, rule: oneOf("continuous", "off")},
	{Name: "record-folder", Key: "record.folder", Camera: true, Default: "recordings",
		Help: "the `folder` recordings go to, in a folder per camera (FOLDER/NAME/YYYY-MM-DD/HH/, in UTC)",
		cam:  func(c *Camera) any { return &c.Record.Folder }, rule: &rule{"", func(p any) error {
			if strings.TrimSpace(*p.(*string)) == "" {
				return fmt.Errorf("empty: name a folder, as in /var/lib/framecast/recordings")
			}
			return nil
		}}},
	{Name: "timelapse", Key: "record.timelapse", Camera: true, Default: Duration(record.DefaultTimelapse),
		Help: "keep one picture of an MJPEG camera this often", cam: func(c *Camera) any { return &c.Record.Timelapse },
		rule: &rule{"1s or more", func(p any) error {
			if d := *p.(*Duration); d < Duration(time.Second) {
				return fmt.Errorf("%v is too short: use 1s or more, as in 10s", d)
			}
			return nil
		}}},
	{Name: "record-segment", Key: "record.segment", Camera: true, Default: Duration(record.DefaultSegment),
		Help: "length of an H.264 camera's MP4 files (each starts on a keyframe)",
		cam:  func(c *Camera) any { return &c.Record.Segment }, rule: &rule{"1s or more", func(p any) error {
			if d := *p.(*Duration); d < Duration(time.Second) {
				return fmt.Errorf("%v is too short: use 1s or more, as in 5m", d)
			}
			return nil
		}}},
	{Name: "record-max-age", Key: "record.max_age", Camera: true,
		Help: "delete recordings older than this; 0 keeps them", cam: func(c *Camera) any { return &c.Record.MaxAge },
		rule: &rule{"0 or more", func(p any) error {
			if d := *p.(*Duration); d < 0 {
				return fmt.Errorf("%v must not be negative: use 0 to keep recordings, or a duration such as 720h", d)
			}
			return nil
		}}},
	{Name: "record-max-bytes", Key: "record.max_bytes", Camera: true,
		Help: "delete the oldest recordings while the camera's take more than this; 0 is no limit",
		cam:  func(c *Camera) any { return &c.Record.MaxBytes }, rule: bytesAtLeast0},
	{Name: "record-min-free", Key: "record.min_free", Camera: true, Default: ByteSize(record.DefaultMinFree),
		Help: "pause recording while the disk has less free space than this (kept recordings are never deleted to make room)",
		cam:  func(c *Camera) any { return &c.Record.MinFree }, rule: bytesAtLeast0},
}

// Settings returns the table of settings, in the order of the file. The
// caller must not change it.
func Settings() []Setting { return table }

// lookup returns the setting with flag name, or nil.
func lookup(name string) *Setting {
	for i := range table {
		if table[i].Name == name && name != "" {
			return &table[i]
		}
	}
	return nil
}

// Default returns the configuration framecast runs with when given nothing:
// one camera of DefaultCamera's settings, the rest as the table says.
func Default() *Config {
	c := &Config{}
	for i := range table {
		if s := &table[i]; !s.Camera && s.Default != nil {
			reflect.ValueOf(s.top(c)).Elem().Set(reflect.ValueOf(s.Default))
		}
	}
	c.Cameras = []Camera{DefaultCamera()}
	return c
}

// DefaultCamera returns the settings a camera has unless the file or flags
// say otherwise.
func DefaultCamera() Camera {
	var cam Camera
	for i := range table {
		if s := &table[i]; s.Camera && s.Default != nil {
			reflect.ValueOf(s.cam(&cam)).Elem().Set(reflect.ValueOf(s.Default))
		}
	}
	return cam
}

// intIn allows the whole numbers lo to hi.
func intIn(lo, hi int) *rule {
	allowed := fmt.Sprintf("%d to %d", lo, hi)
	return &rule{allowed, func(p any) error {
		if n := *p.(*int); n < lo || n > hi {
			return fmt.Errorf("%d is out of range: use %s", n, allowed)
		}
		return nil
	}}
}

// oneOf allows the given words; an empty one allows leaving it empty.
func oneOf(words ...string) *rule {
	var named []string
	for _, w := range words {
		if w != "" {
			named = append(named, w)
		}
	}
	allowed := strings.Join(named[:len(named)-1], ", ") + " or " + named[len(named)-1]
	return &rule{allowed, func(p any) error {
		if v := *p.(*string); !slices.Contains(words, v) {
			return fmt.Errorf("%q is not %s", v, allowed)
		}
		return nil
	}}
}

// noLimitOrMore allows 0, meaning no limit, and more.
var noLimitOrMore = &rule{"0 or more; 0 is no limit", func(p any) error {
	if n := *p.(*int); n < 0 {
		return fmt.Errorf("%d must not be negative: use 0 for no limit", n)
	}
	return nil
}}

// bytesAtLeast0 allows every size but a negative one.
var bytesAtLeast0 = &rule{"0 or more", func(p any) error {
	if b := *p.(*ByteSize); b < 0 {
		return fmt.Errorf("%v must not be negative", b)
	}
	return nil
}}

// bytesIn allows the sizes lo to hi.
func bytesIn(lo, hi ByteSize) *rule {
	allowed := fmt.Sprintf("%v to %v", lo, hi)
	return &rule{allowed, func(p any) error {
		if b := *p.(*ByteSize); b < lo || b > hi {
			return fmt.Errorf("%v is out of range: use %s", b, allowed)
		}
		return nil
	}}
}

// positive allows durations above zero; example is one to suggest.
func positive(example string) *rule {
	return &rule{"more than 0", func(p any) error {
		if d := *p.(*Duration); d <= 0 {
			return fmt.Errorf("%v must be positive, as in %s", d, example)
		}
		return nil
	}}
}

// parse sets the field at p from s, written as a flag or variable gives it.
func parse(p any, s string) error {
	switch p := p.(type) {
	case *string:
		*p = s
		return nil
	case *int:
		return setInt(p, s)
	case *bool:
		return setBool(p, s)
	case *Duration:
		return p.Set(s)
	case *ByteSize:
		return p.Set(s)
	case *Size:
		return p.Set(s)
	case *[]string:
		args, err := Split(s)
		if err != nil {
			return err
		}
		*p = args
		return nil
	case *[]Token:
		*p = nil
		for _, secret := range splitList(s) {
			*p = append(*p, Token{Secret: secret})
		}
		return nil
	}
	return fmt.Errorf("can be set in the file only")
}

// format writes the field at p as parse reads it.
func format(p any) string {
	switch p := p.(type) {
	case *string:
		return *p
	case *int:
		return strconv.Itoa(*p)
	case *bool:
		return strconv.FormatBool(*p)
	case fmt.Stringer:
		return p.String()
	case *[]string:
		return strings.Join(*p, " ")
	}
	return ""
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
