package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// ticking is a source that emits a frame every period until ctx ends; run
// number n (from 1) fails after failAfter[n] frames when that is set.
type ticking struct {
	period    time.Duration
	failAfter map[int]int
	silent    map[int]bool // runs that never emit

	mu      sync.Mutex
	runs    int
	running int
}

func (s *ticking) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	s.mu.Lock()
	s.runs++
	s.running++
	n := s.runs
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	if s.silent[n] {
		<-ctx.Done()
		return nil
	}
	if k, ok := s.failAfter[n]; ok && k == 0 {
		return errors.New("camera unplugged")
	}
	t := time.NewTicker(s.period)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		emit(mjpeg.Frame{Data: []byte(fmt.Sprintf("run %d frame %d", n, i)), Time: time.Now()})
		if k, ok := s.failAfter[n]; ok && i >= k {
			return errors.New("camera unplugged")
		}
	}
}

func (s *ticking) counts() (runs, running int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs, s.running
}

func noSignal(w, h int, since time.Duration) ([]byte, error) {
	return fmt.Appendf(nil, "no signal, last frame %v ago", since), nil
}

func TestLatestOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ticking{period: 10 * time.Millisecond}
		h := hub.New(hub.Config{Source: src, IdleTimeout: time.Second})
		defer h.Close()
		v := h.Join("test")
		defer v.Leave()
		first, err := h.Next(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		// A viewer that was busy for ten frame periods gets the newest frame,
		// not the ones it missed.
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		f, err := h.Next(t.Context(), first.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != h.Latest().Seq || f.Seq < first.Seq+10 {
			t.Errorf("got seq %d after %d; latest is %d", f.Seq, first.Seq, h.Latest().Seq)
		}
		if len(f.Header) == 0 || !strings.Contains(string(f.Header), fmt.Sprintf("Content-Length: %d", len(f.Data))) {
			t.Errorf("part header %q does not match the frame", f.Header)
		}
	})
}

func TestSlowViewerDoesNotSlowFastOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ticking{period: 10 * time.Millisecond}
		h := hub.New(hub.Config{Source: src, IdleTimeout: time.Second})
		defer h.Close()
		slow := h.Join("slow") // joined, never reads
		defer slow.Leave()
		var seq uint64
		var got []uint64
		for len(got) < 50 {
			f, err := h.Next(t.Context(), seq)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, f.Seq)
			seq = f.Seq
		}
		// The fast viewer saw every frame, one after the other.
		for i := 1; i < len(got); i++ {
			if got[i] != got[i-1]+1 {
				t.Fatalf("fast viewer skipped from %d to %d", got[i-1], got[i])
			}
		}
	})
}

func TestStartOnDemandAndIdleStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ticking{period: 10 * time.Millisecond}
		h := hub.New(hub.Config{Source: src, IdleTimeout: 10 * time.Second})
		defer h.Close()
		synctest.Wait()
		if runs, _ := src.counts(); runs != 0 {
			t.Fatalf("source ran %d times with no viewer", runs)
		}
		if st := h.Status().State; st != hub.Idle {
			t.Fatalf("state %q, want idle", st)
		}
		v := h.Join("a")
		if _, err := h.Next(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		if st := h.Status(); st.State != hub.Running || st.Viewers != 1 {
			t.Fatalf("status %+v, want running with 1 viewer", st)
		}
		v.Leave()
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if _, running := src.counts(); running != 1 {
			t.Fatal("source stopped before the idle timeout")
		}
		// A viewer coming back within the timeout keeps the same run going.
		v = h.Join("b")
		time.Sleep(5 * time.Second)
		v.Leave()
		time.Sleep(10*time.Second + time.Millisecond)
		synctest.Wait()
		runs, running := src.counts()
		if running != 0 || runs != 1 {
			t.Fatalf("after idle timeout: runs=%d running=%d, want 1 and 0", runs, running)
		}
		st := h.Status()
		if st.State != hub.Idle || h.Latest() != nil {
			t.Fatalf("after idle stop: state %q, latest %v", st.State, h.Latest())
		}
		// The next viewer starts it again and gets a fresh frame.
		v = h.Join("c")
		defer v.Leave()
		f, err := h.Next(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(f.Data), "run 2 ") {
			t.Fatalf("got %q, want a frame of the second run", f.Data)
		}
	})
}

func TestAlwaysOnWithZeroIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ticking{period: 10 * time.Millisecond}
		h := hub.New(hub.Config{Source: src})
		time.Sleep(time.Hour)
		synctest.Wait()
		if runs, running := src.counts(); runs != 1 || running != 1 {
			t.Fatalf("runs=%d running=%d, want one run going on", runs, running)
		}
		h.Close()
		if _, running := src.counts(); running != 0 {
			t.Fatal("Close returned with the source still running")
		}
		if _, err := h.Next(context.Background(), 0); !errors.Is(err, hub.ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
	})
}

func TestRestartAfterFailureWithNoSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ticking{period: 10 * time.Millisecond, failAfter: map[int]int{1: 5, 2: 0, 3: 0}}
		h := hub.New(hub.Config{
			Source: src, IdleTimeout: time.Second,
			MinBackoff: time.Second, MaxBackoff: 4 * time.Second,
			NoSignal: noSignal,
		})
		defer h.Close()
		v := h.Join("a")
		defer v.Leave()
		var seq uint64
		var sawNoSignal bool
		var runsSeen []string
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			f, err := h.Next(t.Context(), seq)
			if err != nil {
				t.Fatal(err)
			}
			seq = f.Seq
			if f.NoSignal {
				sawNoSignal = true
				continue
			}
			run, _, _ := strings.Cut(strings.TrimPrefix(string(f.Data), "run "), " ")
			if len(runsSeen) == 0 || runsSeen[len(runsSeen)-1] != run {
				runsSeen = append(runsSeen, run)
			}
			if run == "4" {
				break
			}
		}
		if !sawNoSignal {
			t.Error("no no-signal frame while the source was down")
		}
		// Runs 2 and 3 fail before their first frame; 4 keeps going.
		if got := strings.Join(runsSeen, ","); got != "1,4" {
			t.Errorf("runs seen %s, want 1,4", got)
		}
		st := h.Status()
		if st.Restarts != 3 || st.LastError != "camera unplugged" || st.State != hub.Running {
			t.Errorf("status %+v", st)
		}
	})
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var starts []time.Time
		var mu sync.Mutex
		src := hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
			return errors.New("exit status 1")
		})
		h := hub.New(hub.Config{Source: src, MinBackoff: time.Second, MaxBackoff: 8 * time.Second})
		time.Sleep(time.Minute)
		h.Close()
		mu.Lock()
		defer mu.Unlock()
		var gaps []time.Duration
		for i := 1; i < len(starts) && i <= 6; i++ {
			gaps = append(gaps, starts[i].Sub(starts[i-1]))
		}
		want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
		if fmt.Sprint(gaps) != fmt.Sprint(want) {
			t.Fatalf("gaps between restarts %v, want %v", gaps, want)
		}
		if st := h.Status(); st.LastError != "exit status 1" {
			t.Fatalf("last error %q", st.LastError)
		}
	})
}

// restartGaps runs src for d and returns the times between its starts.
func restartGaps(t *testing.T, d time.Duration, src func(run int, ctx context.Context, emit func(mjpeg.Frame)) error) []time.Duration {
	t.Helper()
	var starts []time.Time
	var mu sync.Mutex
	h := hub.New(hub.Config{Source: hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
		mu.Lock()
		starts = append(starts, time.Now())
		n := len(starts)
		mu.Unlock()
		return src(n, ctx, emit)
	}), MinBackoff: time.Second, MaxBackoff: 8 * time.Second})
	time.Sleep(d)
	h.Close()
	mu.Lock()
	defer mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, starts[i].Sub(starts[i-1]))
	}
	return gaps
}

// A source that sends one frame and ends backs off like one that sends
// none, rather than restarting at the shortest wait forever.
func TestOneFrameThenEndBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gaps := restartGaps(t, 40*time.Second, func(_ int, ctx context.Context, emit func(mjpeg.Frame)) error {
			emit(mjpeg.Frame{Data: []byte("one")})
			return errors.New("exit status 0")
		})
		want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
		if len(gaps) > len(want) {
			gaps = gaps[:len(want)]
		}
		if fmt.Sprint(gaps) != fmt.Sprint(want) {
			t.Fatalf("gaps between restarts %v, want %v", gaps, want)
		}
	})
}

