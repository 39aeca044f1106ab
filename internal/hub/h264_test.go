package hub_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// The parameter sets of libx264's 320x240 testsrc2 (pkg/h264/testdata).
var (
	testSPS = []byte{0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0f, 0x23, 0xc5, 0x0a, 0xa8}
	testPPS = []byte{0x68, 0xce, 0x0f, 0xc8}
	sc      = []byte{0, 0, 0, 1}
)

// idr is an IDR picture numbered n, with its parameter sets when ps is set.
func idr(n byte, ps bool) h264.AccessUnit {
	d := slices.Concat(sc, []byte{0x65, 0x88, n})
	if ps {
		d = slices.Concat(sc, testSPS, sc, testPPS, d)
	}
	return h264.AccessUnit{Data: d, Key: true}
}

// pic is a non-IDR picture numbered n, of size bytes at least.
func pic(n byte, size int) h264.AccessUnit {
	return h264.AccessUnit{Data: slices.Concat(sc, []byte{0x41, 0x9a, n}, make([]byte, max(0, size-7)))}
}

// auSource emits what it is given on aus, and fails with what it is given
// on fail.
type auSource struct {
	aus  chan h264.AccessUnit
	fail chan error
}

func newAUSource() *auSource {
	return &auSource{aus: make(chan h264.AccessUnit), fail: make(chan error)}
}

// Run is never called: the hub runs an H.264 camera with RunH264.
func (s *auSource) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	return errors.New("not an MJPEG source")
}

func (s *auSource) RunH264(ctx context.Context, emit func(h264.AccessUnit)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case au := <-s.aus:
			emit(au)
		case err := <-s.fail:
			return err
		}
	}
}

// send has the source emit aus and waits until the hub has them.
func (s *auSource) send(aus ...h264.AccessUnit) {
	for _, au := range aus {
		s.aus <- au
	}
	synctest.Wait()
}

// number is the picture number that idr and pic wrote last.
func number(f *hub.Frame) byte { return f.Data[len(f.Data)-1] }

func nextAU(t *testing.T, h *hub.Hub, prev *hub.Frame) *hub.Frame {
	t.Helper()
	f, err := h.NextAU(t.Context(), prev)
	if err != nil {
		t.Fatalf("NextAU: %v", err)
	}
	return f
}

// TestH264StartsAtGOP: a consumer that joins gets the newest IDR picture at
// once, then every picture after it in order, then waits for the next.
func TestH264StartsAtGOP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newAUSource()
		h := hub.New(hub.Config{Name: "c", Source: src, Codec: hub.H264, IdleTimeout: time.Second})
		defer h.Close()
		v := h.Join("test")
		defer v.Leave()
		src.send(pic(0, 7), idr(1, true), pic(2, 7), pic(3, 7), idr(4, true), pic(5, 7), pic(6, 7))
		f := nextAU(t, h, nil)
		if !f.Key || number(f) != 4 || f.Width != 320 || f.Height != 240 {
			t.Fatalf("first access unit: key %v, number %d, %dx%d; want the IDR picture 4 at 320x240", f.Key, number(f), f.Width, f.Height)
		}
		for want := byte(5); want <= 6; want++ {
			if f = nextAU(t, h, f); number(f) != want || f.Key {
				t.Fatalf("got picture %d (key %v), want %d", number(f), f.Key, want)
			}
		}
		got := make(chan *hub.Frame)
		go func() {
			f, _ := h.NextAU(context.Background(), f)
			got <- f
		}()
		synctest.Wait()
		select {
		case f := <-got:
			t.Fatalf("got picture %d before the source sent it", number(f))
		default:
		}
		src.send(pic(7, 7))
		if f = <-got; number(f) != 7 {
			t.Fatalf("got picture %d, want 7", number(f))
		}
		st := h.Status()
		if st.Codec != hub.H264 || st.Width != 320 || st.Height != 240 || st.FramesCaptured != 8 || st.State != hub.Running {
			t.Errorf("status: codec %q, %dx%d, %d captured, %s", st.Codec, st.Width, st.Height, st.FramesCaptured, st.State)
		}
		if _, err := h.Snapshot(t.Context(), "x"); !errors.Is(err, hub.ErrNotJPEG) {
			t.Errorf("Snapshot of an H.264 camera: %v, want ErrNotJPEG", err)
		}
	})
}

// TestH264WaitsForIDR: before any IDR picture, and when the pictures since
// the last one outgrow MaxGOPBytes, a joining consumer waits for the next.
func TestH264WaitsForIDR(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newAUSource()
		h := hub.New(hub.Config{Source: src, Codec: hub.H264, IdleTimeout: time.Second, MaxGOPBytes: 1000})
		defer h.Close()
		v := h.Join("test")
		defer v.Leave()
		got := make(chan *hub.Frame, 1)
		join := func() {
			go func() {
				f, _ := h.NextAU(t.Context(), nil)
				got <- f
			}()
		}
		join()
		src.send(pic(1, 7), pic(2, 7))
		if len(got) != 0 {
			t.Fatal("a consumer started before any IDR picture")
		}
		src.send(idr(3, true))
		if f := <-got; number(f) != 3 {
			t.Fatalf("started at picture %d, want 3", number(f))
		}
		src.send(pic(4, 600), pic(5, 600)) // the GOP outgrows 1000 bytes
		join()
		synctest.Wait()
		if len(got) != 0 {
			t.Fatal("a consumer started in a GOP larger than MaxGOPBytes")
		}
		src.send(pic(6, 7), idr(7, true))
		if f := <-got; number(f) != 7 {
			t.Fatalf("started at picture %d, want 7", number(f))
		}
	})
}

