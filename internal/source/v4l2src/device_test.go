//go:build v4l2guest

package v4l2src

// Tests against real V4L2 devices: the kernel's vivid driver (raw formats,
// controls, error injection) and v4l2loopback (MJPEG). They run inside a VM
// booted by TestVM, and on any machine that has these drivers loaded.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/pkg/mjpeg"
	"github.com/framecast/framecast/pkg/v4l2"
)

// patience is Source.Timeout in these tests: an emulated guest on a busy
// host can go seconds without a frame, and that is not what they test.
const patience = time.Minute

// vivid's error-injection controls (drivers/media/test-drivers/vivid).
const (
	vividDisconnect     = "0x00f0f041"
	vividInjectBufError = "0x00f0f042"
	vividInjectQBuf     = "0x00f0f044"
	vividInjectStreamOn = "0x00f0f045"
	vividInjectFatal    = "0x00f0f046"
)

// findDevice returns the capture device whose driver is named driver. It
// skips the test when there is none, unless the environment variable
// V4L2_REQUIRE_DEVICE (or V4L2_REQUIRE_LOOPBACK for v4l2loopback) is 1, as
// it is inside the VM: there a missing device is a failure.
func findDevice(t *testing.T, driver string) string {
	t.Helper()
	paths, _ := v4l2.CaptureDevices()
	for _, p := range paths {
		d, err := v4l2.Open(p)
		if err != nil {
			continue
		}
		c, err := d.Capability()
		d.Close()
		if err == nil && c.Driver == driver {
			return p
		}
	}
	require := "V4L2_REQUIRE_DEVICE"
	if driver == "v4l2 loopback" {
		require = "V4L2_REQUIRE_LOOPBACK"
	}
	if os.Getenv(require) == "1" || os.Getenv("CI") == "true" {
		t.Fatalf("no %s capture device among %v", driver, paths)
	}
	t.Skipf("no %s capture device; TestVM runs this test in a VM that has one (needs qemu-system-x86)", driver)
	return ""
}

// runUntil runs s until it has emitted n frames, calling during(i) from the
// test goroutine after frame i arrived. It returns the frames and Run's
// error (nil when Run ended because of the cancel after n frames).
func runUntil(t *testing.T, s *Source, n int, during func(i int)) ([]mjpeg.Frame, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan mjpeg.Frame, n+8)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(f mjpeg.Frame) {
			select {
			case ch <- f:
			default:
			}
		})
	}()
	var frames []mjpeg.Frame
	for len(frames) < n {
		select {
		case f := <-ch:
			frames = append(frames, f)
			if during != nil {
				during(len(frames) - 1)
			}
		case err := <-done:
			return frames, err
		}
	}
	cancel()
	err := <-done
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return frames, err
}

// checkFrames checks that frames are whole JPEGs of width x height whose
// times never run backwards, and decodes a few to see real pixels.
func checkFrames(t *testing.T, frames []mjpeg.Frame, width, height int) {
	t.Helper()
	for i, f := range frames {
		if n, err := mjpeg.FrameLen(f.Data); err != nil || n != len(f.Data) {
			t.Fatalf("frame %d: FrameLen = %d, %v; it has %d bytes", i, n, err, len(f.Data))
		}
		w, h, err := mjpeg.Size(f.Data)
		if err != nil || w != width || h != height {
			t.Fatalf("frame %d: %dx%d (%v), want %dx%d", i, w, h, err, width, height)
		}
		if i > 0 && f.Time.Before(frames[i-1].Time) {
			t.Fatalf("frame %d at %v is before frame %d at %v", i, f.Time, i-1, frames[i-1].Time)
		}
		if i%5 != 0 {
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(f.Data))
		if err != nil {
			t.Fatalf("frame %d does not decode: %v", i, err)
		}
		// vivid's colour bars: the picture is far from uniform.
		var lo, hi uint8 = 255, 0
		for x := 0; x < width; x += width / 16 {
			y, _, _, _ := img.At(x, height/4).RGBA()
			lo, hi = min(lo, uint8(y>>8)), max(hi, uint8(y>>8))
		}
		if hi-lo < 64 {
			t.Fatalf("frame %d looks uniform (%d..%d along a line)", i, lo, hi)
		}
	}
	if age := time.Since(frames[len(frames)-1].Time); age < 0 || age > time.Minute {
		t.Errorf("last frame's time is %v away from now", age)
	}
}

