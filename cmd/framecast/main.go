// Command framecast streams cameras to web browsers as MJPEG.
//
// Run it with no flags to serve a live test pattern on :8080, or with
// -config framecast.yaml to serve the cameras of a file; see framecast -help.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/picture"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/internal/whep"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run is framecast's whole life: parse, wire, serve until ctx ends. It
// sends the address it listens on to ready, when not nil, and returns the
// process's exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) int {
	a := &app{stdin: os.Stdin, stdout: stdout, stderr: stderr, environ: os.Environ()}
	return a.run(ctx, args, ready)
}

// app is one run of the command with its standard streams and environment.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
}

// run runs a subcommand, or serves.
func (a *app) run(ctx context.Context, args []string, ready chan<- string) int {
	if len(args) > 0 {
		switch args[0] {
		case "check-config":
			return a.checkConfig(args[1:])
		case "hash-password":
			return a.hashPassword(args[1:])
		case "devices":
			return a.devices(args[1:])
		case "timelapse":
			return a.timelapse(args[1:])
		}
	}
	cfg, c, err := loadConfig(args, a.environ, a.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		a.fail(err)
		return 2
	}
	switch {
	case c.version:
		fmt.Fprintln(a.stdout, "framecast", server.Version)
		return 0
	case c.printConfig:
		return a.printConfig(cfg)
	}
	return a.serve(ctx, cfg, ready)
}

// fail prints each of err's lines (a joined error has several) prefixed
// with framecast:.
func (a *app) fail(err error) {
	var many interface{ Unwrap() []error }
	if errors.As(err, &many) {
		for _, e := range many.Unwrap() {
			fmt.Fprintln(a.stderr, "framecast:", e)
		}
		return
	}
	fmt.Fprintln(a.stderr, "framecast:", err)
}

// printConfig writes the effective configuration as YAML, secrets included:
// it is meant to be saved as a file and loaded again.
func (a *app) printConfig(cfg *config.Config) int {
	out, err := yaml.Marshal(cfg)
	if err != nil {
		a.fail(err)
		return 1
	}
	fmt.Fprintf(a.stdout, "# framecast %s: the effective configuration\n", server.Version)
	a.stdout.Write(out)
	return 0
}

// camera is a configured camera with the source built for it.
type camera struct {
	config.Camera
	source   hub.Source
	describe string
}

// buildSources builds every camera's source, the default camera first (the
// server serves its first camera at /stream). A source's error is located
// like any other configuration error.
func buildSources(cfg *config.Config, log *slog.Logger) ([]camera, error) {
	def := cfg.DefaultIndex()
	order := []int{def}
	for i := range cfg.Cameras {
		if i != def {
			order = append(order, i)
		}
	}
	var cams []camera
	var errs []error
	for _, i := range order {
		src, describe, err := source.New(cfg.Cameras[i], log)
		if err != nil {
			errs = append(errs, cfg.Errorf(fmt.Sprintf("cameras[%d].source", i), "%v", err))
			continue
		}
		cams = append(cams, camera{cfg.Cameras[i], src, describe})
	}
	return cams, errors.Join(errs...)
}

// hubConfig is the hub configuration of one camera.
func hubConfig(c camera, log *slog.Logger) hub.Config {
	quality := c.Quality
	return hub.Config{
		Name:         c.Name,
		Source:       c.source,
		Codec:        hub.Codec(c.Codec),
		Describe:     c.describe,
		IdleTimeout:  time.Duration(c.IdleTimeout),
		StallTimeout: time.Duration(c.StallTimeout),
		Width:        c.Size.Width,
		Height:       c.Size.Height,
		NoSignal: func(w, h int, since time.Duration) ([]byte, error) {
			return picture.NoSignal(w, h, quality, since)
		},
		Logger:         log,
		DropSameFrames: c.DropSameFrames,
	}
}

// decoderHubs makes the MJPEG hub of each H.264 camera, whose source
// decodes the camera's pictures with ffmpeg while an MJPEG viewer or a
// snapshot wants them. Without ffmpeg there are none, and the MJPEG routes
// of those cameras say so.
func decoderHubs(cams []camera, hubs []*hub.Hub, log *slog.Logger) map[*hub.Hub]*hub.Hub {
	m := map[*hub.Hub]*hub.Hub{}
	for i, c := range cams {
		if hubs[i].Codec() != hub.H264 {
			continue
		}
		if _, err := exec.LookPath(execsrc.DecoderArgs[0]); err != nil {
			log.Warn("no MJPEG stream or snapshot for an H.264 camera: they need ffmpeg", "camera", c.Name, "err", err)
			continue
		}
		idle := time.Duration(c.IdleTimeout)
		if idle <= 0 {
			// The camera runs always; decoding costs a core's share
			// only while someone watches.
			idle = 10 * time.Second
		}
		cfg := hubConfig(c, log)
		cfg.Source = &execsrc.Decoder{From: hubs[i], Cmd: execsrc.Source{Logger: log.With("camera", c.Name)}}
		cfg.Codec = hub.MJPEG
		cfg.Describe = "ffmpeg decoding " + c.describe
		cfg.IdleTimeout = idle
		m[hubs[i]] = hub.New(cfg)
	}
	return m
}

// newRecorder makes the recorder of one camera, or returns nil when it
// does not record.
func newRecorder(c camera, h *hub.Hub, log *slog.Logger) *record.Recorder {
	r := c.Record
	if r.Mode != "continuous" {
		return nil
	}
	return &record.Recorder{
		Hub:       h,
		Dir:       filepath.Join(r.Folder, c.Name),
		Timelapse: time.Duration(r.Timelapse),
		Segment:   time.Duration(r.Segment),
		MaxAge:    time.Duration(r.MaxAge),
		MaxBytes:  int64(r.MaxBytes),
		MinFree:   int64(r.MinFree),
		Logger:    log,
	}
}

