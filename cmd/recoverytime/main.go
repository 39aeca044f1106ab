// Command recoverytime measures how long a stream is interrupted by each
// fault a source can meet, as a viewer sees it: the largest gap between two
// camera frames (the "no signal" card does not count). The HTTP faults come
// from fake.Camera (10 ms frames) relayed by httpsrc; the process crash kills
// ffmpeg under the exec source. The hub runs with its default backoff
// (250 ms) and stall timeout (5 s). It needs ffmpeg in $PATH.
//
//	go run ./cmd/recoverytime
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/internal/source/httpsrc"
	"github.com/framecast/framecast/pkg/mjpeg"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
var card = fake.Gray(160, 120, 7)

func relay(src hub.Source) (*hub.Hub, *httptest.Server) {
	h := hub.New(hub.Config{Name: "r", Source: src, IdleTimeout: time.Second, Logger: quiet, // default backoff 250ms, stall 5s
		NoSignal: func(int, int, time.Duration) ([]byte, error) { return card, nil }})
	return h, httptest.NewServer((&server.Server{Cameras: []*hub.Hub{h}, Logger: quiet}).Handler())
}

// view reads camera frames for d and returns the largest gap and count.
func view(url string, d time.Duration, during func()) (time.Duration, int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := mjpeg.BoundaryFromContentType(resp.Header.Get("Content-Type"))
	r := mjpeg.NewReader(resp.Body, b)
	var last time.Time
	var gap time.Duration
	n := 0
	started := false
	for {
		p, err := r.NextPart()
		if err != nil {
			return gap, n
		}
		if bytes.Equal(p.Body, card) {
			continue
		}
		now := time.Now()
		if !last.IsZero() && started {
			gap = max(gap, now.Sub(last))
		}
		last = now
		n++
		if n == 20 && !started {
			started = true
			if during != nil {
				go during()
			}
		}
	}
}

// stats gives min / median / max of gaps.
func stats(g []time.Duration) string {
	slices.Sort(g)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("min %v, median %v, max %v (%d runs)", r(g[0]), r(g[len(g)/2]), r(g[len(g)-1]), len(g))
}

func main() {
	faults := []fake.Fault{fake.NoFault, fake.DropMidPart, fake.NoLength, fake.Garbage, fake.Bare, fake.Stall}
	fmt.Println("fault | largest gap between camera frames at the viewer | frames seen | reconnections")
	for _, f := range faults {
		var gaps []time.Duration
		var frames, reconn int
		const runs = 7
		for i := 0; i < runs; i++ {
			cam := &fake.Camera{Faults: []fake.Fault{f}, GoodParts: 100, Period: 10 * time.Millisecond}
			cts := httptest.NewServer(cam)
			h, rts := relay(&httpsrc.Source{URL: cts.URL + "/video", Logger: quiet})
			dur := 4 * time.Second
			if f == fake.Stall {
				dur = 9 * time.Second
			}
			gap, n := view(rts.URL+"/stream", dur, nil)
			rts.Close()
			h.Close()
			cts.Close()
			gaps = append(gaps, gap)
			frames += n
			reconn += cam.Requests() - 1
		}
		fmt.Printf("%s | %s | %d | %d\n", f, stats(gaps), frames/runs, reconn/runs)
	}

	// A producer process killed mid-stream (as rpicam-vid or ffmpeg crashing).
	dir, _ := os.MkdirTemp("", "recovery")
	defer os.RemoveAll(dir)
	pidFile := filepath.Join(dir, "pid")
	var gaps []time.Duration
	for i := 0; i < 7; i++ {
		os.Remove(pidFile)
		src := &execsrc.Source{Args: []string{"sh", "-c", `echo $$ > "$0"; exec ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=160x120:rate=30 -f mjpeg -`, pidFile}, Logger: quiet}
		h, rts := relay(src)
		gap, _ := view(rts.URL+"/stream", 4*time.Second, func() {
			b, _ := os.ReadFile(pidFile)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			syscall.Kill(pid, syscall.SIGKILL)
		})
		rts.Close()
		h.Close()
		gaps = append(gaps, gap)
	}
	fmt.Printf("exec: ffmpeg killed (SIGKILL) mid-stream | %s | | \n", stats(gaps))
}
