//go:build v4l2guest

package v4l2src

// H.264 through a real driver: v4l2loopback with its output side set to
// V4L2_PIX_FMT_H264, fed the access units of testdata/clip-320x240.h264.
// Like device_test.go, these run inside the VM that TestVM boots.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/whep"
	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/mjpeg"
	"github.com/framecast/framecast/pkg/v4l2"
	"github.com/pion/webrtc/v4"
)

// loopbackH264 opens v4l2loopback's output side and sets it to H.264 at
// 320x240; the caller closes it.
func loopbackH264(t *testing.T, path string) (*v4l2.Device, v4l2.PixFormat) {
	t.Helper()
	out, err := v4l2.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := out.SetFormat(v4l2.BufVideoOutput, v4l2.PixFormat{Width: 320, Height: 240, PixelFormat: v4l2.PixelH264, Field: v4l2.FieldNone})
	if err != nil || f.PixelFormat != v4l2.PixelH264 || f.Width != 320 || f.Height != 240 {
		out.Close()
		t.Fatalf("S_FMT H264 320x240 on v4l2loopback's output side: %+v, %v", f, err)
	}
	return out, f
}

// TestLoopbackH264 shows what v4l2loopback does with H.264, read with the
// bare ioctls: it takes the format, offers it on its capture side as a
// compressed format, makes one buffer of each write() with the write's
// size, except that the buffer written before the reader's REQBUFS is
// handed out at the full sizeimage.
func TestLoopbackH264(t *testing.T) {
	path := findDevice(t, "v4l2 loopback")
	aus := clipAUs(t)
	out, of := loopbackH264(t, path)
	defer out.Close()
	t.Logf("output side: %+v", of)
	if _, err := unix.Write(out.Fd(), aus[0].Data); err != nil {
		t.Fatal(err)
	}
	in, err := v4l2.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	fmts, err := in.Formats(v4l2.BufVideoCapture)
	if err != nil || len(fmts) != 1 || fmts[0].PixelFormat != v4l2.PixelH264 || !fmts[0].Compressed() {
		t.Fatalf("capture side formats: %+v, %v; want H264, compressed", fmts, err)
	}
	cf, err := in.Format(v4l2.BufVideoCapture)
	if err != nil || cf.PixelFormat != v4l2.PixelH264 || cf.Width != 320 || cf.Height != 240 {
		t.Fatalf("capture side format: %+v, %v", cf, err)
	}
	t.Logf("capture side: %q, %+v", fmts[0].Description, cf)
	st, err := in.StartStream(2)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, err := st.Next(patience)
	if err != nil {
		t.Fatal(err)
	}
	tail := first.Data[min(len(aus[0].Data), len(first.Data)):]
	zeros := !slices.ContainsFunc(tail, func(b byte) bool { return b != 0 })
	t.Logf("first buffer: bytesused %d (the write had %d, sizeimage is %d), sequence %d, flags %#x; the %d bytes after the picture are all zeros: %v",
		first.BytesUsed, len(aus[0].Data), cf.SizeImage, first.Sequence, first.Flags, len(tail), zeros)
	if !bytes.HasPrefix(first.Data, aus[0].Data) || first.BytesUsed != int(cf.SizeImage) {
		t.Errorf("first buffer: %d bytes; want the picture written, padded to sizeimage %d", first.BytesUsed, cf.SizeImage)
	}
	if err := st.Requeue(first); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		if _, err := unix.Write(out.Fd(), aus[i].Data); err != nil {
			t.Fatal(err)
		}
		f, err := st.Next(patience)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Data, aus[i].Data) || f.Sequence != uint32(i) {
			t.Fatalf("buffer %d: %d bytes, sequence %d; want the %d bytes written, sequence %d", i, len(f.Data), f.Sequence, len(aus[i].Data), i)
		}
		if err := st.Requeue(f); err != nil {
			t.Fatal(err)
		}
	}
	// A reader that starts while the writer is at it: the buffer it gets
	// first holds the newest picture, again reported at full size, and
	// after it what the buffer held before (of its two buffers, this one
	// had pictures 0 and 2, both larger than picture 4).
	if _, err := unix.Write(out.Fd(), aus[4].Data); err != nil {
		t.Fatal(err)
	}
	late, err := v4l2.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	st2, err := late.StartStream(2)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	f, err := st2.Next(patience)
	if err != nil {
		t.Fatal(err)
	}
	tail = f.Data[min(len(aus[4].Data), len(f.Data)):]
	t.Logf("a late reader's first buffer: bytesused %d (the write had %d), sequence %d; the bytes after the picture are all zeros: %v",
		f.BytesUsed, len(aus[4].Data), f.Sequence, !slices.ContainsFunc(tail, func(b byte) bool { return b != 0 }))
	if !bytes.HasPrefix(f.Data, aus[4].Data) || f.BytesUsed != int(cf.SizeImage) {
		t.Errorf("a late reader's first buffer: %d bytes; want picture 4, padded to sizeimage %d", f.BytesUsed, cf.SizeImage)
	}
}

