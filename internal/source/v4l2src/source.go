// Package v4l2src is the framecast source for Video4Linux2 cameras (USB
// webcams and any other V4L2 capture device). MJPEG from the camera is
// passed through untouched except for inserting Huffman tables where the
// camera left them out; raw YUYV, UYVY, NV12, YU12 and YV12 frames are
// encoded to JPEG by a small pool of encoders, in capture order. A device
// that encodes H.264 itself has its access units passed through by
// RunH264, never transcoded.
//
// It knows nothing of the hub or HTTP: Run emits frames and returns an error
// when the device fails; restarts belong to the caller.
package v4l2src

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/framecast/framecast/pkg/jpegenc"
	"github.com/framecast/framecast/pkg/mjpeg"
	"github.com/framecast/framecast/pkg/v4l2"
)

// ErrDisconnected is matched (with errors.Is) by the error Run returns when
// the device went away (unplugged). Run may be called again: it works once
// the device is back.
var ErrDisconnected = v4l2.ErrDisconnected

// Defaults for zero fields of Source.
const (
	DefaultFPS     = 30
	DefaultBuffers = 4
	DefaultTimeout = 5 * time.Second
)

// Source captures from one V4L2 device. Configure it through its exported
// fields before the first Run; they are not changed by Run. A Source must
// not be copied after first use. Run is not meant to be called twice at
// once; Controller, Settings, Stats and Dropped may be called at any time.
type Source struct {
	// Device is the device node, e.g. /dev/video0; empty means the first
	// capture device.
	Device string
	// Width and Height are the wanted frame size; zero keeps the device's
	// current size. Drivers snap to the nearest size they offer: see Settings.
	Width, Height int
	// FPS is the wanted frame rate; zero means DefaultFPS.
	FPS int
	// Formats lists the pixel formats Run may use, first match wins, by
	// their four-character codes ("MJPG", "YUYV", "UYVY", "NV12", "YU12",
	// "YV12"; "JPEG" too). Empty means MJPG, JPEG, YUYV, UYVY, NV12, YU12,
	// YV12. RunH264 uses H264 whatever it says.
	Formats []string
	// Quality is the JPEG quality for raw formats; zero means
	// jpegenc.DefaultQuality.
	Quality int
	// Input selects the device's video input by index (zero is the first).
	Input int
	// Buffers is how many mmap buffers to ask for; zero means DefaultBuffers.
	Buffers int
	// Bitrate (bits per second) and KeyframeInterval (pictures from one
	// IDR picture to the next) are asked of an H.264 device by RunH264
	// through its codec controls, where it has them; zero, or a device
	// without them, leaves the device's own.
	Bitrate, KeyframeInterval int
	// Encoders is how many goroutines encode raw frames; zero means one per
	// CPU, at most 4.
	Encoders int
	// Timeout is how long to wait for a frame before Run fails; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// OnStart, if set, is called by Run with the settings the driver really
	// applied, before the first frame.
	OnStart func(Settings)
	// ControlValues are set each time Run opens the device, before streaming:
	// control name (as control.Key gives it, or the device's label, or a
	// numeric ID) to value. Automatic modes go first, so the manual values
	// they govern are active when set (see control.Order).
	ControlValues map[string]int
	// OnControlError, if set, is called by Run for each of ControlValues that
	// could not be set (unknown name, value out of range, refused by the
	// device); the others are set all the same and Run goes on.
	OnControlError func(name string, value int, err error)

	mu       sync.Mutex
	settings Settings
	started  bool

	frames, invalid, corrupt, busy, skipped, dht, buffers atomic.Uint64
}

// Settings is what the driver really set, read back after asking.
type Settings struct {
	Device       string           // the device node
	Card         string           // the device's name
	Driver       string           // e.g. "uvcvideo"
	Format       v4l2.PixelFormat // e.g. MJPG, YUYV or H264
	Passthrough  bool             // the camera's own JPEGs or H.264 are served
	Width        int
	Height       int
	BytesPerLine int
	Interval     v4l2.Fract // seconds per frame; zero when the driver does not say
	FPS          float64    // 1/Interval
	Buffers      int        // mmap buffers granted
}

// Stats counts what happened to frames since the Source was made. For
// H.264 a frame is an access unit (one picture).
type Stats struct {
	Frames uint64 // emitted
	// Invalid counts MJPEG frames that were not whole JPEGs, short raw
	// frames, and H.264 access units that were broken or could not be
	// decoded for want of a lost picture before them: dropped.
	Invalid uint64
	Corrupt uint64 // buffers the driver flagged as erroneous: dropped
	Busy    uint64 // raw frames dropped because every encoder was busy
	Skipped uint64 // gaps in the driver's sequence numbers (frames it dropped)
	DHT     uint64 // MJPEG frames that got the standard Huffman tables inserted
	Buffers uint64 // buffers taken from the driver and given back
}

