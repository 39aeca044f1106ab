package v4l2src

import (
	"bytes"
	_ "embed"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/v4l2"
)

// clip is 60 pictures of H.264 at 320x240, an IDR picture every 15 (see
// testdata/README.md).
//
//go:embed testdata/clip-320x240.h264
var clip []byte

// clipAUs returns the clip's access units.
func clipAUs(t *testing.T) []h264.AccessUnit {
	t.Helper()
	sp := h264.NewSplitter(bytes.NewReader(clip), 0)
	var aus []h264.AccessUnit
	for {
		au, err := sp.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		aus = append(aus, au)
	}
	if len(aus) != 60 {
		t.Fatalf("the clip has %d access units, want 60", len(aus))
	}
	for i, au := range aus {
		if au.Key != (i%15 == 0) {
			t.Fatalf("clip: access unit %d: key %v", i, au.Key)
		}
	}
	return aus
}

func TestPickFormat(t *testing.T) {
	fmts := func(names ...string) []v4l2.FormatDesc {
		var out []v4l2.FormatDesc
		for _, n := range names {
			p, _ := v4l2.ParsePixelFormat(n)
			out = append(out, v4l2.FormatDesc{PixelFormat: p})
		}
		return out
	}
	// vivid offers 83 raw formats.
	vivid := fmts("YUYV", "UYVY", "YVYU", "VYUY", "422P", "YU12", "YV12", "NV12", "NV21", "NV16", "NV61", "NV24", "NV42", "GREY")
	tests := []struct {
		name    string
		offered []v4l2.FormatDesc
		formats []string
		h264    bool
		want    v4l2.PixelFormat
		err     string
	}{
		{name: "h264", offered: fmts("MJPG", "H264", "YUYV"), h264: true, want: v4l2.PixelH264},
		{name: "h264 wanted, none offered", offered: vivid, h264: true,
			err: "v4l2: /dev/video0 sends no H.264 (it offers YUYV, UYVY, YVYU, VYUY, 422P, YU12, YV12, NV12, NV21, NV16, NV61, NV24 and 2 more): use codec mjpeg, the default, for this device"},
		{name: "h264 wanted, nothing offered", h264: true,
			err: "v4l2: /dev/video0 sends no H.264 (it offers none): use codec mjpeg, the default, for this device"},
		{name: "h264 ignores formats", offered: fmts("YUYV", "H264"), formats: []string{"YUYV"}, h264: true, want: v4l2.PixelH264},
		{name: "mjpeg first", offered: fmts("H264", "YUYV", "MJPG"), want: v4l2.PixelMJPEG},
		{name: "only h264", offered: fmts("H264"),
			err: "v4l2: /dev/video0 sends only H.264 (it offers H264): set codec h264 to pass it through; framecast does not turn a device's H.264 into MJPEG"},
		{name: "h264 and an unusable format", offered: fmts("H264", "GREY"),
			err: "v4l2: /dev/video0 sends only H.264 (it offers H264, GREY): set codec h264 to pass it through; framecast does not turn a device's H.264 into MJPEG"},
		{name: "nothing usable", offered: fmts("GREY", "BA81"),
			err: "v4l2: /dev/video0 offers none of the usable formats (it has GREY, BA81)"},
		{name: "h264 in formats", offered: fmts("H264"), formats: []string{"h264"},
			err: `v4l2: format "h264": not one of MJPG, JPEG, YUYV, UYVY, NV12, YU12, YV12 (for H264 use codec h264)`},
		{name: "formats in order", offered: fmts("MJPG", "YUYV"), formats: []string{"yuyv", "MJPG"}, want: v4l2.PixelYUYV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickFormat("/dev/video0", tt.offered, tt.formats, tt.h264)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("pickFormat = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// fakeStream hands out buffers as a driver would, then fails with end.
// A buffer given back is overwritten, as v4l2loopback's writer may do at
// once: nothing may be read from it after Requeue.
type fakeStream struct {
	frames []v4l2.Frame
	i      int
	end    error
}

func (f *fakeStream) Next(time.Duration) (v4l2.Frame, error) {
	if f.i == len(f.frames) {
		return v4l2.Frame{}, f.end
	}
	f.i++
	return f.frames[f.i-1], nil
}

func (f *fakeStream) Requeue(fr v4l2.Frame) error {
	for i := range fr.Data {
		fr.Data[i] = 0xff
	}
	return nil
}

// buffers makes one buffer of each chunk, numbered from 0.
func buffers(chunks ...[]byte) []v4l2.Frame {
	var out []v4l2.Frame
	for i, c := range chunks {
		out = append(out, v4l2.Frame{Buffer: v4l2.Buffer{Index: i % 4, BytesUsed: len(c), Sequence: uint32(i)}, Data: slices.Clone(c)})
	}
	return out
}

// runFake runs the H.264 capture loop over frames until they run out.
func runFake(t *testing.T, frames []v4l2.Frame) ([]h264.AccessUnit, Stats) {
	t.Helper()
	s := &Source{Device: "/dev/fake"}
	c := &capture{s: s, st: &fakeStream{frames: frames, end: v4l2.ErrInterrupted}, set: Settings{Device: s.Device}, timeout: time.Second}
	var got []h264.AccessUnit
	err := c.runH264(func(au h264.AccessUnit) { got = append(got, au) })
	if !errors.Is(err, v4l2.ErrInterrupted) {
		t.Fatalf("runH264: %v, want the stream's error", err)
	}
	if st := s.Stats(); st.Buffers != uint64(len(frames)) {
		t.Errorf("%d buffers given back of %d", st.Buffers, len(frames))
	}
	return got, s.Stats()
}

// sameAUs checks that got are want, byte for byte, with the same keys.
func sameAUs(t *testing.T, got, want []h264.AccessUnit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d access units, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Data, want[i].Data) || got[i].Key != want[i].Key {
			t.Fatalf("access unit %d: %d bytes, key %v; want %d bytes, key %v", i, len(got[i].Data), got[i].Key, len(want[i].Data), want[i].Key)
		}
	}
}

// TestH264Buffers: whether a buffer holds one picture, two, half of one,
// or one followed by zeros to the buffer's end (v4l2loopback's first
// buffer), the same access units come out, in order, with their keys; the
// last comes once the next buffer starts another.
func TestH264Buffers(t *testing.T) {
	aus := clipAUs(t)
	var one, two, halves [][]byte
	for i, au := range aus {
		one = append(one, au.Data)
		if i%2 == 1 {
			two = append(two, slices.Concat(aus[i-1].Data, au.Data))
		}
		halves = append(halves, au.Data[:len(au.Data)/2], au.Data[len(au.Data)/2:])
	}
	padded := slices.Clone(one)
	padded[0] = append(slices.Clone(padded[0]), make([]byte, 320*240*4-len(padded[0]))...)
	for name, chunks := range map[string][][]byte{"one a buffer": one, "two a buffer": two, "half a buffer": halves, "first padded": padded} {
		t.Run(name, func(t *testing.T) {
			// The clip's first picture again ends its last.
			got, st := runFake(t, buffers(append(chunks, aus[0].Data)...))
			sameAUs(t, got, aus)
			if st.Frames != 60 || st.Invalid+st.Corrupt+st.Skipped != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestH264Loss: after pictures were lost (a gap in the driver's sequence
// numbers, a buffer it flagged erroneous) the pictures up to the next IDR
// picture are dropped and counted, since they cannot be decoded; the one
// before the loss is kept. A buffer handed out twice (v4l2loopback, when
// its writer is late) counts once.
func TestH264Loss(t *testing.T) {
	aus := clipAUs(t)
	t.Run("gap", func(t *testing.T) {
		var chunks [][]byte
		for _, au := range aus {
			chunks = append(chunks, au.Data)
		}
		frames := buffers(append(chunks, aus[0].Data)...)
		// The driver dropped pictures 20 and 21.
		frames = slices.Delete(frames, 20, 22)
		got, st := runFake(t, frames)
		// 22 to 29 cannot be decoded; 30 is an IDR picture.
		sameAUs(t, got, slices.Concat(aus[:20], aus[30:]))
		if st.Skipped != 2 || st.Invalid != 8 || st.Frames != 50 {
			t.Errorf("stats %+v; want 2 skipped, 8 invalid, 50 frames", st)
		}
	})
	t.Run("erroneous buffer", func(t *testing.T) {
		var chunks [][]byte
		for _, au := range aus {
			chunks = append(chunks, au.Data)
		}
		frames := buffers(append(chunks, aus[0].Data)...)
		frames[40].Flags |= v4l2.BufFlagError
		got, st := runFake(t, frames)
		sameAUs(t, got, slices.Concat(aus[:40], aus[45:]))
		if st.Corrupt != 1 || st.Invalid != 4 || st.Frames != 55 {
			t.Errorf("stats %+v; want 1 corrupt, 4 invalid, 55 frames", st)
		}
	})
	t.Run("repeat", func(t *testing.T) {
		frames := buffers(aus[0].Data, aus[1].Data, aus[2].Data)
		frames[1].Timestamp = time.Second
		again := frames[1]
		again.Data = slices.Clone(again.Data)
		frames = slices.Insert(frames, 2, again)
		got, st := runFake(t, frames)
		sameAUs(t, got, aus[:2])
		if st.Invalid+st.Corrupt+st.Skipped != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestH264Times: an access unit gets the capture time of the buffer that
// held its last byte.
func TestH264Times(t *testing.T) {
	aus := clipAUs(t)
	a := aus
	// Buffers: [0 1] [first half of 2] [second half of 2, 3] [4] [5]
	chunks := [][]byte{slices.Concat(a[0].Data, a[1].Data), a[2].Data[:100], slices.Concat(a[2].Data[100:], a[3].Data), a[4].Data, a[5].Data}
	frames := buffers(chunks...)
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	// Captured a second and a half apart, the last one just now (times
	// older than maxAge are not believed).
	const step = 1500 * time.Millisecond
	for i := range frames {
		frames[i].Timestamp = time.Duration(ts.Nano()) - time.Duration(len(frames)-1-i)*step
	}
	got, _ := runFake(t, frames)
	if len(got) != 5 {
		t.Fatalf("%d access units, want 5", len(got))
	}
	if !got[0].Time.Equal(got[1].Time) {
		t.Errorf("access units 0 and 1, from one buffer, have times %v and %v", got[0].Time, got[1].Time)
	}
	// Buffer of each access unit's last byte: 0, 0, 2, 2, 3.
	want := []int{0, 0, 2, 2, 3}
	for i := range got {
		d := got[i].Time.Sub(got[0].Time) - time.Duration(want[i])*step
		// The tolerance is for reading the wall and monotonic clocks
		// one after the other; a wrong buffer is off by a whole step.
		if d < -step/3 || d > step/3 {
			t.Errorf("access unit %d is %v after the first, want %v", i, got[i].Time.Sub(got[0].Time), time.Duration(want[i])*step)
		}
	}
	if age := time.Since(got[4].Time); age < step || age > 10*step {
		t.Errorf("access unit 4 is %v old, want about %v", age, step)
	}
}
