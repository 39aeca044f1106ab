// Command framecast streams a camera to web browsers as MJPEG.
//
// Run it with no flags to serve a live test pattern on :8080; see
// framecast -help for every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/framecast/framecast/hub"
	"github.com/framecast/framecast/picture"
	"github.com/framecast/framecast/server"
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
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "framecast:", err)
		return 2
	}
	log := newLogger(o, stderr)
	src, describe, err := newSource(o, log)
	if err != nil {
		fmt.Fprintln(stderr, "framecast:", err)
		return 2
	}
	h := hub.New(hub.Config{
		Name:         o.name,
		Source:       src,
		Describe:     describe,
		IdleTimeout:  o.idleTimeout,
		StallTimeout: o.stallTimeout,
		Width:        o.width,
		Height:       o.height,
		NoSignal: func(w, hh int, since time.Duration, lastErr string) ([]byte, error) {
			return picture.NoSignal(w, hh, o.quality, since, lastErr)
		},
		Logger: log,
	})
	defer h.Close()

	srv := &server.Server{
		Cameras:         []*hub.Hub{h},
		SnapshotTimeout: o.snapshotTimeout,
		WriteTimeout:    o.writeTimeout,
		Logger:          log,
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		fmt.Fprintln(stderr, "framecast: -listen:", err)
		return 1
	}
	// Streams never go idle, so shutdown ends them through their context.
	base, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	fmt.Fprintf(stdout, "framecast: serving %q (%s) at %s\n", o.name, describe, urlOf(ln.Addr()))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintln(stderr, "framecast:", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	endStreams()
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	return 0
}

// urlOf is the URL to print for a listening address.
func urlOf(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String() + "/"
	}
	if tcp.IP.IsUnspecified() {
		host, _ := os.Hostname()
		if host == "" {
			host = "localhost"
		}
		return fmt.Sprintf("http://%s:%d/ (all interfaces; on this machine http://127.0.0.1:%d/)", host, tcp.Port, tcp.Port)
	}
	return "http://" + tcp.String() + "/"
}

func newLogger(o *options, w io.Writer) *slog.Logger {
	lvl, _ := parseLevel(o.logLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("-log-level: %q is not debug, info, warn or error", s)
	}
	return l, nil
}
