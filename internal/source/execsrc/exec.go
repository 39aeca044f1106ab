// Package execsrc runs a command that writes an MJPEG stream (concatenated
// JPEGs) to its standard output, such as ffmpeg, gst-launch or rpicam-vid,
// and emits the frames it makes.
//
// The command runs in a process group of its own. When the source stops, the
// whole group gets SIGINT, then SIGKILL after a grace period, and the command
// is always waited for: no orphans, no zombies. Its standard error goes to
// the log line by line, with credentials in URLs masked.
package execsrc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/framecast/framecast/internal/redact"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// DefaultGrace is how long a command gets to exit after SIGINT before its
// process group is killed, when Source.Grace is zero.
const DefaultGrace = 3 * time.Second

// maxLogLine bounds one logged stderr line; longer lines are cut.
const maxLogLine = 1024

// Stderr lines are logged at most at this rate (a burst, then per second),
// so a chatty program cannot flood the log.
const (
	logBurst  = 50
	logPerSec = 5
)

// Source runs Args and emits the JPEG frames it writes to stdout. Set the
// fields before Run and leave them alone while it runs.
type Source struct {
	// Args is the program and its arguments; Args[0] is looked up in $PATH
	// when it has no slash.
	Args []string
	// Env is the command's environment; nil means framecast's own.
	Env []string
	// Grace is how long the command gets to exit after SIGINT before its
	// process group is killed; zero means DefaultGrace.
	Grace time.Duration
	// MaxFrameSize bounds one frame; zero means mjpeg.DefaultMaxFrameSize.
	MaxFrameSize int
	// Logger receives the command's stderr lines (attribute "program") and
	// its start and exit; nil means slog.Default(). Give it the camera's name.
	Logger *slog.Logger

	dropped atomic.Int64
}

// Dropped counts the broken frames skipped so far, over every run.
func (s *Source) Dropped() int64 { return s.dropped.Load() }

// Run starts the command and emits its frames until ctx ends, then stops the
// command's process group and returns nil. When the command exits, closes
// its output or cannot be started, Run returns an error with the exit status
// and the last line it wrote to stderr, such as
// `ffmpeg: exit status 1: rtsp://cam/: Connection refused`.
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	return s.run(ctx, func(r io.Reader) error { return s.read(r, emit) }, nil)
}

// run runs the command, handing its stdout to read, until ctx ends. With
// write set, write feeds the command's stdin until its ctx ends (the run
// ends) or it fails; the stdin then closes.
func (s *Source) run(ctx context.Context, read func(io.Reader) error, write func(context.Context, io.Writer) error) error {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return errors.New("exec: no command given")
	}
	prog := filepath.Base(s.Args[0])
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("program", prog)
	grace := s.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	c, err := s.start(prog, log, grace, read, write)
	if err != nil {
		return err
	}
	stopped := c.supervise(ctx)
	c.finish()
	if ctx.Err() != nil {
		return nil
	}
	return describeExit(prog, c.waitErr, stopped, c.readErr, c.stderr.last())
}

// command is one run of the command: its process group, and the
// goroutines that read its output and wait for it.
type command struct {
	log        *slog.Logger
	grace      time.Duration
	pgid       int
	outR, errR *os.File
	stderr     stderrLog

	inW       *os.File           // the command's stdin; nil without write
	stopWrite context.CancelFunc // ends write
	writeDone chan struct{}      // write returned
	errDone   chan struct{}      // stderr copied
	readDone  chan error         // stdout read to its end
	waitDone  chan error         // the leader waited for

	readErr, waitErr error
	readOver, exited bool
}