// TestH264Passthrough writes the clip into v4l2loopback, one access unit a
// write, two, or half of one, and checks that a hub running the Source
// as an H.264 camera gets the clip's access units byte for byte, in order,
// with the IDR pictures marked and the picture size read from the SPS.
func TestH264Passthrough(t *testing.T) {
	path := findDevice(t, "v4l2 loopback")
	aus := clipAUs(t)
	out, of := loopbackH264(t, path)
	out.Close()
	var one, mixed [][]byte
	for i, au := range aus {
		one = append(one, au.Data)
		switch {
		case i < 20 && i%2 == 1:
			mixed = append(mixed, slices.Concat(aus[i-1].Data, au.Data))
		case i < 20:
		case i < 40:
			mixed = append(mixed, au.Data[:len(au.Data)/2], au.Data[len(au.Data)/2:])
		default:
			mixed = append(mixed, au.Data)
		}
	}
	for _, tc := range []struct {
		name   string
		chunks [][]byte
	}{{"one a write", one}, {"two, halves, one a write", mixed}} {
		t.Run(tc.name, func(t *testing.T) {
			// v4l2loopback hands out the buffer written before the reader
			// started at its full size, whatever the memory after the
			// picture holds (TestLoopbackH264): zeros written to the end
			// make that tail what a driver's padding is, legal Annex-B.
			chunks := slices.Clone(tc.chunks)
			chunks[0] = append(slices.Clone(chunks[0]), make([]byte, int(of.SizeImage)-len(chunks[0]))...)
			// The clip's first picture again ends its last.
			chunks = append(chunks, aus[0].Data)
			got, s, h := h264ThroughHub(t, path, chunks, len(aus), nil)
			for i, f := range got {
				if !bytes.Equal(f.Data, aus[i].Data) || f.Key != aus[i].Key {
					t.Fatalf("access unit %d: %d bytes, key %v; written: %d bytes, key %v", i, len(f.Data), f.Key, len(aus[i].Data), aus[i].Key)
				}
				if f.Width != 320 || f.Height != 240 {
					t.Fatalf("access unit %d: size %dx%d, the SPS says 320x240", i, f.Width, f.Height)
				}
				if i > 0 && f.Time.Before(got[i-1].Time) {
					t.Fatalf("access unit %d at %v is before access unit %d at %v", i, f.Time, i-1, got[i-1].Time)
				}
			}
			st := s.Stats()
			set, _ := s.Settings()
			t.Logf("settings %+v; stats %+v", set, st)
			if set.Format != v4l2.PixelH264 || !set.Passthrough || set.Width != 320 || set.Height != 240 {
				t.Errorf("settings %+v", set)
			}
			// Each write was one buffer, none lost or repeated.
			if st.Buffers != uint64(len(chunks)) || st.Frames != uint64(len(aus)) || s.Dropped() != 0 {
				t.Errorf("stats %+v, dropped %d; want %d buffers, %d frames, none dropped", st, s.Dropped(), len(chunks), len(aus))
			}
			if hs := h.Status(); hs.Codec != hub.H264 || hs.Width != 320 || hs.Height != 240 || hs.FramesDropped != 0 {
				t.Errorf("hub status: codec %q, %dx%d, %d dropped", hs.Codec, hs.Width, hs.Height, hs.FramesDropped)
			}
			if !strings.Contains(s.Detail(), "H264 320x240") {
				t.Errorf("detail %q", s.Detail())
			}
		})
	}
}