// Stats returns the frame counters.
func (s *Source) Stats() Stats {
	return Stats{Frames: s.frames.Load(), Invalid: s.invalid.Load(), Corrupt: s.corrupt.Load(),
		Busy: s.busy.Load(), Skipped: s.skipped.Load(), DHT: s.dht.Load(), Buffers: s.buffers.Load()}
}

// Dropped counts the frames that never reached emit (Invalid, Corrupt,
// Busy and Skipped of Stats), for the hub's status and metrics.
func (s *Source) Dropped() int64 {
	st := s.Stats()
	return int64(st.Invalid + st.Corrupt + st.Busy + st.Skipped)
}

// Settings returns what the driver set in the latest Run, and false before
// any Run got that far.
func (s *Source) Settings() (Settings, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings, s.started
}

var defaultFormats = []v4l2.PixelFormat{v4l2.PixelMJPEG, v4l2.PixelJPEG, v4l2.PixelYUYV, v4l2.PixelUYVY, v4l2.PixelNV12, v4l2.PixelYU12, v4l2.PixelYV12}

// rawFormats maps the raw pixel formats to the encoder's.
var rawFormats = map[v4l2.PixelFormat]jpegenc.Format{
	v4l2.PixelYUYV: jpegenc.YUYV, v4l2.PixelUYVY: jpegenc.UYVY, v4l2.PixelNV12: jpegenc.NV12,
	v4l2.PixelYU12: jpegenc.YU12, v4l2.PixelYV12: jpegenc.YV12,
}

func isJPEG(p v4l2.PixelFormat) bool { return p == v4l2.PixelMJPEG || p == v4l2.PixelJPEG }

// devicePath returns Device, or the first capture device.
func (s *Source) devicePath() (string, error) {
	if s.Device != "" {
		return s.Device, nil
	}
	paths, err := v4l2.CaptureDevices()
	if len(paths) == 0 {
		if err != nil {
			return "", fmt.Errorf("v4l2: no capture device: %w", err)
		}
		return "", errors.New("v4l2: no capture device in /dev/video*")
	}
	return paths[0], nil
}

// chooseFormat returns the format to capture in: for H.264 (RunH264)
// H264, else the first of the wanted formats the device offers.
func (s *Source) chooseFormat(d *v4l2.Device, h264 bool) (v4l2.PixelFormat, error) {
	offered, err := d.Formats(v4l2.BufVideoCapture)
	if err != nil {
		return 0, err
	}
	return pickFormat(d.Path(), offered, s.Formats, h264)
}

// pickFormat chooses among the formats a device offers (see chooseFormat);
// its errors name what the device has and what to set instead.
func pickFormat(path string, offered []v4l2.FormatDesc, formats []string, h264 bool) (v4l2.PixelFormat, error) {
	has := func(p v4l2.PixelFormat) bool {
		for _, o := range offered {
			if o.PixelFormat == p {
				return true
			}
		}
		return false
	}
	if h264 {
		if has(v4l2.PixelH264) {
			return v4l2.PixelH264, nil
		}
		return 0, fmt.Errorf("v4l2: %s sends no H.264 (it offers %s): use codec mjpeg, the default, for this device",
			path, formatList(offered))
	}
	want := defaultFormats
	if len(formats) > 0 {
		want = nil
		for _, name := range formats {
			p, ok := v4l2.ParsePixelFormat(strings.ToUpper(name))
			if !ok || (!isJPEG(p) && rawFormats[p] == 0) {
				return 0, fmt.Errorf("v4l2: format %q: not one of MJPG, JPEG, YUYV, UYVY, NV12, YU12, YV12 (for H264 use codec h264)", name)
			}
			want = append(want, p)
		}
	}
	for _, w := range want {
		if has(w) {
			return w, nil
		}
	}
	if has(v4l2.PixelH264) {
		return 0, fmt.Errorf("v4l2: %s sends only H.264 (it offers %s): set codec h264 to pass it through; "+
			"framecast does not turn a device's H.264 into MJPEG", path, formatList(offered))
	}
	return 0, fmt.Errorf("v4l2: %s offers none of the usable formats (it has %s)", path, formatList(offered))
}

// maxListed bounds the formats an error names (vivid offers 83).
const maxListed = 12

