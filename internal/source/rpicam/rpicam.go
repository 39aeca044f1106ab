// Package rpicam captures from a Raspberry Pi camera through rpicam-vid
// (Raspberry Pi OS Bookworm and later) or libcamera-vid (Bullseye), which
// write MJPEG to stdout; the command runs through package execsrc, so it is
// stopped with SIGINT (releasing the camera cleanly), killed with its whole
// process group after a grace period, and always waited for.
//
// The legacy raspivid of Buster and earlier is not supported.
package rpicam

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// Programs are the capture programs looked up in $PATH, in order: the
// current name first, then the name of Raspberry Pi OS Bullseye.
var Programs = []string{"rpicam-vid", "libcamera-vid"}

// ErrNotInstalled is returned by Find when no capture program is in $PATH.
var ErrNotInstalled = errors.New("rpicam: neither rpicam-vid nor libcamera-vid is installed (on Raspberry Pi OS: sudo apt install rpicam-apps)")

// Find returns the path of the first of Programs found in $PATH.
func Find() (string, error) {
	for _, p := range Programs {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", ErrNotInstalled
}

// Source runs rpicam-vid and emits its frames. Set the fields before Run and
// leave them alone while it runs. Zero fields leave rpicam-vid's own default.
type Source struct {
	// Program is the capture program's path or name; empty means Find.
	Program string
	// Width and Height are the picture size in pixels.
	Width, Height int
	// FPS is the frame rate.
	FPS int
	// Quality is the JPEG quality, 1 to 100 (rpicam-vid's default is 50).
	Quality int
	// HFlip and VFlip mirror the picture.
	HFlip, VFlip bool
	// Rotation turns the picture: 0 or 180 (the camera cannot do 90 or 270).
	Rotation int
	// Camera is the camera's index, for boards with two (see ListCameras).
	Camera int
	// Bitrate (bits per second), Intra (frames between IDR pictures),
	// Profile (baseline, main, high) and Level (4, 4.1, 4.2) are asked of
	// the H.264 encoder by RunH264.
	Bitrate, Intra int
	// Profile is the H.264 profile; see Bitrate.
	Profile, Level string
	// ExtraArgs are passed to the program after framecast's own, such as
	// "--awb indoor" or "--denoise cdn_off". They must not repeat an option
	// framecast sets: rpicam-vid refuses an option given twice.
	ExtraArgs []string
	// Grace is how long the program gets to release the camera after SIGINT
	// before it is killed; zero means execsrc.DefaultGrace.
	Grace time.Duration
	// MaxFrameSize bounds one frame; zero means mjpeg.DefaultMaxFrameSize.
	MaxFrameSize int
	// Logger receives the program's stderr lines; nil means slog.Default().
	Logger *slog.Logger

	ex execsrc.Source
}

// Check reports whether the fields are valid, naming the bad one.
func (s *Source) Check() error {
	switch {
	case s.Width < 0 || s.Height < 0:
		return fmt.Errorf("rpicam: size %dx%d must not be negative", s.Width, s.Height)
	case s.FPS < 0:
		return fmt.Errorf("rpicam: fps %d must not be negative", s.FPS)
	case s.Quality < 0 || s.Quality > 100:
		return fmt.Errorf("rpicam: quality %d is out of range: use 1 to 100", s.Quality)
	case s.Rotation != 0 && s.Rotation != 180:
		return fmt.Errorf("rpicam: rotation %d is not supported: use 0 or 180 (with hflip/vflip)", s.Rotation)
	case s.Camera < 0:
		return fmt.Errorf("rpicam: camera index %d must not be negative", s.Camera)
	case s.Bitrate < 0 || s.Intra < 0:
		return fmt.Errorf("rpicam: bitrate %d and intra %d must not be negative", s.Bitrate, s.Intra)
	}
	return nil
}

// Args returns the program's arguments (without the program itself): MJPEG
// to stdout, flushed after every frame (else each frame arrives one frame
// late), no preview window, no time limit, then the settings and ExtraArgs.
func (s *Source) Args() []string {
	return s.args([]string{"--codec", "mjpeg", "--output", "-", "--timeout", "0", "--nopreview", "--flush"}, true)
}

// H264Args returns the program's arguments for RunH264: H.264 to stdout
// with the SPS and PPS before every IDR picture (--inline, so a stream can
// be joined), flushed after every picture, the settings Args gives but the
// JPEG quality, the encoder's settings, then ExtraArgs.
func (s *Source) H264Args() []string {
	a := s.args([]string{"--codec", "h264", "--inline", "--output", "-", "--timeout", "0", "--nopreview", "--flush"}, false)
	a = a[:len(a)-len(s.ExtraArgs)]
	if s.Bitrate > 0 {
		a = append(a, "--bitrate", strconv.Itoa(s.Bitrate))
	}
	if s.Intra > 0 {
		a = append(a, "--intra", strconv.Itoa(s.Intra))
	}
	if s.Profile != "" {
		a = append(a, "--profile", s.Profile)
	}
	if s.Level != "" {
		a = append(a, "--level", s.Level)
	}
	return append(a, s.ExtraArgs...)
}

// args appends the settings to a, the JPEG quality when quality is set,
// then ExtraArgs.
func (s *Source) args(a []string, quality bool) []string {
	if s.Width > 0 {
		a = append(a, "--width", strconv.Itoa(s.Width))
	}
	if s.Height > 0 {
		a = append(a, "--height", strconv.Itoa(s.Height))
	}
	if s.FPS > 0 {
		a = append(a, "--framerate", strconv.Itoa(s.FPS))
	}
	if quality && s.Quality > 0 {
		a = append(a, "--quality", strconv.Itoa(s.Quality))
	}
	if s.HFlip {
		a = append(a, "--hflip")
	}
	if s.VFlip {
		a = append(a, "--vflip")
	}
	if s.Rotation != 0 {
		a = append(a, "--rotation", strconv.Itoa(s.Rotation))
	}
	a = append(a, "--camera", strconv.Itoa(s.Camera))
	return append(a, s.ExtraArgs...)
}

// Dropped counts the broken frames skipped so far.
func (s *Source) Dropped() int64 { return s.ex.Dropped() }

// Run runs the program and emits its frames until ctx ends. It fails when
// the program is missing or the fields are invalid, and when the program
// exits, with its exit status and last stderr line, such as
// "rpicam-vid: exit status 255: ERROR: *** no cameras available ***".
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	if err := s.prepare(s.Args()); err != nil {
		return err
	}
	return s.ex.Run(ctx, emit)
}

