package hls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/h264"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// fakeCamera hands out the access units of a libx264 file (320x240, 12
// pictures, an IDR picture every 6), repeated, at 30 fps of their times, as many as
// the test has fed.
type fakeCamera struct {
	*hub.Hub // for Join, Name and IdleTimeout
	aus      []h264.AccessUnit
	t0       time.Time

	mu     sync.Mutex
	frames []*hub.Frame
	more   chan struct{}
}

func newFakeCamera(t *testing.T) *fakeCamera {
	f, err := os.Open("../../pkg/h264/testdata/testsrc2-2slices.h264")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sp := h264.NewSplitter(f, 0)
	c := &fakeCamera{t0: time.Now(), more: make(chan struct{})}
	for {
		au, err := sp.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c.aus = append(c.aus, au)
	}
	if len(c.aus) != 12 || !c.aus[0].Key {
		t.Fatalf("the test file has %d access units, key %v", len(c.aus), c.aus[0].Key)
	}
	idle := hub.SourceFunc(func(ctx context.Context, _ func(mjpeg.Frame)) error {
		<-ctx.Done()
		return nil
	})
	c.Hub = hub.New(hub.Config{Name: "fake", Source: idle, IdleTimeout: time.Hour, StallTimeout: -1,
		Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(c.Hub.Close)
	return c
}

// feed makes n more pictures available.
func (c *fakeCamera) feed(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		i := len(c.frames)
		au := c.aus[i%len(c.aus)]
		c.frames = append(c.frames, &hub.Frame{Seq: uint64(i + 1), Key: au.Key,
			Frame: mjpeg.Frame{Data: au.Data, Time: c.t0.Add(time.Duration(i) * time.Second / 30)}})
	}
	close(c.more)
	c.more = make(chan struct{})
}

func (c *fakeCamera) NextAU(ctx context.Context, prev *hub.Frame) (*hub.Frame, error) {
	i := 0
	if prev != nil {
		i = int(prev.Seq)
	}
	for {
		c.mu.Lock()
		more := c.more
		if i < len(c.frames) {
			f := c.frames[i]
			c.mu.Unlock()
			return f, nil
		}
		c.mu.Unlock()
		select {
		case <-more:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// result is a call's outcome, for calls made in a goroutine.
type result struct {
	data []byte
	err  error
}

func async(fn func() ([]byte, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		b, err := fn()
		ch <- result{b, err}
	}()
	return ch
}

// TestMuxer follows a muxer through its stream on fake time: the first
// playlist waits for a whole segment; segments end at the first IDR
// picture after a second and parts last PART-TARGET (six frames at 30
// fps); a blocking reload and the hinted part wait for the part to come;
// waits are bounded; segments leave the playlist and then are gone; a
// stopped muxer ends its waiting requests and leaves the camera.
func TestMuxer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := newFakeCamera(t)
		m := Start(cam, slog.New(slog.DiscardHandler))
		ctx := context.Background()
		first := async(func() ([]byte, error) { return m.Playlist(ctx, Reload{}, "") })
		// 30 pictures make a second; the segment ends at the IDR picture
		// after them, once it is in to tell the 30th picture's duration.
		cam.feed(30)
		synctest.Wait()
		select {
		case r := <-first:
			t.Fatalf("a playlist before the first segment was whole: %q %v", r.data, r.err)
		default:
		}
		cam.feed(1)
		r := <-first
		if r.err != nil {
			t.Fatal(r.err)
		}
		pl, err := ParsePlaylist(r.data)
		if err != nil {
			t.Fatal(err)
		}
		msn := pl.MediaSequence
		if len(pl.Segments) != 1 || pl.Segments[0].Duration != time.Second || pl.TargetDuration != 1 ||
			pl.PartTarget != 200*time.Millisecond || len(pl.Parts) != 5 || pl.NextMSN != msn+1 {
			t.Fatalf("first playlist:\n%s", r.data)
		}
		for i, p := range pl.Parts {
			if p.Duration != 200*time.Millisecond || !p.Independent || p.MSN != msn {
				t.Errorf("part %d: %+v", i, p)
			}
		}
		if want := fmt.Sprintf("%s-%d.0.mp4", m.session, msn+1); pl.Hint != want {
			t.Errorf("hint %q, want %q", pl.Hint, want)
		}

		// A blocking reload for the next part, and the hinted part, wait
		// for its six pictures: the IDR picture already in, five more, and
		// the one telling the last one's duration.
		reload := async(func() ([]byte, error) { return m.Playlist(ctx, Reload{Block: true, MSN: msn + 1, Part: 0}, "token=x") })
		hinted := async(func() ([]byte, error) { return m.File(ctx, pl.Hint) })
		cam.feed(5)
		synctest.Wait()
		if len(reload) != 0 || len(hinted) != 0 {
			t.Fatal("a blocking request was answered before its part was made")
		}
		cam.feed(1)
		r = <-reload
		if r.err != nil {
			t.Fatal(r.err)
		}
		pl2, err := ParsePlaylist(r.data)
		if err != nil {
			t.Fatal(err)
		}
		if last := pl2.Parts[len(pl2.Parts)-1]; last.MSN != msn+1 || last.Part != 0 ||
			last.URI != fmt.Sprintf("%s-%d.0.mp4?token=x", m.session, msn+1) {
			t.Errorf("the reload's last part is %+v", last)
		}
		if r := <-hinted; r.err != nil || len(r.data) == 0 {
			t.Errorf("hinted part: %d bytes, %v", len(r.data), r.err)
		}
		if _, err := m.File(ctx, fmt.Sprintf("%s-%d.2.mp4", m.session, msn+1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("a part two ahead: %v, want ErrNotFound", err)
		}

		// Nothing comes: the wait ends after three target durations.
		start := time.Now()
		_, err = m.Playlist(ctx, Reload{Block: true, MSN: msn + 2}, "")
		if !errors.Is(err, ErrTimeout) || time.Since(start) != 3*time.Second {
			t.Errorf("a reload with nothing coming: %v after %v, want ErrTimeout after 3s", err, time.Since(start))
		}

		// Eleven more segments: the first leaves the playlist, then is gone.
		cam.feed(11 * 30)
		synctest.Wait()
		pl3, err := m.Playlist(ctx, Reload{}, "")
		if err != nil {
			t.Fatal(err)
		}
		p3, _ := ParsePlaylist(pl3)
		if len(p3.Segments) != ListedSegments || p3.MediaSequence != msn+5 {
			t.Errorf("after 12 segments the playlist lists %d from %d, want %d from %d", len(p3.Segments), p3.MediaSequence, ListedSegments, msn+5)
		}
		if _, err := m.File(ctx, fmt.Sprintf("%s-%d.mp4", m.session, msn)); !errors.Is(err, ErrGone) {
			t.Errorf("the first segment: %v, want ErrGone", err)
		}
		if _, err := m.File(ctx, fmt.Sprintf("%s-%d.mp4", m.session, msn+2)); err != nil {
			t.Errorf("a segment kept a while after it left the playlist: %v", err)
		}

		waiting := async(func() ([]byte, error) { return m.Playlist(ctx, Reload{Block: true, MSN: p3.NextMSN + 1}, "") })
		synctest.Wait()
		if st := cam.Status(); st.Viewers != 1 {
			t.Errorf("the camera has %d viewers, want 1 (the muxer)", st.Viewers)
		}
		m.Stop()
		if r := <-waiting; !errors.Is(r.err, ErrStopped) {
			t.Errorf("a request waiting as the muxer stopped: %v, want ErrStopped", r.err)
		}
		if st := cam.Status(); st.Viewers != 0 {
			t.Errorf("a stopped muxer left %d viewers", st.Viewers)
		}
	})
}

// TestMuxerWaitingBound: no more than MaxWaiting requests wait at once.
func TestMuxerWaitingBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := newFakeCamera(t)
		m := Start(cam, slog.New(slog.DiscardHandler))
		defer m.Stop()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range MaxWaiting {
			wg.Go(func() { m.Playlist(ctx, Reload{}, "") })
		}
		synctest.Wait()
		if _, err := m.Playlist(ctx, Reload{}, ""); !errors.Is(err, ErrBusy) {
			t.Errorf("request %d: %v, want ErrBusy", MaxWaiting+1, err)
		}
		cancel()
		wg.Wait()
	})
}
