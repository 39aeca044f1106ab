// Command framecast-load measures an MJPEG stream server under many viewers.
//
// It opens N concurrent viewers on a stream, parses the multipart stream,
// and reports distinct frames per second per viewer, duplicates and skipped
// frames, throughput, end-to-end latency from each part's X-Timestamp, and,
// with -pid, the server's CPU time per delivered MB and its peak memory. K of
// the viewers can be slow readers. Every run lasts -warmup + -duration and
// stops by itself.
//
// With -ref it first measures the reference server the same way, in the
// same run, and prints framecast's figures beside it as ratios. The
// reference is this same command started with -reference: a plain TCP
// server writing the same JPEGs of the same file at the same rate to every
// socket, with no HTTP at all.
//
//	framecast-load -reference -listen 127.0.0.1:9000 -file /tmp/f.mjpeg -fps 30 &
//	framecast -source file:/tmp/f.mjpeg -listen 127.0.0.1:8080 &
//	framecast-load -url http://127.0.0.1:8080/stream -pid $FC -ref 127.0.0.1:9000 -ref-pid $REF -n 500
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/framecast/framecast/internal/procstat"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is one invocation's settings.
type config struct {
	url, ref     string
	pid, refPID  int
	n, slow      int
	slowRate     int
	slowPort     int
	fps          float64
	duration     time.Duration
	warmup       time.Duration
	label        string
	reference    bool
	listen, file string
	jsonOnly     bool
	dialParallel int
	lowat        int
	urlName      string
	rounds       int
}