// formatList names the formats a device offers: "MJPG, YUYV", and how many
// more beyond maxListed; "none" for none.
func formatList(offered []v4l2.FormatDesc) string {
	if len(offered) == 0 {
		return "none"
	}
	var names []string
	for _, o := range offered[:min(len(offered), maxListed)] {
		names = append(names, o.PixelFormat.String())
	}
	list := strings.Join(names, ", ")
	if n := len(offered) - maxListed; n > 0 {
		list += fmt.Sprintf(" and %d more", n)
	}
	return list
}

// setup opens and configures the device, for H.264 (RunH264) or JPEG.
func (s *Source) setup(h264 bool) (d *v4l2.Device, set Settings, err error) {
	path, err := s.devicePath()
	if err != nil {
		return nil, set, err
	}
	d, err = v4l2.Open(path)
	if err != nil {
		return nil, set, err
	}
	// Held apart from d, which each "return nil, ..." sets to nil before
	// this runs.
	opened := d
	defer func() {
		if err != nil {
			opened.Close()
		}
	}()
	c, err := d.Capability()
	if err != nil {
		return nil, set, err
	}
	if !c.CanCapture() {
		return nil, set, fmt.Errorf("v4l2: %s (%s) is not a streaming video capture device", path, c.Card)
	}
	if ins, err := d.Inputs(); err != nil {
		return nil, set, err
	} else if len(ins) > 0 {
		if s.Input >= len(ins) || s.Input < 0 {
			return nil, set, fmt.Errorf("v4l2: %s has %d inputs, no input %d", path, len(ins), s.Input)
		}
		if err := d.SetInput(s.Input); err != nil {
			return nil, set, err
		}
	}
	pf, err := s.chooseFormat(d, h264)
	if err != nil {
		return nil, set, err
	}
	cur, err := d.Format(v4l2.BufVideoCapture)
	if err != nil {
		return nil, set, err
	}
	w, h := cur.Width, cur.Height
	if s.Width > 0 && s.Height > 0 {
		w, h = uint32(s.Width), uint32(s.Height)
	}
	f, err := d.SetFormat(v4l2.BufVideoCapture, v4l2.PixFormat{Width: w, Height: h, PixelFormat: pf, Field: v4l2.FieldAny})
	if err != nil {
		return nil, set, err
	}
	if f.PixelFormat != pf {
		return nil, set, fmt.Errorf("v4l2: %s: asked for %v, the driver set %v", path, pf, f.PixelFormat)
	}
	fps := s.FPS
	if fps <= 0 {
		fps = DefaultFPS
	}
	// Drivers without frame rate control answer S_PARM with an error or
	// ignore it; what G_PARM says afterwards is the truth either way.
	d.SetFrameRate(v4l2.BufVideoCapture, v4l2.Fract{Numerator: 1, Denominator: uint32(fps)})
	iv, _, err := d.FrameRate(v4l2.BufVideoCapture)
	if err != nil && errors.Is(err, ErrDisconnected) {
		return nil, set, err
	}
	set = Settings{Device: path, Card: c.Card, Driver: c.Driver, Format: f.PixelFormat, Passthrough: isJPEG(f.PixelFormat) || h264,
		Width: int(f.Width), Height: int(f.Height), BytesPerLine: int(f.BytesPerLine), Interval: iv, FPS: iv.FPS()}
	return d, set, nil
}

// Run opens the device, applies the settings and emits frames until ctx
// ends (then it returns ctx's error) or the device fails. A device that went
// away gives an error matching ErrDisconnected; Run closes everything before
// it returns, so calling it again reopens the device.
func (s *Source) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	return s.run(ctx, false, func(c *capture) error {
		if c.set.Passthrough {
			return c.runMJPEG(emit)
		}
		return c.runRaw(emit)
	})
}