// start starts the command in a process group of its own, with goroutines
// that hand its stdout to read, copy its stderr to the log and wait for it.
func (s *Source) start(prog string, log *slog.Logger, grace time.Duration, read func(io.Reader) error, write func(context.Context, io.Writer) error) (*command, error) {
	cmd := exec.Command(s.Args[0], s.Args[1:]...)
	if cmd.Err != nil {
		return nil, cmd.Err // exec: "nosuch": executable file not found in $PATH
	}
	cmd.Env = s.Env
	// Its own group, so stopping it reaches every child it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	var inR, inW *os.File
	if write != nil {
		if inR, inW, err = os.Pipe(); err != nil {
			outR.Close()
			outW.Close()
			errR.Close()
			errW.Close()
			return nil, err
		}
		cmd.Stdin = inR
	}
	err = cmd.Start()
	// The child holds its own copies; ours must go so EOF can arrive.
	outW.Close()
	errW.Close()
	if inR != nil {
		inR.Close()
	}
	if err != nil {
		outR.Close()
		errR.Close()
		if inW != nil {
			inW.Close()
		}
		var pe *fs.PathError
		if errors.As(err, &pe) { // "fork/exec /x: ..." says more than users need
			return nil, fmt.Errorf("%s: %w", pe.Path, pe.Err)
		}
		return nil, fmt.Errorf("%s: %w", prog, err)
	}
	c := &command{
		log: log, grace: grace, pgid: cmd.Process.Pid, outR: outR, errR: errR,
		stderr:  stderrLog{log: log},
		errDone: make(chan struct{}), readDone: make(chan error, 1), waitDone: make(chan error, 1),
	}
	log.Debug("command started", "pid", c.pgid, "args", redact.URLs(strings.Join(s.Args, " ")))
	go func() {
		defer close(c.errDone)
		c.stderr.copy(errR)
	}()
	go func() { c.readDone <- read(outR) }()
	go func() { c.waitDone <- cmd.Wait() }()
	if write != nil {
		var wctx context.Context
		wctx, c.stopWrite = context.WithCancel(context.Background())
		c.inW, c.writeDone = inW, make(chan struct{})
		go func() {
			defer close(c.writeDone)
			if err := write(wctx, inW); err != nil && wctx.Err() == nil {
				log.Debug("feeding the command stopped", "err", err)
			}
			inW.Close() // EOF: the command finishes what it has and exits
		}()
	}
	return c, nil
}

// supervise waits until ctx ends, the output ends or the leader exits, and
// stops the command as each case needs. It reports whether the command
// closed its output but kept running, so that it had to be stopped.
func (c *command) supervise(ctx context.Context) (stopped bool) {
	select {
	case <-ctx.Done():
		c.stop()
	case c.readErr = <-c.readDone:
		c.readOver = true
		// Its output ended: it is exiting, or it closed stdout and is useless.
		t := time.NewTimer(c.grace)
		defer t.Stop()
		select {
		case c.waitErr = <-c.waitDone:
			c.exited = true
		case <-t.C:
			stopped = true
			c.stop()
		}
	case c.waitErr = <-c.waitDone:
		c.exited = true
		// The leader is gone; children may still hold stdout.
		c.stop()
	}
	return stopped
}

// stop sends the group SIGINT and waits for the leader to exit and the
// output to end, killing the group after the grace period.
func (c *command) stop() {
	signalGroup(c.pgid, syscall.SIGINT)
	t := time.NewTimer(c.grace)
	defer t.Stop()
	for !c.exited || !c.readOver {
		select {
		case c.waitErr = <-c.waitDone:
			c.exited = true
		case c.readErr = <-c.readDone:
			c.readOver = true
		case <-t.C:
			c.log.Warn("command ignored SIGINT; killing its process group", "grace", c.grace)
			signalGroup(c.pgid, syscall.SIGKILL)
			if !c.exited {
				c.waitErr, c.exited = <-c.waitDone, true
			}
			return
		}
	}
}

// finish leaves nothing of the run behind: no process of the group, no
// zombie, no goroutine, no open pipe.
func (c *command) finish() {
	// Nothing of the group may outlive the run, even after a clean exit.
	signalGroup(c.pgid, syscall.SIGKILL)
	reapGroup(c.pgid)
	// The group is gone, so the readers reach EOF once they have drained
	// what the command wrote last (its last stderr line is the error's
	// reason). Only processes that left the group can still hold the pipes:
	// after a short wait, closing our ends ends the readers regardless.
	drain := time.NewTimer(drainWait)
	defer drain.Stop()
	errDone := c.errDone
wait:
	for errDone != nil || !c.readOver {
		select {
		case <-errDone:
			errDone = nil
		case c.readErr = <-c.readDone:
			c.readOver = true
		case <-drain.C:
			break wait
		}
	}
	c.outR.Close()
	c.errR.Close()
	if c.inW != nil {
		c.stopWrite()
		c.inW.Close() // ends a write blocked on a full pipe
		<-c.writeDone
	}
	if !c.readOver {
		c.readErr = <-c.readDone
	}
	<-c.errDone
}

// drainWait bounds how long finish lets the readers drain the pipes of a
// command whose group is gone.
const drainWait = 500 * time.Millisecond