func TestCaptureYUYV(t *testing.T) {
	path := findDevice(t, "vivid")
	tests := []struct{ width, height, fps, frames int }{
		{640, 480, 5, 8},
		{1280, 720, 2, 5},
		{640, 480, 25, 25},
		{1280, 720, 12, 12},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d@%d", tt.width, tt.height, tt.fps), func(t *testing.T) {
			var started Settings
			s := &Source{Device: path, Width: tt.width, Height: tt.height, FPS: tt.fps, Formats: []string{"YUYV"},
				Timeout: patience, OnStart: func(set Settings) { started = set }}
			frames, err := runUntil(t, s, tt.frames, nil)
			if err != nil {
				t.Fatalf("Run: %v after %d frames", err, len(frames))
			}
			set, _ := s.Settings()
			if set != started || set.Width != tt.width || set.Height != tt.height || set.Format != v4l2.PixelYUYV || set.Passthrough {
				t.Fatalf("settings %+v (OnStart said %+v)", set, started)
			}
			t.Logf("settings: %s %dx%d stride %d, %v s/frame (%.2f fps), %d buffers", set.Format, set.Width, set.Height,
				set.BytesPerLine, set.Interval, set.FPS, set.Buffers)
			checkFrames(t, frames, tt.width, tt.height)
			st := s.Stats()
			t.Logf("stats: %+v", st)
			if st.Corrupt != 0 || st.Invalid != 0 {
				t.Errorf("bad frames: %+v", st)
			}
			// Frames shed while every encoder was busy (Busy) and gaps in
			// the device's sequence (Skipped: vivid's thread catching up
			// after the emulated CPU fell behind) depend on how loaded the
			// host is; they must only be counted. TestStackDropped has
			// vivid drop frames on purpose.
			if st.Frames < uint64(tt.frames) || s.Dropped() != int64(st.Skipped+st.Busy) {
				t.Errorf("stats %+v, Dropped %d", st, s.Dropped())
			}
		})
	}
}