// run opens and configures the device (for H.264 or not), starts
// streaming and hands over to loop.
func (s *Source) run(ctx context.Context, h264 bool, loop func(*capture) error) error {
	d, set, err := s.setup(h264)
	if err != nil {
		return err
	}
	defer d.Close()
	if len(s.ControlValues) > 0 {
		if err := s.applyControls(d); err != nil {
			return err
		}
	}
	if h264 {
		if err := s.applyEncoder(d); err != nil {
			return err
		}
	}
	n := s.Buffers
	if n <= 0 {
		n = DefaultBuffers
	}
	st, err := d.StartStream(n)
	if err != nil {
		return err
	}
	defer st.Close()
	stop := context.AfterFunc(ctx, st.Interrupt)
	defer stop()
	set.Buffers = st.Buffers()
	s.mu.Lock()
	s.settings, s.started = set, true
	s.mu.Unlock()
	if s.OnStart != nil {
		s.OnStart(set)
	}
	c := capture{s: s, st: st, set: set, timeout: s.Timeout}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	err = loop(&c)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// frameSource is what a capture loop needs of a stream: a *v4l2.Stream,
// or a fake one in tests.
type frameSource interface {
	Next(timeout time.Duration) (v4l2.Frame, error)
	Requeue(f v4l2.Frame) error
}

// capture is the state of one Run's capture loop.
type capture struct {
	s       *Source
	st      frameSource
	set     Settings
	timeout time.Duration
	clock   wallClock
	seq     uint32
	seqOK   bool
}

// next dequeues the next frame that is worth looking at, dropping and
// counting the ones the driver flagged as erroneous. It reports whether
// frames were lost just before this one: dropped by the driver (a gap in
// its sequence numbers) or here for being erroneous.
func (c *capture) next() (f v4l2.Frame, lost bool, err error) {
	for {
		f, err := c.st.Next(c.timeout)
		switch {
		case errors.Is(err, v4l2.ErrTimeout):
			return f, lost, fmt.Errorf("v4l2: %s: no frame in %v", c.set.Device, c.timeout)
		case err != nil:
			return f, lost, err
		}
		if c.seqOK {
			if gap := seqGap(c.seq, f.Sequence); gap > 0 {
				c.s.skipped.Add(gap)
				lost = true
			}
		}
		c.seq, c.seqOK = f.Sequence, true
		if f.Flags&v4l2.BufFlagError != 0 {
			c.s.corrupt.Add(1)
			lost = true
			if err := c.requeue(f); err != nil {
				return f, lost, err
			}
			continue
		}
		return f, lost, nil
	}
}

// requeue gives a frame's buffer back to the driver.
func (c *capture) requeue(f v4l2.Frame) error {
	c.s.buffers.Add(1)
	return c.st.Requeue(f)
}

// seqGap is how many frames a driver dropped between two consecutive
// buffers with sequence numbers prev and cur. The uint32 arithmetic carries
// it across the wrap at 2^32; a number that ran backwards (a producer that
// restarted its count) or repeated is a new start, not a loss.
func seqGap(prev, cur uint32) uint64 {
	if d := cur - prev; d > 1 && d < 1<<31 {
		return uint64(d - 1)
	}
	return 0
}

// runMJPEG passes the camera's JPEGs through: cut at EOI (drivers may report
// the whole buffer as used), completed with Huffman tables where missing,
// copied out of the driver's buffer.
func (c *capture) runMJPEG(emit func(mjpeg.Frame)) error {
	for {
		f, _, err := c.next()
		if err != nil {
			return err
		}
		n, err := mjpeg.FrameLen(f.Data)
		if err != nil {
			c.s.invalid.Add(1)
			if err := c.requeue(f); err != nil {
				return err
			}
			continue
		}
		data := mjpeg.AppendWithDHT(make([]byte, 0, n), f.Data[:n])
		if len(data) != n {
			c.s.dht.Add(1)
		}
		t := c.clock.wall(f.Buffer)
		if err := c.requeue(f); err != nil {
			return err
		}
		c.s.frames.Add(1)
		emit(mjpeg.Frame{Data: data, Time: t})
	}
}

// runRaw copies each raw frame out of the driver's buffer (so the buffer is
// queued again at once), hands it to a pool of encoders, and emits the JPEGs
// in capture order. When every encoder is busy the newest frame is dropped,
// so latency stays bounded when the CPU cannot keep up.
func (c *capture) runRaw(emit func(mjpeg.Frame)) error {
	ef := rawFormats[c.set.Format]
	w, h, stride := c.set.Width, c.set.Height, c.set.BytesPerLine
	need := jpegenc.MinLen(ef, w, h, stride)
	workers := c.s.Encoders
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), 4)
	}
	p := newEncodePool(workers, need, func() encodeFunc {
		e := &jpegenc.Encoder{Quality: c.s.Quality}
		return func(raw []byte) ([]byte, error) { return e.Encode(raw, ef, w, h, stride) }
	}, func(f mjpeg.Frame, err error) {
		if err != nil {
			c.s.invalid.Add(1)
			return
		}
		c.s.frames.Add(1)
		emit(f)
	})
	defer p.close()
	for {
		f, _, err := c.next()
		if err != nil {
			return err
		}
		var raw []byte
		if len(f.Data) < need {
			c.s.invalid.Add(1)
		} else if raw = p.buffer(); raw == nil {
			c.s.busy.Add(1)
		} else {
			copy(raw, f.Data[:need])
		}
		t := c.clock.wall(f.Buffer)
		if err := c.requeue(f); err != nil {
			if raw != nil {
				p.release(raw)
			}
			return err
		}
		if raw != nil {
			p.submit(raw, t)
		}
	}
}