func parseArgs(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("framecast-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "framecast stream `URL` to measure (http://127.0.0.1:PORT/stream); tcp://HOST:PORT measures a second reference server instead")
	fs.StringVar(&c.urlName, "url-name", "framecast", "what to call the server at -url in the report")
	fs.IntVar(&c.pid, "pid", 0, "framecast's process id, to sample its CPU time and memory")
	fs.StringVar(&c.ref, "ref", "", "reference server `host:port` to measure first, in the same run")
	fs.IntVar(&c.refPID, "ref-pid", 0, "the reference server's process id")
	fs.IntVar(&c.n, "n", 10, "number of concurrent viewers")
	fs.IntVar(&c.slow, "slow", 0, "how many of the viewers read slowly")
	fs.IntVar(&c.slowRate, "slow-rate", 50000, "bytes per second a slow viewer reads")
	fs.IntVar(&c.slowPort, "slow-port", 0, "slow viewer i connects from local `port` BASE+i and reads at full speed, for a link shaped by tc (docs/slowlink.sh); -slow-rate is then ignored")
	fs.Float64Var(&c.fps, "fps", 30, "the source's frame rate, to count skipped frames")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to measure each round, after the warm-up")
	fs.IntVar(&c.rounds, "rounds", 1, "rounds per server, alternating reference and framecast; figures pool all rounds")
	fs.DurationVar(&c.warmup, "warmup", 3*time.Second, "time after all viewers connected before measuring")
	fs.StringVar(&c.label, "label", "", "free text recorded in the JSON line")
	fs.BoolVar(&c.jsonOnly, "json", false, "print only the JSON line")
	fs.IntVar(&c.dialParallel, "dial-parallel", 64, "connections opened at once while connecting")
	fs.BoolVar(&c.reference, "reference", false, "serve as the reference server instead of measuring")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:0", "with -reference: `address` to listen on")
	fs.IntVar(&c.lowat, "lowat", 0, "with -reference: set TCP_NOTSENT_LOWAT to this many `bytes` on every socket (0: leave the kernel default)")
	fs.StringVar(&c.file, "file", "", "with -reference: MJPEG `file` to replay (the same as framecast's file source)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.reference {
		if c.file == "" {
			return nil, errors.New("-reference needs -file")
		}
		if c.fps < 1 || c.fps > 120 {
			return nil, errors.New("-fps: use 1 to 120")
		}
		return c, nil
	}
	switch {
	case c.url == "" && c.ref == "":
		return nil, errors.New("-url or -ref is required")
	case c.n < 1 || c.n > 50000:
		return nil, errors.New("-n: use 1 to 50000")
	case c.slow < 0 || c.slow > c.n:
		return nil, errors.New("-slow: use 0 to -n")
	case c.slowPort < 0 || c.slowPort > 0 && c.slowPort+c.slow > 65535:
		return nil, errors.New("-slow-port: use a base port that leaves room for -slow viewers below 65536")
	case c.slowRate < 1000:
		return nil, errors.New("-slow-rate: at least 1000 bytes per second")
	case c.fps <= 0:
		return nil, errors.New("-fps must be positive")
	case c.duration <= 0 || c.warmup < 0:
		return nil, errors.New("-duration must be positive and -warmup not negative")
	case c.rounds < 1 || c.rounds > 100:
		return nil, errors.New("-rounds: use 1 to 100")
	case c.dialParallel < 1:
		return nil, errors.New("-dial-parallel must be positive")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "framecast-load:", err)
		return 2
	}
	if c.reference {
		return serveReference(ctx, c, stdout, stderr)
	}
	rep := report{Label: c.label, N: c.n, Slow: c.slow, SlowRate: c.slowRate, FPS: c.fps,
		Seconds: c.duration.Seconds() * float64(c.rounds), Rounds: c.rounds, Date: time.Now().UTC().Format(time.RFC3339), LoadBefore: procstat.LoadAverage()}
	var fc target
	if c.url != "" {
		if fc, err = parseTarget(c.url); err != nil {
			fmt.Fprintln(stderr, "framecast-load:", err)
			return 2
		}
	}
	// Rounds alternate between the servers, so that both see the same
	// share of whatever else the machine is doing.
	var refRounds, fcRounds []*round
	for range c.rounds {
		if c.ref != "" {
			rd, err := collect(ctx, c, target{addr: c.ref}, c.refPID)
			if err != nil {
				fmt.Fprintln(stderr, "framecast-load: reference:", err)
				return 1
			}
			refRounds = append(refRounds, rd)
		}
		if c.url != "" {
			rd, err := collect(ctx, c, fc, c.pid)
			if err != nil {
				fmt.Fprintf(stderr, "framecast-load: %s: %v\n", c.urlName, err)
				return 1
			}
			fcRounds = append(fcRounds, rd)
		}
	}
	if refRounds != nil {
		rep.Reference = summarize("reference", refRounds)
	}
	if fcRounds != nil {
		rep.Framecast = summarize(c.urlName, fcRounds)
	}
	rep.LoadAfter = procstat.LoadAverage()
	if rep.Reference != nil && rep.Framecast != nil {
		rep.Ratio = ratios(rep.Framecast, rep.Reference)
	}
	if !c.jsonOnly {
		printTable(stdout, &rep)
	}
	js, _ := json.Marshal(rep)
	fmt.Fprintln(stdout, string(js))
	return 0
}

// serveReference runs the reference server until ctx ends.
func serveReference(ctx context.Context, c *config, stdout, stderr io.Writer) int {
	// Count the frames once, to fail early on a bad file; the source then
	// reads the file as framecast's does.
	frames, err := loadFrames(c.file)
	if err != nil {
		fmt.Fprintln(stderr, "framecast-load:", err)
		return 1
	}
	n := len(frames)
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		fmt.Fprintln(stderr, "framecast-load: -listen:", err)
		return 1
	}
	fmt.Fprintf(stdout, "reference: %d frames from %s at %g fps on %s\n", n, c.file, c.fps, ln.Addr())
	runtime.GC()
	debug.FreeOSMemory() // the count's copy of the file is not the reference's memory
	r := &reference{path: c.file, fps: int(c.fps), lowat: c.lowat}
	if err := r.serve(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "framecast-load:", err)
		return 1
	}
	return 0
}