// h264ThroughHub writes chunks into v4l2loopback's output side while a hub
// runs a Source on its capture side as an H.264 camera, and returns the
// first n access units a consumer of the hub got. join, if set, is called
// once the hub runs, to add a viewer of its own; it returns how many
// pictures that viewer has, which may lag two behind.
//
// Each write waits until the Source has taken the previous buffer (see
// feedLoopback: v4l2loopback would overwrite it under the reader) and the
// consumers have every picture the chunks before it completed, so none
// falls behind the hub far enough to be moved on to a newer IDR picture.
func h264ThroughHub(t *testing.T, path string, chunks [][]byte, n int, join func(*hub.Hub) func() int) ([]*hub.Frame, *Source, *hub.Hub) {
	t.Helper()
	// ends[i] is where access unit i of the written stream ends, from the
	// stream itself; written[j] is where chunk j ends.
	var stream []byte
	var written []int
	for _, c := range chunks {
		stream = append(stream, c...)
		written = append(written, len(stream))
	}
	var ends []int
	sp := h264.NewSplitter(bytes.NewReader(stream), 0)
	for {
		if _, err := sp.Next(); err != nil {
			break
		}
		ends = append(ends, int(sp.End()))
	}
	// complete(j) counts the access units wholly in chunks 0..j, less one
	// whose end waits for its successor's start: those emitted once chunk
	// j has been read.
	complete := func(j int) int {
		k := 0
		for k < len(ends) && ends[k] <= written[j] {
			k++
		}
		return max(0, k-1)
	}
	out, _ := loopbackH264(t, path)
	t.Cleanup(func() { out.Close() })
	if _, err := unix.Write(out.Fd(), chunks[0]); err != nil {
		t.Fatal(err)
	}
	s := &Source{Device: path, Width: 320, Height: 240, FPS: 30, Timeout: patience}
	quiet := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		quiet = slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	h := hub.New(hub.Config{Name: "cam", Source: s, Codec: hub.H264, IdleTimeout: time.Minute, StallTimeout: patience, Logger: quiet})
	// Closed (the device with it) before the next test opens the device.
	t.Cleanup(h.Close)
	v := h.Join("test")
	t.Cleanup(v.Leave)
	others := func() int { return 1 << 30 }
	if join != nil {
		others = join(h)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var got []*hub.Frame
	consumed := make(chan error, 1)
	go func() {
		var f *hub.Frame
		for {
			var err error
			if f, err = h.NextAU(ctx, f); err != nil {
				consumed <- err
				return
			}
			mu.Lock()
			got = append(got, f)
			mu.Unlock()
		}
	}()
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	// waitFor polls, nothing is timed; the minute is a safety net.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for start := time.Now(); !cond(); time.Sleep(2 * time.Millisecond) {
			if time.Since(start) > time.Minute {
				t.Fatalf("no %s after a minute: stats %+v, %d access units received, hub: %+v", what, s.Stats(), received(), h.Status())
			}
		}
	}
	for j := 1; j < len(chunks); j++ {
		waitFor("buffer taken", func() bool {
			return s.Stats().Buffers >= uint64(j) && received() >= complete(j-1) && others() >= complete(j-1)-2
		})
		if _, err := unix.Write(out.Fd(), chunks[j]); err != nil {
			t.Fatalf("write %d: %v", j, err)
		}
	}
	waitFor("whole clip", func() bool { return received() >= n && others() >= n })
	waitFor("last buffer taken", func() bool { return s.Stats().Buffers >= uint64(len(chunks)) })
	cancel()
	if err := <-consumed; !errors.Is(err, context.Canceled) {
		t.Fatalf("NextAU: %v", err)
	}
	if len(got) != n {
		t.Fatalf("%d access units received, want %d", len(got), n)
	}
	return got, s, h
}