// A run that sent frames for longer than MaxBackoff earns the shortest
// wait again.
func TestLongRunResetsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gaps := restartGaps(t, 40*time.Second, func(run int, ctx context.Context, emit func(mjpeg.Frame)) error {
			if run == 4 {
				for range 10 {
					emit(mjpeg.Frame{Data: []byte("frame")})
					time.Sleep(time.Second)
				}
			}
			return errors.New("unplugged")
		})
		// Runs 1-3 fail at once (1s, 2s, 4s); run 4 lasts 10s and fails;
		// run 5 follows after 1s again.
		want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 11 * time.Second, 2 * time.Second}
		if len(gaps) > len(want) {
			gaps = gaps[:len(want)]
		}
		if fmt.Sprint(gaps) != fmt.Sprint(want) {
			t.Fatalf("gaps between restarts %v, want %v", gaps, want)
		}
	})
}

func TestStalledSourceIsRestarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ticking{period: 10 * time.Millisecond, silent: map[int]bool{1: true}}
		h := hub.New(hub.Config{Source: src, IdleTimeout: time.Second, StallTimeout: 5 * time.Second, MinBackoff: time.Second})
		defer h.Close()
		v := h.Join("a")
		defer v.Leave()
		f, err := h.Next(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(f.Data), "run 2 ") {
			t.Fatalf("got %q, want run 2's frame", f.Data)
		}
		if st := h.Status(); st.LastError != "no frame for 10s" {
			t.Fatalf("last error %q, want the stall", st.LastError)
		}
	})
}

func TestSnapshotStartsAndLetsIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ticking{period: 10 * time.Millisecond}
		h := hub.New(hub.Config{Source: src, IdleTimeout: 10 * time.Second})
		defer h.Close()
		f, err := h.Snapshot(t.Context(), "snap")
		if err != nil || f == nil {
			t.Fatalf("snapshot: %v", err)
		}
		time.Sleep(11 * time.Second)
		synctest.Wait()
		if _, running := src.counts(); running != 0 {
			t.Fatal("the snapshot left the source running")
		}
		if st := h.Status(); st.FramesSent != 1 {
			t.Errorf("frames sent %d, want 1", st.FramesSent)
		}
	})
}

func TestSnapshotGivesUpWhenSourceFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
			return errors.New("rpicam-vid: no cameras available")
		})
		h := hub.New(hub.Config{Source: src, IdleTimeout: time.Second, NoSignal: noSignal})
		defer h.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, err := h.Snapshot(ctx, "snap"); !errors.Is(err, hub.ErrNoFrame) {
			t.Fatalf("snapshot: %v, want ErrNoFrame", err)
		}
	})
}

func TestEmitAfterStopIsIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var late func(mjpeg.Frame)
		var calls atomic.Int32
		src := hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
			calls.Add(1)
			late = emit
			emit(mjpeg.Frame{Data: []byte("x")})
			<-ctx.Done()
			return nil
		})
		h := hub.New(hub.Config{Source: src, IdleTimeout: time.Second})
		defer h.Close()
		v := h.Join("a")
		if _, err := h.Next(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		v.Leave()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		late(mjpeg.Frame{Data: []byte("stale")})
		if f := h.Latest(); f != nil {
			t.Fatalf("a stopped source published %q", f.Data)
		}
	})
}

func TestSentTotalsSurviveLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := hub.New(hub.Config{Source: &ticking{period: 10 * time.Millisecond}, IdleTimeout: time.Second})
		defer h.Close()
		v := h.Join("a")
		v.Frames.Add(3)
		v.Bytes.Add(300)
		if st := h.Status(); st.FramesSent != 3 || st.BytesSent != 300 {
			t.Fatalf("while joined: %d frames, %d bytes", st.FramesSent, st.BytesSent)
		}
		v.Leave()
		v.Leave() // a second Leave must not count the viewer again
		if st := h.Status(); st.FramesSent != 3 || st.BytesSent != 300 {
			t.Fatalf("after leaving: %d frames, %d bytes", st.FramesSent, st.BytesSent)
		}
	})
}

