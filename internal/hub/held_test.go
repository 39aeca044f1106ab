package hub_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// sized emits a frame of n bytes every period.
func sized(n int, period time.Duration) hub.Source {
	return hub.SourceFunc(func(ctx context.Context, emit func(mjpeg.Frame)) error {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			emit(mjpeg.Frame{Data: make([]byte, n)})
		}
	})
}

// Slow viewers each hold a different frame: beyond MaxHeldBytes a frame
// that nobody holds yet waits until one of them lets go, while a frame that
// others hold is handed out at once.
func TestHeldBytesBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := hub.New(hub.Config{Source: sized(1000, 10*time.Millisecond), MaxHeldBytes: 3000})
		defer h.Close()
		var slow []*hub.Viewer
		var seq uint64
		for range 3 {
			v := h.Join("slow")
			defer v.Leave()
			f, err := v.Next(t.Context(), seq) // each a newer frame
			if err != nil {
				t.Fatal(err)
			}
			seq = f.Seq
			slow = append(slow, v)
		}
		// A viewer that holds the newest frame already shares it freely.
		shared := slow[2].Latest()
		peer := h.Join("peer")
		defer peer.Leave()
		if f, err := peer.Next(t.Context(), shared.Seq-1); err != nil || f != shared {
			t.Fatalf("peer got %v, %v; want the frame slow viewer 3 holds", f, err)
		}
		// A fourth frame would make 4000 bytes held: wait.
		fourth := h.Join("fourth")
		defer fourth.Leave()
		got := make(chan *hub.Frame, 1)
		go func() {
			f, err := fourth.Next(t.Context(), shared.Seq)
			if err != nil {
				t.Error(err)
			}
			got <- f
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case f := <-got:
			t.Fatalf("got frame %d beyond MaxHeldBytes", f.Seq)
		default:
		}
		// The first slow viewer lets go (it leaves): the fourth gets the
		// newest frame.
		slow[0].Leave()
		f := <-got
		if f.Seq != h.Latest().Seq {
			t.Errorf("got frame %d, want the newest, %d", f.Seq, h.Latest().Seq)
		}
	})
}