// TestH264WebRTC: a V4L2 H.264 camera served by framecast's HTTP server
// plays over WebRTC: a pion viewer that POSTs its WHEP offer gets every
// picture of the clip, NAL unit for NAL unit, from the first IDR picture on.
//
// The viewer connects before the first picture is written; should one be
// sent before the server's side of the connection is up, it is lost, the
// viewer asks for a picture it can start at (PLI) and gets the GOP again,
// so what it has before its first IDR picture is not counted.
func TestH264WebRTC(t *testing.T) {
	path := findDevice(t, "v4l2 loopback")
	aus := clipAUs(t)
	out, of := loopbackH264(t, path)
	out.Close()
	chunks := [][]byte{append(slices.Clone(aus[0].Data), make([]byte, int(of.SizeImage)-len(aus[0].Data))...)}
	for _, au := range aus[1:] {
		chunks = append(chunks, au.Data)
	}
	chunks = append(chunks, aus[0].Data)
	var mu sync.Mutex
	var pics [][]byte
	join := func(h *hub.Hub) func() int {
		w, err := whep.New(whep.Config{UDP: "127.0.0.1:0", Loopback: true})
		if err != nil {
			t.Fatal(err)
		}
		srv := &server.Server{Cameras: []*hub.Hub{h}, WHEP: w, Logger: slog.New(slog.DiscardHandler)}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() {
			ts.Close()
			srv.Close()
			w.Close()
		})
		c := fake.NewWHEPClient(t)
		resp, err := http.Post(ts.URL+"/cam/cam/whep", "application/sdp", strings.NewReader(c.Offer))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("WHEP POST: %s: %s", resp.Status, answer)
		}
		c.Answer(t, string(answer))
		// Pictures sent before the connection is up are lost, and no
		// more come until the writer goes on: wait for it (the minute is
		// a safety net; DTLS is slow in an emulated guest).
		for start := time.Now(); c.PC.ConnectionState() != webrtc.PeerConnectionStateConnected; time.Sleep(2 * time.Millisecond) {
			if time.Since(start) > time.Minute {
				t.Fatalf("the WebRTC viewer did not connect in a minute: %v", c.PC.ConnectionState())
			}
		}
		go func() {
			for p := range c.Pics {
				mu.Lock()
				pics = append(pics, p)
				mu.Unlock()
			}
		}()
		return func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(pics) - firstIDR(pics)
		}
	}
	h264ThroughHub(t, path, chunks, len(aus), join)
	mu.Lock()
	defer mu.Unlock()
	skip := firstIDR(pics)
	t.Logf("the WebRTC viewer got %d pictures, %d before its first IDR picture", len(pics), skip)
	// The viewer joined before the first picture: it gets them all.
	if len(pics)-skip != len(aus) {
		t.Fatalf("the WebRTC viewer got %d pictures from its first IDR picture on, want %d", len(pics)-skip, len(aus))
	}
	for i, p := range pics[skip:] {
		if !slices.EqualFunc(h264.NALUnits(p), h264.NALUnits(aus[i].Data), bytes.Equal) {
			t.Fatalf("picture %d over WebRTC (%d bytes) differs from the one written (%d bytes)", i, len(p), len(aus[i].Data))
		}
	}
}

// firstIDR returns the index of the first picture with an IDR slice, or
// len(pics).
func firstIDR(pics [][]byte) int {
	for i, p := range pics {
		for _, n := range h264.NALUnits(p) {
			if h264.NALType(n) == h264.NALSliceIDR {
				return i
			}
		}
	}
	return len(pics)
}

// TestH264Errors: a device without H.264 asked for it, and v4l2loopback
// sending only H.264 asked for MJPEG, fail with errors naming the formats
// they have and what to set.
func TestH264Errors(t *testing.T) {
	t.Run("vivid has no H.264", func(t *testing.T) {
		path := findDevice(t, "vivid")
		err := (&Source{Device: path, Timeout: patience}).RunH264(context.Background(), func(h264.AccessUnit) {
			t.Error("an access unit from vivid")
		})
		want := path + " sends no H.264 (it offers YUYV, UYVY, "
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "more): use codec mjpeg") {
			t.Fatalf("RunH264 on vivid: %v; want an error with %q", err, want)
		}
		t.Logf("vivid: %v", err)
	})
	t.Run("loopback sends only H.264", func(t *testing.T) {
		path := findDevice(t, "v4l2 loopback")
		aus := clipAUs(t)
		out, _ := loopbackH264(t, path)
		defer out.Close()
		if _, err := unix.Write(out.Fd(), aus[0].Data); err != nil {
			t.Fatal(err)
		}
		err := (&Source{Device: path, Timeout: patience}).Run(context.Background(), func(mjpeg.Frame) {
			t.Error("a JPEG from an H.264 device")
		})
		want := "v4l2: " + path + " sends only H.264 (it offers H264): set codec h264 to pass it through; framecast does not turn a device's H.264 into MJPEG"
		if err == nil || err.Error() != want {
			t.Fatalf("Run (MJPEG) on an H.264 device: %v\nwant %s", err, want)
		}
		// The device listing shows the format, and what to set for it.
		devs, err := Devices()
		t.Logf("devices: %d, error %v", len(devs), err)
		var buf bytes.Buffer
		for _, d := range devs {
			if d.Path == path {
				if err := WriteDeviceTable(&buf, []v4l2.DeviceInfo{d}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !strings.Contains(buf.String(), "    H264  ") || !strings.Contains(buf.String(), "(compressed; codec h264)") {
			t.Errorf("the listing of %s lacks H264:\n%s", path, buf.String())
		}
		t.Logf("listing:\n%s", head(buf.String(), 8))
	})
}