// TestCredentialsMasked: a source's error quoting a camera URL with its
// password reaches status and the log masked, and the card sees no error.
func TestCredentialsMasked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const secret = "PASSWORD"
		src := hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
			return errors.New("ffmpeg: exit status 1: rtsp://admin:" + secret + "@10.0.0.5:554/s: Connection refused")
		})
		var log bytes.Buffer
		var logMu sync.Mutex
		var cards atomic.Int32
		h := hub.New(hub.Config{
			Source: src, Describe: "exec ffmpeg -i rtsp://admin:" + secret + "@10.0.0.5/s",
			Logger: slog.New(slog.NewTextHandler(lockedWriter{&logMu, &log}, nil)),
			NoSignal: func(w, h int, since time.Duration) ([]byte, error) {
				cards.Add(1)
				return []byte("card"), nil
			},
		})
		time.Sleep(time.Second)
		h.Close()
		st := h.Status()
		if st.LastError != "ffmpeg: exit status 1: rtsp://xxxxx@10.0.0.5:554/s: Connection refused" {
			t.Errorf("last error %q", st.LastError)
		}
		if strings.Contains(st.Source, secret) {
			t.Errorf("source %q", st.Source)
		}
		logMu.Lock()
		defer logMu.Unlock()
		if strings.Contains(log.String(), secret) || !strings.Contains(log.String(), "xxxxx@10.0.0.5") {
			t.Errorf("log:\n%s", log.String())
		}
		if cards.Load() == 0 {
			t.Error("no card while the source was down")
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A source that ignores cancellation and never sends a frame: the stall
// timeout still fires before the first frame, viewers see the failure on
// the card, and Close returns in bounded time.
func TestSourceThatDoesNotStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		src := hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
			<-release // a read that nothing interrupts
			return nil
		})
		begin := time.Now()
		h := hub.New(hub.Config{Source: src, StallTimeout: 2 * time.Second, NoSignal: noSignal,
			Logger: slog.New(slog.DiscardHandler)})
		f, err := h.Next(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		// The stall fired after 4s (twice the timeout before the first
		// frame); the source had 5s more to return.
		if !f.NoSignal || time.Since(begin) != 9*time.Second {
			t.Fatalf("first frame %q after %v", f.Data, time.Since(begin))
		}
		st := h.Status()
		if st.State != hub.Failed || st.LastError != "no frame for 4s, and the source does not stop" {
			t.Errorf("state %s, last error %q", st.State, st.LastError)
		}
		start := time.Now()
		h.Close()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Close took %v", d)
		}
		if _, err := h.Next(t.Context(), 0); !errors.Is(err, hub.ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
		close(release)
	})
}

// A source that ignores an idle stop: a viewer that comes back meanwhile
// sees the failure on the card and in status, and the next run begins once
// the last one has returned, never beside it.
func TestLastRunDoesNotStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var running, runs atomic.Int32
		src := hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
			if running.Add(1) != 1 {
				t.Error("two runs at once")
			}
			defer running.Add(-1)
			emit(mjpeg.Frame{Data: fmt.Appendf(nil, "run %d", runs.Add(1))})
			if runs.Load() == 1 {
				<-release // a read that nothing interrupts
			} else {
				<-ctx.Done()
			}
			return nil
		})
		h := hub.New(hub.Config{Source: src, IdleTimeout: time.Second, NoSignal: noSignal,
			Logger: slog.New(slog.DiscardHandler)})
		defer h.Close()
		v := h.Join("a")
		if _, err := h.Next(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		v.Leave()
		time.Sleep(2 * time.Second) // stopped for idleness; run 1 lingers
		v = h.Join("b")
		defer v.Leave()
		f, err := h.Next(t.Context(), 0)
		if err != nil || !f.NoSignal {
			t.Fatalf("got %v, %v; want the no-signal card", f, err)
		}
		if st := h.Status(); st.State != hub.Failed || st.LastError != "the last run of the source does not stop" {
			t.Errorf("state %s, last error %q", st.State, st.LastError)
		}
		close(release)
		for !strings.HasPrefix(string(f.Data), "run 2") {
			if f, err = h.Next(t.Context(), f.Seq); err != nil {
				t.Fatal(err)
			}
		}
	})
}
