package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/framecast/framecast/internal/config"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/internal/server"
)

// startRecorders starts the recorder of every camera that records, and
// gives them to srv for status; the returned function stops them and
// waits. A folder that cannot be made stops start-up, naming the setting.
func startRecorders(ctx context.Context, cfg *config.Config, cams []camera, hubs []*hub.Hub, srv *server.Server, log *slog.Logger) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop = func() {
		cancel()
		wg.Wait()
	}
	for i, c := range cams {
		r := newRecorder(c, hubs[i], log)
		if r == nil {
			continue
		}
		at := ""
		for j := range cfg.Cameras {
			if cfg.Cameras[j].Name == c.Name {
				at = fmt.Sprintf("cameras[%d].record", j)
			}
		}
		if err := os.MkdirAll(r.Dir, 0o755); err != nil {
			stop()
			return nil, cfg.Errorf(at+".folder", "%v", err)
		}
		srv.Recorders = append(srv.Recorders, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx); err != nil {
				log.Error("recording stopped", "camera", c.Name, "err", err)
			}
		}()
	}
	return stop, nil
}

// timelapse is framecast timelapse FOLDER -o OUT.mp4: a video of a
// camera's timelapse pictures, made by ffmpeg.
func (a *app) timelapse(args []string) int {
	fs := flag.NewFlagSet("framecast timelapse", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	out := fs.String("o", "timelapse.mp4", "the video to write (`file`)")
	fps := fs.Int("fps", 25, "pictures a second in the video (1 to 120)")
	fs.Usage = func() {
		fmt.Fprintln(a.stderr, "usage: framecast timelapse FOLDER [-o out.mp4] [-fps 25]\n\nFOLDER is a camera's recordings folder (record.folder/NAME), or a day or an hour in it.")
		fs.PrintDefaults()
	}
	// The folder may come before the flags, as the usage shows it.
	var dir string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dir, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if dir == "" && fs.NArg() == 1 {
		dir = fs.Arg(0)
	} else if fs.NArg() > 0 || dir == "" {
		fs.Usage()
		return 2
	}
	if *fps < 1 || *fps > 120 {
		fmt.Fprintf(a.stderr, "framecast timelapse: -fps %d is out of range: use 1 to 120\n", *fps)
		return 2
	}
	if err := record.Assemble(context.Background(), dir, *out, *fps); err != nil {
		fmt.Fprintln(a.stderr, "framecast timelapse:", err)
		return 1
	}
	fmt.Fprintln(a.stdout, "framecast timelapse: wrote", *out)
	return 0
}