func TestSizeSnapping(t *testing.T) {
	path := findDevice(t, "vivid")
	s := &Source{Device: path, Width: 800, Height: 600, FPS: 25, Formats: []string{"YUYV"}, Timeout: patience}
	frames, err := runUntil(t, s, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	set, ok := s.Settings()
	if !ok || set.Width != 640 || set.Height != 480 {
		t.Fatalf("asked 800x600, settings say %dx%d; vivid snaps to 640x480", set.Width, set.Height)
	}
	if set.Interval != (v4l2.Fract{Numerator: 1, Denominator: 25}) {
		t.Errorf("interval %v, want 1/25", set.Interval)
	}
	checkFrames(t, frames, 640, 480)
}

func TestControls(t *testing.T) {
	path := findDevice(t, "vivid")
	ctl := (&Source{Device: path}).Controller()
	get := func(name string) control.Control {
		t.Helper()
		list, err := ctl.Controls()
		if err != nil {
			t.Fatal(err)
		}
		c, err := control.Find(list, name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	b := get("brightness")
	if b.Label != "Brightness" || b.Type != control.Integer || b.Min != 0 || b.Max != 255 || b.Default != 128 || b.Value == nil {
		t.Fatalf("brightness: %+v", b)
	}
	defer ctl.SetControl("brightness", *b.Value)
	tests := []struct {
		key     string
		value   int64
		wantErr bool
		want    int64
	}{
		{"brightness", 200, false, 200},
		{"0x00980900", 17, false, 17},
		{"Brightness", 300, true, 17},
		{"no such control", 1, true, 17},
	}
	for _, tt := range tests {
		err := ctl.SetControl(tt.key, tt.value)
		if (err != nil) != tt.wantErr {
			t.Fatalf("SetControl(%q, %d): %v", tt.key, tt.value, err)
		}
		if got := *get("brightness").Value; got != tt.want {
			t.Fatalf("after SetControl(%q, %d): brightness %d, want %d", tt.key, tt.value, got, tt.want)
		}
	}
	// Setting while capturing works through a second file handle.
	_, err := runUntil(t, &Source{Device: path, Width: 640, Height: 480, Formats: []string{"YUYV"}, Timeout: patience}, 4, func(i int) {
		if i == 1 {
			if err := ctl.SetControl("brightness", 99); err != nil {
				t.Errorf("SetControl while streaming: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := *get("brightness").Value; got != 99 {
		t.Fatalf("brightness %d after setting 99 while streaming", got)
	}
	if c := get("Test Pattern"); c.Type != control.Menu || len(c.Menu) < 10 || c.Menu[0].Name == "" {
		t.Errorf("test pattern menu: %+v", c)
	}
}

// TestFaults injects vivid's faults and checks that Run reports them and
// that the next Run works, as the hub's restart will do.
func TestFaults(t *testing.T) {
	path := findDevice(t, "vivid")
	tests := []struct {
		name      string
		control   string
		streaming bool // inject after the second frame, else before Run
		wantErr   error
		survives  bool // Run goes on (the frame is dropped and counted)
	}{
		{name: "disconnect", control: vividDisconnect, streaming: true, wantErr: ErrDisconnected},
		{name: "fatal streaming error (DQBUF fails)", control: vividInjectFatal, streaming: true, wantErr: unix.EIO},
		{name: "STREAMON error", control: vividInjectStreamOn},
		{name: "QBUF error", control: vividInjectQBuf},
		{name: "buffer flagged as erroneous", control: vividInjectBufError, streaming: true, survives: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Source{Device: path, Width: 640, Height: 480, FPS: 25, Formats: []string{"YUYV"}, Timeout: patience}
			inject := func() {
				if err := s.Controller().SetControl(tt.control, 0); err != nil {
					t.Errorf("injecting: %v", err)
				}
			}
			if !tt.streaming {
				inject()
			}
			frames, err := runUntil(t, s, 8, func(i int) {
				if tt.streaming && i == 1 {
					inject()
				}
			})
			switch {
			case tt.survives:
				if err != nil || len(frames) < 8 {
					t.Fatalf("Run: %v after %d frames; want it to go on", err, len(frames))
				}
				if st := s.Stats(); st.Corrupt == 0 {
					t.Fatalf("no frame counted as corrupt: %+v", st)
				}
			case err == nil:
				t.Fatalf("Run went on for %d frames after the fault", len(frames))
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Run: %v, want an error matching %v", err, tt.wantErr)
			}
			t.Logf("Run returned %v after %d frames", err, len(frames))
			if tt.wantErr != ErrDisconnected && errors.Is(err, ErrDisconnected) {
				t.Fatalf("a fault that is not an unplug looks like one: %v", err)
			}
			// A fresh Run, as the hub's restart does, works again.
			frames, err = runUntil(t, &Source{Device: path, Width: 640, Height: 480, FPS: 25, Formats: []string{"YUYV"}, Timeout: patience}, 5, nil)
			if err != nil {
				t.Fatalf("Run after the fault: %v after %d frames", err, len(frames))
			}
			checkFrames(t, frames, 640, 480)
		})
	}
}

// testJPEG makes a 640x480 JPEG showing the number n.
func testJPEG(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			img.Set(x, y, color.RGBA{uint8(x + n*40), uint8(y), uint8(n * 60), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withoutDHT removes the DHT segments, as many UVC webcams send MJPEG.
func withoutDHT(b []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	p := 2
	for b[p+1] != 0xDA {
		n := int(b[p+2])<<8 | int(b[p+3])
		if b[p+1] != 0xC4 {
			out = append(out, b[p:p+2+n]...)
		}
		p += 2 + n
	}
	return append(out, b[p:]...)
}

// feedLoopback writes JPEGs into v4l2loopback's output side, round and
// round, until the returned stop is called; the first one at once (the
// capture side offers no format before), each next one only after s took
// the previous one out of its buffer (emitted or dropped it).
//
// Feeding faster would tear frames: v4l2loopback gives a reader no buffer
// of its own. A capture buffer is a slot of the producer's ring (max_buffers,
// 2 by default): DQBUF hands out the slot last written, QBUF does nothing,
// and the producer's write() copies each new frame into the next slot
// whether or not a reader is still copying from it. A producer two frames
// ahead rewrites the frame under the reader's copy; drivers built on
// videobuf2 (uvcvideo, vivid) never touch a dequeued buffer.
func feedLoopback(t *testing.T, out *v4l2.Device, jpegs [][]byte, s *Source) (stop func()) {
	t.Helper()
	if _, err := unix.Write(out.Fd(), jpegs[0]); err != nil {
		t.Fatal(err)
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; ; i++ {
			for {
				st := s.Stats()
				if st.Frames+st.Invalid+st.Corrupt >= uint64(i) {
					break
				}
				select {
				case <-quit:
					return
				case <-time.After(2 * time.Millisecond): // a poll, nothing is timed
				}
			}
			if _, err := unix.Write(out.Fd(), jpegs[i%len(jpegs)]); err != nil {
				t.Errorf("write to loopback: %v", err)
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// TestMJPEGPassthrough feeds JPEGs into v4l2loopback's output side and
// captures them through the Source: whole JPEGs come out byte for byte,
// JPEGs without Huffman tables come out with the standard ones inserted, and
// truncated ones are dropped and counted.
func TestMJPEGPassthrough(t *testing.T) {
	path := findDevice(t, "v4l2 loopback")
	out, err := v4l2.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	f, err := out.SetFormat(v4l2.BufVideoOutput, v4l2.PixFormat{Width: 640, Height: 480, PixelFormat: v4l2.PixelMJPEG, Field: v4l2.FieldNone})
	if err != nil || f.PixelFormat != v4l2.PixelMJPEG {
		t.Fatalf("S_FMT on the output side: %+v, %v", f, err)
	}
	good := [][]byte{testJPEG(t, 0), testJPEG(t, 1), testJPEG(t, 2)}
	bare := withoutDHT(testJPEG(t, 3))
	truncated := testJPEG(t, 4)
	truncated = truncated[:len(truncated)/2]
	feed := [][]byte{good[0], bare, good[1], truncated, good[2]}
	want := map[string]string{ // emitted bytes -> what they are
		string(good[0]): "good", string(good[1]): "good", string(good[2]): "good",
		string(mjpeg.AppendWithDHT(nil, bare)): "dht",
	}
	s := &Source{Device: path, Width: 640, Height: 480, FPS: 30, Timeout: patience}
	stop := feedLoopback(t, out, feed, s)
	frames, err := runUntil(t, s, 40, nil)
	stop()
	if err != nil {
		t.Fatalf("Run: %v after %d frames", err, len(frames))
	}
	set, _ := s.Settings()
	if set.Format != v4l2.PixelMJPEG || !set.Passthrough {
		t.Fatalf("settings %+v, want MJPG passthrough", set)
	}
	seen := map[string]int{}
	for i, fr := range frames {
		kind, ok := want[string(fr.Data)]
		if !ok {
			t.Fatalf("frame %d (%d bytes) is none of the JPEGs fed in", i, len(fr.Data))
		}
		seen[kind]++
		if kind == "dht" {
			if _, err := jpeg.Decode(bytes.NewReader(fr.Data)); err != nil {
				t.Fatalf("frame %d with inserted tables does not decode: %v", i, err)
			}
		}
	}
	st := s.Stats()
	t.Logf("kinds seen: %v; stats %+v", seen, st)
	if seen["good"] == 0 || seen["dht"] == 0 || st.DHT == 0 {
		t.Errorf("want frames both unchanged and with tables inserted; saw %v", seen)
	}
	if st.Invalid == 0 {
		t.Errorf("no truncated frame was counted as invalid: %+v", st)
	}
}

func TestListDevices(t *testing.T) {
	path := findDevice(t, "vivid")
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	var vivid *v4l2.DeviceInfo
	for i := range devs {
		if devs[i].Path == path {
			vivid = &devs[i]
		}
	}
	if vivid == nil {
		t.Fatalf("%s not listed among %d devices", path, len(devs))
	}
	var buf bytes.Buffer
	if err := WriteDeviceTable(&buf, []v4l2.DeviceInfo{*vivid}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"vivid", "YUYV", "640x480", "1280x720", "25, ", "brightness", "test_pattern", "Webcam 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q", want)
		}
	}
	t.Logf("%d formats, %d controls; the listing starts:\n%s", len(vivid.Formats), len(vivid.Controls), head(out, 12))
}

func head(s string, lines int) string {
	l := strings.SplitN(s, "\n", lines+1)
	return strings.Join(l[:min(lines, len(l))], "\n")
}
