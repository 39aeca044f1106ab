// Package config is framecast's configuration: a YAML file with any number
// of named cameras, overridden by FRAMECAST_* environment variables and
// command-line flags. Every value is checked, and a bad one is reported
// with the file, line and field it came from and the values it may take.
package config

import (
	"time"
)

// Config is the whole configuration of one framecast process.
type Config struct {
	// Listen is the host:port to serve on; port 0 picks a free one.
	Listen string `yaml:"listen"`
	// WebRTCPort is the UDP port every WebRTC session of the H.264 cameras
	// uses, on the host of Listen; 0 picks a free one.
	WebRTCPort int `yaml:"webrtc_port"`
	// WebRTCPublicIP, when set, is the address WebRTC viewers are told to
	// reach (a router's public address forwarding WebRTCPort).
	WebRTCPublicIP string `yaml:"webrtc_public_ip"`
	// WebRTCICEServers are STUN and TURN servers for WebRTC sessions:
	// stun:host:port, turn:user:password@host:port.
	WebRTCICEServers []string `yaml:"webrtc_ice_servers,omitempty"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// SnapshotTimeout bounds how long a snapshot waits for a picture.
	SnapshotTimeout Duration `yaml:"snapshot_timeout"`
	// WriteTimeout drops a viewer whose connection took no data this long.
	WriteTimeout Duration `yaml:"write_timeout"`
	// ReadHeaderTimeout bounds how long a client may take to send its
	// request headers (against slowloris).
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// MaxHeaderBytes caps the size of a request's headers.
	MaxHeaderBytes ByteSize `yaml:"max_header_bytes"`
	// TLS, when Cert and Key are set, serves HTTPS (and so HTTP/2).
	TLS TLS `yaml:"tls"`
	// Users may log in with HTTP basic auth; when there are none, no
	// password is asked.
	Users []User `yaml:"users,omitempty"`
	// PublicStatus leaves /api/status and /metrics open to everyone when
	// users are set; by default they ask for the password too, as status
	// names the viewers' addresses.
	PublicStatus bool `yaml:"public_status"`
	// AllowOrigin is the origin allowed by CORS (https://host:port, or "*"
	// for any); empty sends no CORS headers.
	AllowOrigin string `yaml:"allow_origin,omitempty"`
	// AllowedHosts are the host names requests may address, besides IP
	// addresses, localhost and this machine's names, when no users or
	// tokens are set (against DNS rebinding).
	AllowedHosts []string `yaml:"allowed_hosts,omitempty"`
	// TrustedProxies are the reverse proxies (addresses or networks) whose
	// X-Forwarded-For or Forwarded header names the client.
	TrustedProxies []string `yaml:"trusted_proxies,omitempty"`
	// MaxViewers caps stream viewers over all cameras; 0 means no cap.
	MaxViewers int `yaml:"max_viewers"`
	// MaxViewersPerCamera caps stream viewers of each camera; 0 means no cap.
	MaxViewersPerCamera int `yaml:"max_viewers_per_camera"`
	// Cameras are served under /cam/{name}/; the default one (see
	// DefaultIndex) also at /stream and /snapshot.
	Cameras []Camera `yaml:"cameras"`

	// origins says where each value came from, by path ("cameras[1].fps").
	origins map[string]origin
	// fileErrs are the mistakes of the file that Parse left out, for
	// Validate to report with the rest.
	fileErrs []error
}

// Camera is one camera: where its frames come from and how they are made.
type Camera struct {
	// Name appears in URLs (/cam/{name}/stream), status and logs.
	Name string `yaml:"name"`
	// Default marks the camera also served at /stream and /snapshot; when
	// no camera is marked, the first one is.
	Default bool `yaml:"default,omitempty"`
	// Source says where frames come from, as "kind" or "kind:argument"
	// (testpattern, file:PATH, ...); package source knows the kinds.
	Source string `yaml:"source"`
	// Size is the picture size, written WxH.
	Size Size `yaml:"size"`
	// FPS is the frame rate asked of the source, 1 to 120.
	FPS int `yaml:"fps"`
	// Quality is the JPEG quality of frames framecast encodes, 1 to 100.
	Quality int `yaml:"quality"`
	// Codec is what the camera sends: mjpeg, or h264 (rpicam encodes it;
	// an exec command writes it in Annex-B form).
	Codec string `yaml:"codec"`
	// Bitrate is the H.264 bitrate asked of rpicam-vid, in bits per
	// second; 0 leaves its default.
	Bitrate int `yaml:"bitrate"`
	// KeyframeInterval is the frames between H.264 IDR pictures asked of
	// rpicam-vid; 0 leaves its default.
	KeyframeInterval int `yaml:"keyframe_interval"`
	// H264Profile and H264Level are asked of rpicam-vid's H.264 encoder;
	// empty leaves its default.
	H264Profile string `yaml:"h264_profile,omitempty"`
	// H264Level is the H.264 level, such as 4.1.
	H264Level string `yaml:"h264_level,omitempty"`
	// HFlip and VFlip mirror the picture, for sources that can.
	HFlip bool `yaml:"hflip"`
	// VFlip flips the picture upside down, for sources that can.
	VFlip bool `yaml:"vflip"`
	// Rotation turns the picture by 0 or 180 degrees.
	Rotation int `yaml:"rotation"`
	// Index picks one of several cameras a source kind can reach (the
	// rpicam camera number), 0 to 63.
	Index int `yaml:"index"`
	// SourceArgs are extra arguments for sources that run a command.
	SourceArgs []string `yaml:"source_args,omitempty"`
	// Controls are device controls by name (V4L2 brightness, ...).
	Controls map[string]int `yaml:"controls,omitempty"`
	// IdleTimeout stops the source this long after the last viewer left;
	// 0 keeps it running.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// StallTimeout restarts a source that sent no frame for this long.
	StallTimeout Duration `yaml:"stall_timeout"`
	// MaxFrameSize is the largest JPEG frame accepted from the source.
	MaxFrameSize ByteSize `yaml:"max_frame_size"`
	// Tokens are read-only secrets that open this camera's stream and
	// snapshot with ?token=, for pages where basic auth is awkward.
	Tokens []Token `yaml:"tokens,omitempty"`
	// DropSameFrames skips sending a frame byte-identical to the one a
	// viewer got last (a static scene then costs nothing), with a refresh
	// every few seconds.
	DropSameFrames bool `yaml:"drop_same_frames"`
	// Record keeps what the camera saw on disk.
	Record Record `yaml:"record"`
}

// Record is how a camera records: a timelapse of JPEG pictures for an
// MJPEG camera, MP4 files for an H.264 camera, under Folder/NAME/.
type Record struct {
	// Mode is continuous or off.
	Mode string `yaml:"mode"`
	// Folder holds a folder per camera.
	Folder string `yaml:"folder"`
	// Timelapse is the interval between the pictures kept of an MJPEG camera.
	Timelapse Duration `yaml:"timelapse"`
	// Segment is the length of an H.264 camera's files.
	Segment Duration `yaml:"segment"`
	// MaxAge deletes files older than this; 0 keeps them.
	MaxAge Duration `yaml:"max_age"`
	// MaxBytes deletes the oldest files while the camera's take more; 0 is
	// no limit.
	MaxBytes ByteSize `yaml:"max_bytes"`
	// MinFree pauses recording while the disk has less free space.
	MinFree ByteSize `yaml:"min_free"`
}

// Size is a picture size in pixels, written WxH in the file and flags.
type Size struct {
	// Width is in pixels, 16 to 7680.
	Width int
	// Height is in pixels, 16 to 4320.
	Height int
}

// TLS names the certificate and key files that turn HTTPS on.
type TLS struct {
	// Cert is a PEM certificate file (with its chain).
	Cert string `yaml:"cert,omitempty"`
	// Key is the PEM private key file of Cert.
	Key string `yaml:"key,omitempty"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.Cert != "" || t.Key != "" }

// User is one login for HTTP basic auth.
type User struct {
	// Name is the login name; it cannot contain ':'.
	Name string `yaml:"name"`
	// PasswordHash is a bcrypt hash, as framecast hash-password prints it.
	PasswordHash string `yaml:"password_hash"`
}

// Token is a read-only secret for one camera, given as ?token=. In the
// file it is either the secret alone or {secret: ..., expires: ...}.
type Token struct {
	// Secret is the token itself: 16 to 256 URL-safe characters.
	Secret string `yaml:"secret"`
	// Expires, when not zero, is when the token stops working.
	Expires time.Time `yaml:"expires,omitempty"`
}

// Limits of the values; the error messages quote them.
const (
	MinWidth, MinHeight = 16, 16
	MaxWidth, MaxHeight = 7680, 4320
	MaxFPS              = 120
	MaxCameras          = 64
)

// DefaultIndex returns the index of the camera served at /stream: the one
// marked default, or else the first. It is -1 when there are no cameras.
func (c *Config) DefaultIndex() int {
	for i, cam := range c.Cameras {
		if cam.Default {
			return i
		}
	}
	if len(c.Cameras) == 0 {
		return -1
	}
	return 0
}
