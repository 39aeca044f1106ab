package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/framecast/framecast/internal/config"
)

// cli is what the command line asks for besides the configuration.
type cli struct {
	configFile  string
	printConfig bool
	version     bool
}

// newFlagSet defines every flag, with config.Default's values as defaults.
// Each setting flag is named as config.Set names it.
func newFlagSet(c *cli, stderr io.Writer) *flag.FlagSet {
	def := config.Default()
	cam := def.Cameras[0]
	fs := flag.NewFlagSet("framecast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `framecast streams cameras to web browsers as MJPEG.

Usage:
  framecast [flags]                 serve (flags alone run one camera)
  framecast -config FILE [flags]    serve the cameras of a YAML file; flags override it
  framecast -print-config [flags]   print the effective configuration as YAML
  framecast check-config FILE       check a configuration file and its sources, then exit
  framecast hash-password           read a password (prompt or stdin), print its bcrypt hash
  framecast devices [-json]         list V4L2 capture devices: formats, sizes, frame rates, controls

Every flag -some-name may also be given as the environment variable
FRAMECAST_SOME_NAME; flags override the environment, which overrides the file.
Camera flags (-source, -size, -fps, ...) apply to the default camera.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.configFile, "config", "", "read settings and cameras from this YAML `file`")
	fs.BoolVar(&c.printConfig, "print-config", false, "print the effective configuration as YAML and exit")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")

	fs.String("listen", def.Listen, "`address` to serve on (host:port; port 0 picks a free one)")
	fs.String("tls-cert", "", "serve HTTPS (and HTTP/2) with this PEM certificate `file`; needs -tls-key")
	fs.String("tls-key", "", "the PEM private key `file` of -tls-cert")
	fs.String("log-format", def.LogFormat, "log format: text or json")
	fs.String("log-level", def.LogLevel, "log level: debug, info, warn or error")
	fs.Duration("snapshot-timeout", time.Duration(def.SnapshotTimeout), "how long a snapshot waits for a picture before answering 503")
	fs.Duration("write-timeout", time.Duration(def.WriteTimeout), "drop a viewer whose connection took no data for this long")
	fs.Duration("read-header-timeout", time.Duration(def.ReadHeaderTimeout), "drop a client that takes longer than this to send its request headers")
	fs.String("max-header-bytes", def.MaxHeaderBytes.String(), "largest request headers accepted (`bytes`, 1KiB to 1MiB)")
	fs.String("allow-origin", "", "CORS: the `origin` (https://host:port, or * for any) allowed to fetch streams and snapshots and to frame the page")
	fs.Int("max-viewers", def.MaxViewers, "most stream viewers over all cameras; 0 means no limit")
	fs.Int("max-viewers-per-camera", def.MaxViewersPerCamera, "most stream viewers of one camera; 0 means no limit")
	fs.Bool("public-status", false, "leave /api/status and /metrics open to everyone when users or tokens are set")

	fs.String("source", cam.Source, "where frames come from: auto (a Pi camera, else the first V4L2 device, else the test pattern), v4l2 (the first capture device), v4l2:/dev/videoN (or a /dev/v4l/by-id/ path), rpicam, testpattern, file:PATH (a .mjpeg file or a folder of .jpg files), exec:COMMAND (writing MJPEG to stdout), http(s)://URL (an MJPEG stream) or snapshot+http(s)://URL (a JPEG polled at -fps)")
	fs.String("name", cam.Name, "the camera's `name`, shown on the page, in status and in /cam/NAME/ URLs")
	fs.String("size", cam.Size.String(), "picture size `WxH`, from 16x16 to 7680x4320")
	fs.Int("fps", cam.FPS, "frames per second, 1 to 120")
	fs.Int("quality", cam.Quality, "JPEG quality of encoded frames, 1 to 100")
	fs.Bool("hflip", false, "mirror the picture left to right (sources that can)")
	fs.Bool("vflip", false, "flip the picture upside down (sources that can)")
	fs.Int("rotation", 0, "rotate the picture by 0 or 180 degrees (sources that can: rpicam, v4l2)")
	fs.Int("camera-index", 0, "which camera of a source kind that reaches several (0 is the first)")
	fs.String("source-args", "", "extra `arguments` for sources that run a command (rpicam, exec), split like a shell would, as in \"--awb indoor --denoise cdn_off\"")
	fs.Duration("idle-timeout", time.Duration(cam.IdleTimeout), "stop the camera this long after the last viewer left; 0 keeps it running")
	fs.Duration("stall-timeout", time.Duration(cam.StallTimeout), "restart a source that sent no frame for this long")
	fs.String("max-frame-size", cam.MaxFrameSize.String(), "largest JPEG frame accepted from a source (`bytes`, with KiB/MiB suffixes allowed)")
	fs.String("token", "", "comma-separated read-only `tokens` that open the stream and snapshot with ?token=")
	fs.Bool("drop-same-frames", false, "do not send a frame identical to the previous one (a static scene costs nothing); it is sent again every 3s")
	return fs
}

// loadConfig reads the command line, the environment (environ as
// os.Environ gives it) and the configuration file into a checked
// configuration. Flags override the environment, which overrides the file.
func loadConfig(args, environ []string, stderr io.Writer) (*config.Config, *cli, error) {
	c := &cli{}
	fs := newFlagSet(c, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	if c.version {
		return nil, c, nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	env, err := framecastEnv(environ)
	if err != nil {
		return nil, nil, err
	}
	if v, ok := env["config"]; ok && !given["config"] {
		c.configFile = v
	}
	delete(env, "config")

	cfg := config.Default()
	if c.configFile != "" {
		if cfg, err = config.Load(c.configFile); err != nil {
			return nil, nil, err
		}
	}
	// Sorted, so that with several mistakes the first reported is stable.
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := cfg.Set(name, env[name], config.EnvName(name)); err != nil {
			return nil, nil, err
		}
	}
	var ferr error
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" || f.Name == "print-config" || f.Name == "version" || ferr != nil {
			return
		}
		ferr = cfg.Set(f.Name, f.Value.String(), "-"+f.Name)
	})
	if ferr != nil {
		return nil, nil, ferr
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	return cfg, c, nil
}

// framecastEnv picks the FRAMECAST_* variables out of environ, by setting
// name (FRAMECAST_MAX_FRAME_SIZE → max-frame-size). A variable that names
// no setting is an error: it is most likely a typo.
func framecastEnv(environ []string) (map[string]string, error) {
	known := map[string]bool{"config": true}
	for _, name := range config.Settings() {
		known[name] = true
	}
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(k, "FRAMECAST_")
		if !ok {
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(rest, "_", "-"))
		if !known[name] || k != config.EnvName(name) {
			return nil, &config.Error{Field: k, Msg: "not a framecast setting: each flag -some-name is FRAMECAST_SOME_NAME (see framecast -help)"}
		}
		env[name] = v
	}
	return env, nil
}