// newServer gives the server the settings of cfg.
func newServer(cfg *config.Config, hubs []*hub.Hub, log *slog.Logger) *server.Server {
	srv := &server.Server{
		Cameras:             hubs,
		SnapshotTimeout:     time.Duration(cfg.SnapshotTimeout),
		WriteTimeout:        time.Duration(cfg.WriteTimeout),
		Logger:              log,
		PublicStatus:        cfg.PublicStatus,
		AllowOrigin:         cfg.AllowOrigin,
		AllowedHosts:        cfg.AllowedHosts,
		MaxViewers:          cfg.MaxViewers,
		MaxViewersPerCamera: cfg.MaxViewersPerCamera,
	}
	for _, p := range cfg.TrustedProxies {
		if pr, err := server.ParseProxy(p); err == nil { // Validate checked them
			srv.TrustedProxies = append(srv.TrustedProxies, pr)
		}
	}
	if len(cfg.Users) > 0 {
		srv.Users = map[string]string{}
		for _, u := range cfg.Users {
			srv.Users[u.Name] = u.PasswordHash
		}
	}
	for _, c := range cfg.Cameras {
		for _, t := range c.Tokens {
			srv.Tokens = append(srv.Tokens, server.Token{Camera: c.Name, Secret: t.Secret, Expires: t.Expires})
		}
	}
	return srv
}

// serve runs the cameras of cfg and serves them until ctx ends.
func (a *app) serve(ctx context.Context, cfg *config.Config, ready chan<- string) int {
	log := newLogger(cfg, a.stderr)
	cams, err := buildSources(cfg, log)
	if err != nil {
		a.fail(err)
		return 2
	}
	hubs := make([]*hub.Hub, len(cams))
	for i, c := range cams {
		hubs[i] = hub.New(hubConfig(c, log))
	}
	defer closeHubs(hubs)
	srv := newServer(cfg, hubs, log)
	srv.Decoded = decoderHubs(cams, hubs, log)
	defer func() { // before the cameras they watch
		closeHubs(slices.Collect(maps.Values(srv.Decoded)))
	}()
	if slices.ContainsFunc(hubs, func(h *hub.Hub) bool { return h.Codec() == hub.H264 }) {
		host, _, _ := net.SplitHostPort(cfg.Listen)
		// max_viewers counts WebRTC sessions too; set, it also lifts
		// WHEP's own bound (whep.DefaultMaxSessions).
		wc := whep.Config{UDP: net.JoinHostPort(host, strconv.Itoa(cfg.WebRTCPort)), Loopback: true, ICEServers: cfg.WebRTCICEServers, Logger: log,
			MaxSessions: cfg.MaxViewers}
		if cfg.WebRTCPublicIP != "" {
			wc.PublicIPs = []string{cfg.WebRTCPublicIP}
		}
		w, err := whep.New(wc)
		if err != nil {
			a.fail(cfg.Errorf("webrtc_port", "%v", err))
			return 1
		}
		defer w.Close()
		srv.WHEP = w
	}
	stopRecording, err := startRecorders(ctx, cfg, cams, hubs, srv, log)
	if err != nil {
		a.fail(err)
		return 2
	}
	defer stopRecording() // before the hubs close
	var cert *server.Certificate
	if cfg.TLS.Enabled() {
		// Read again when the files change, so a renewed certificate needs
		// no restart.
		if cert, err = server.LoadCertificate(cfg.TLS.Cert, cfg.TLS.Key, log); err != nil {
			a.fail(cfg.Errorf("tls", "%v", err))
			return 2
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		a.fail(cfg.Errorf("listen", "%v", err))
		return 1
	}
	hs := server.NewHTTPServer(srv.Handler(), log)
	hs.ReadHeaderTimeout = time.Duration(cfg.ReadHeaderTimeout)
	hs.MaxHeaderBytes = int(cfg.MaxHeaderBytes)
	if cert != nil {
		hs.TLSConfig = &tls.Config{GetCertificate: cert.GetCertificate}
	}
	root := urlOf(ln.Addr(), cfg.TLS.Enabled())
	for i, c := range cams {
		if i == 0 {
			fmt.Fprintf(a.stdout, "framecast: serving %q (%s) at %s\n", c.Name, c.describe, root)
		} else {
			fmt.Fprintf(a.stdout, "framecast: serving %q (%s) at /cam/%s/stream\n", c.Name, c.describe, c.Name)
		}
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	served := make(chan error, 1)
	go func() {
		if cert != nil {
			// ServeTLS turns HTTP/2 on, so browsers can open many streams
			// over one connection.
			served <- hs.ServeTLS(ln, "", "")
		} else {
			served <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		a.fail(err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	srv.Close() // streams never go idle: Shutdown would wait for them
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	return 0
}

// urlOf is the URL to print for a listening address.
func urlOf(a net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return scheme + "://" + a.String() + "/"
	}
	if tcp.IP.IsUnspecified() {
		host, _ := os.Hostname()
		if host == "" {
			host = "localhost"
		}
		return fmt.Sprintf("%s://%s:%d/ (all interfaces; on this machine %s://127.0.0.1:%d/)", scheme, host, tcp.Port, scheme, tcp.Port)
	}
	return scheme + "://" + tcp.String() + "/"
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	lvl, _ := config.ParseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// closeHubs closes every hub at once: a hub whose source ignores its stop
// takes a few seconds to give up on it, and several such cameras should
// not add those up at shutdown.
func closeHubs(hubs []*hub.Hub) {
	var wg sync.WaitGroup
	for _, h := range hubs {
		wg.Go(h.Close)
	}
	wg.Wait()
}