// TestH264ParameterSets: an IDR picture sent without its SPS and PPS (a
// camera that sends them once) gets them from the one before, so a
// consumer can start there; without any seen, it starts no GOP.
func TestH264ParameterSets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newAUSource()
		h := hub.New(hub.Config{Source: src, Codec: hub.H264, IdleTimeout: time.Second})
		defer h.Close()
		v := h.Join("test")
		defer v.Leave()
		src.send(idr(1, false), pic(2, 7))
		if f := h.Latest(); f.Key {
			t.Error("an IDR picture without parameter sets marked as a start")
		}
		src.send(idr(3, true), pic(4, 7), idr(5, false))
		f := nextAU(t, h, nil)
		want := slices.Concat(sc, testSPS, sc, testPPS, idr(5, false).Data)
		if !f.Key || !bytes.Equal(f.Data, want) {
			t.Errorf("GOP head: key %v, % x; want % x", f.Key, f.Data, want)
		}
	})
}

// TestH264SlowConsumer: a consumer far behind jumps to the newest IDR
// picture; one a little behind gets every picture.
func TestH264SlowConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newAUSource()
		h := hub.New(hub.Config{Source: src, Codec: hub.H264, IdleTimeout: time.Second})
		defer h.Close()
		v := h.Join("test")
		defer v.Leave()
		src.send(idr(0, true))
		start := nextAU(t, h, nil)
		for i := byte(1); i < 50; i++ {
			if i == 40 {
				src.send(idr(i, true))
			} else {
				src.send(pic(i, 7))
			}
		}
		if f := nextAU(t, h, start); number(f) != 40 {
			t.Errorf("50 pictures behind: next is %d, want the IDR picture 40", number(f))
		}
		f := nextAU(t, h, nil)
		for want := byte(41); want < 50; want++ {
			if f = nextAU(t, h, f); number(f) != want {
				t.Fatalf("got picture %d, want %d", number(f), want)
			}
		}
	})
}

// TestH264Restart: after the source failed and was restarted, a consumer
// waiting on the old run's last picture moves to the new run's first IDR
// picture instead of waiting forever; an idle stop forgets the GOP.
func TestH264Restart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newAUSource()
		h := hub.New(hub.Config{Source: src, Codec: hub.H264, IdleTimeout: time.Second, NoSignal: noSignal})
		defer h.Close()
		v := h.Join("test")
		src.send(idr(1, true), pic(2, 7))
		f := nextAU(t, h, nextAU(t, h, nil))
		got := make(chan *hub.Frame, 1)
		go func() {
			f, _ := h.NextAU(t.Context(), f)
			got <- f
		}()
		src.fail <- errors.New("camera unplugged")
		time.Sleep(time.Second) // the backoff
		synctest.Wait()
		if l := h.Latest(); l != nil && l.NoSignal {
			t.Error("a no-signal JPEG published on an H.264 camera")
		}
		src.send(pic(3, 7), idr(4, true))
		if f := <-got; number(f) != 4 {
			t.Fatalf("after the restart: picture %d, want 4", number(f))
		}
		v.Leave()
		time.Sleep(2 * time.Second) // idle stop
		v = h.Join("test")
		defer v.Leave()
		synctest.Wait()
		go func() {
			f, _ := h.NextAU(t.Context(), nil)
			got <- f
		}()
		synctest.Wait()
		if len(got) != 0 {
			t.Fatal("a consumer started at a GOP from before the idle stop")
		}
		src.send(idr(5, true))
		if f := <-got; number(f) != 5 {
			t.Fatalf("after the idle stop: picture %d, want 5", number(f))
		}
	})
}

// TestH264ConsumersRace has several consumers follow the chain while it
// grows (run it with -race): each sees every picture once, in order.
func TestH264ConsumersRace(t *testing.T) {
	src := newAUSource()
	h := hub.New(hub.Config{Source: src, Codec: hub.H264})
	defer h.Close()
	const n = 20 // below maxLagFrames, so nobody jumps
	var wg sync.WaitGroup
	src.aus <- idr(0, true)
	for range 4 {
		f, err := h.NextAU(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for want := byte(1); want < n; want++ {
				var err error
				if f, err = h.NextAU(t.Context(), f); err != nil || number(f) != want {
					t.Errorf("got %v, %v; want picture %d", f, err, want)
					return
				}
			}
		})
	}
	for i := byte(1); i < n; i++ {
		src.aus <- pic(i, 7)
	}
	wg.Wait()
}
