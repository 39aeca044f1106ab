package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// BenchmarkPublishWake measures one frame's trip from publish to every
// waiting viewer: the hub publishes, n viewers wake, each takes the frame
// and waits again. Allocations per op are the frame's own (slot, channel,
// part header) and do not grow with n: a viewer allocates nothing.
func BenchmarkPublishWake(b *testing.B) {
	data := make([]byte, 45<<10)
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			h := New(Config{Name: "bench", IdleTimeout: 1 << 62, StallTimeout: -1,
				Source: SourceFunc(func(ctx context.Context, _ func(mjpeg.Frame)) error { <-ctx.Done(); return nil })})
			defer h.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var got atomic.Int64
			var round sync.WaitGroup
			var ready sync.WaitGroup
			ready.Add(n)
			for range n {
				go func() {
					var seq uint64
					first := true
					for {
						if first {
							ready.Done()
							first = false
						}
						f, err := h.Next(ctx, seq)
						if err != nil {
							return
						}
						seq = f.Seq
						got.Add(1)
						round.Done()
					}
				}()
			}
			ready.Wait()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				round.Add(n)
				f := h.newFrame(mjpeg.Frame{Data: data})
				h.mu.Lock()
				h.publishLocked(f)
				h.mu.Unlock()
				round.Wait()
			}
			b.StopTimer()
			cancel()
		})
	}
}