// RunH264 is Run with the program encoding H.264 (H264Args): it emits the
// access units. On a Raspberry Pi 5, which has no H.264 encoder, rpicam-vid
// encodes with libx264 through libav, in software.
func (s *Source) RunH264(ctx context.Context, emit func(h264.AccessUnit)) error {
	if err := s.prepare(s.H264Args()); err != nil {
		return err
	}
	return s.ex.RunH264(ctx, emit)
}

// prepare checks the fields and sets up the command with args.
func (s *Source) prepare(args []string) error {
	if err := s.Check(); err != nil {
		return err
	}
	prog := s.Program
	if prog == "" {
		var err error
		if prog, err = Find(); err != nil {
			return err
		}
	}
	s.ex.Args = append([]string{prog}, args...)
	s.ex.Grace = s.Grace
	s.ex.MaxFrameSize = s.MaxFrameSize
	s.ex.Logger = s.Logger
	return nil
}

// Camera is one camera rpicam-vid --list-cameras reports.
type Camera struct {
	// Index is the value for Source.Camera.
	Index int
	// Model is the sensor, such as "imx708".
	Model string
	// Info is the text in brackets: the sensor's full size, bit depth and
	// colour filter, such as "4608x2592 10-bit RGGB".
	Info string
	// ID is libcamera's camera id, such as "/base/soc/i2c0mux/i2c@1/imx708@1a".
	ID string
}

// cameraLine matches "0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/...)".
var cameraLine = regexp.MustCompile(`^\s*(\d+)\s*:\s*(\S+)\s*(?:\[([^\]]*)\])?\s*(?:\((.*)\))?\s*$`)

// ListCameras runs program (empty means Find) with --list-cameras and
// returns the cameras it reports; none is an empty list and no error. It
// fails when the program is missing, fails, or does not finish within 15s.
func ListCameras(ctx context.Context, program string) ([]Camera, error) {
	if program == "" {
		var err error
		if program, err = Find(); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, "--list-cameras")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		name := filepath.Base(program)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s --list-cameras: no answer within 15s", name)
		}
		if last := lastLine(stderr.Bytes()); last != "" {
			return nil, fmt.Errorf("%s --list-cameras: %v: %s", name, err, last)
		}
		return nil, fmt.Errorf("%s --list-cameras: %w", name, err)
	}
	return parseCameras(stdout.Bytes()), nil
}

// parseCameras reads the camera lines of --list-cameras output; mode lines
// and headings are skipped.
func parseCameras(out []byte) []Camera {
	cams := []Camera{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := cameraLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		i, err := strconv.Atoi(m[1])
		if err != nil {
			continue
		}
		cams = append(cams, Camera{Index: i, Model: m[2], Info: m[3], ID: m[4]})
	}
	return cams
}

// lastLine returns the last non-empty line of b.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