// read splits r into frames and emits them until r ends.
func (s *Source) read(r io.Reader, emit func(mjpeg.Frame)) error {
	sp := mjpeg.NewSplitter(r, s.MaxFrameSize)
	sp.Drops = &s.dropped
	for {
		data, err := sp.Next()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		emit(mjpeg.Frame{Data: data, Time: time.Now()})
	}
}

// describeExit words why the command's run ended.
func describeExit(prog string, waitErr error, stopped bool, readErr error, lastLine string) error {
	var msg string
	switch {
	case readErr != nil:
		msg = fmt.Sprintf("reading its output: %v", readErr)
	case stopped:
		msg = "closed its output but kept running; stopped it"
		if waitErr != nil {
			msg += " (" + waitErr.Error() + ")"
		}
	case waitErr != nil:
		msg = waitErr.Error() // "exit status 1", "signal: killed"
	default:
		msg = "exited (exit status 0)"
	}
	if lastLine != "" {
		return fmt.Errorf("%s: %s: %s", prog, msg, lastLine)
	}
	return fmt.Errorf("%s: %s", prog, msg)
}

// signalGroup sends sig to every process of the group pgid. A group that is
// already gone is no error.
func signalGroup(pgid int, sig syscall.Signal) {
	if pgid > 1 {
		_ = syscall.Kill(-pgid, sig)
	}
}

// reapGroup waits for the members of group pgid that are this process's
// children: the command's own children become ours when it dies if this
// process is a child subreaper (see Subreaper) or PID 1, as in a container.
// Others are reaped by whoever adopted them.
func reapGroup(pgid int) {
	if pgid <= 1 {
		return
	}
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(-pgid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil { // ECHILD: none left that are ours
			return
		}
	}
}

// stderrLog copies a command's stderr to the log, one record per line, at a
// bounded rate, and remembers the last non-empty line. Lines beyond the
// rate cost a scan and a copy, no allocation: a command that floods its
// stderr must not take a core.
type stderrLog struct {
	log *slog.Logger

	tokens     float64 // records that may be logged now
	lastRefill time.Time
	suppressed int

	mu       sync.Mutex
	lastLine []byte // trimmed, at most maxLogLine bytes
}

// last returns the last non-empty line, credentials in URLs masked.
func (l *stderrLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return redact.URLs(string(l.lastLine))
}

// copy reads r to its end, in chunks. Lines end at \n or \r (ffmpeg
// redraws its progress line with \r); lines longer than maxLogLine are cut.
func (l *stderrLog) copy(r io.Reader) {
	l.tokens, l.lastRefill = logBurst, time.Now()
	buf := make([]byte, 16<<10)
	line := make([]byte, 0, maxLogLine)
	for {
		n, err := r.Read(buf)
		chunk := buf[:n]
		now := time.Now() // once a chunk: a flood has many lines to each
		for len(chunk) > 0 {
			i := lineEnd(chunk)
			if i < 0 {
				line = appendCut(line, chunk)
				break
			}
			l.line(appendCut(line, chunk[:i]), now)
			line = line[:0]
			chunk = chunk[i+1:]
		}
		if err != nil {
			l.line(line, now)
			if l.suppressed > 0 {
				l.log.Info("stderr", "suppressed", l.suppressed)
			}
			return
		}
	}
}

// lineEnd returns the index of the first \n or \r in b, or -1.
func lineEnd(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		i = len(b)
	}
	if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
		return j
	}
	if i == len(b) {
		return -1
	}
	return i
}

// appendCut appends b to line up to maxLogLine bytes in all.
func appendCut(line, b []byte) []byte {
	return append(line, b[:min(len(b), maxLogLine-len(line))]...)
}

// line takes one line of stderr, read at now: it remembers it and logs it
// unless the rate is exceeded.
func (l *stderrLog) line(b []byte, now time.Time) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return
	}
	l.mu.Lock()
	l.lastLine = append(l.lastLine[:0], b...)
	l.mu.Unlock()
	l.tokens = min(logBurst, l.tokens+now.Sub(l.lastRefill).Seconds()*logPerSec)
	l.lastRefill = now
	if l.tokens < 1 {
		l.suppressed++
		return
	}
	l.tokens--
	// ffmpeg names its input URL, password and all, in its errors.
	text := redact.URLs(string(b))
	if l.suppressed > 0 {
		l.log.Info("stderr", "line", text, "suppressed", l.suppressed)
		l.suppressed = 0
		return
	}
	l.log.Info("stderr", "line", text)
}
