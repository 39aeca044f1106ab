package record

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/framecast/framecast/internal/hub"
)

// runTimelapse keeps one picture of an MJPEG camera every Timelapse, at
// multiples of it on the clock, until ctx ends.
func (r *Recorder) runTimelapse(ctx context.Context, v *hub.Viewer) error {
	var last *hub.Frame
	for {
		now := time.Now()
		t := time.NewTimer(now.Truncate(r.Timelapse).Add(r.Timelapse).Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		f := r.Hub.Latest()
		if f == nil || f.NoSignal || last != nil && f.Seq <= last.Seq {
			// No picture since the last one kept: the next real one is.
			var err error
			if f, err = r.nextPicture(ctx, last); err != nil {
				return nil
			}
		}
		if last != nil && f.Time.Unix() == last.Time.Unix() {
			continue // the camera sent nothing newer within that second
		}
		last = f
		r.prune(int64(len(f.Data)))
		if !r.room(int64(len(f.Data))) {
			continue
		}
		if err := r.writeFile(pathFor(f.Time, "jpg", 0), f.Data, f.Time); err != nil {
			r.mu.Lock()
			r.failLocked(err)
			r.mu.Unlock()
			continue
		}
		v.Frames.Add(1)
		v.Bytes.Add(int64(len(f.Data)))
	}
}

// nextPicture waits for a camera picture newer than last (nil for any)
// until ctx ends; "no signal" cards are passed over.
func (r *Recorder) nextPicture(ctx context.Context, last *hub.Frame) (*hub.Frame, error) {
	var seq uint64
	if last != nil {
		seq = last.Seq
	}
	for {
		f, err := r.Hub.Next(ctx, seq)
		if err != nil {
			return nil, err
		}
		if !f.NoSignal {
			return f, nil
		}
		seq = f.Seq
	}
}

// writeFile writes data as the file rel below the folder: to a temporary
// name, synced, then renamed, so the folder never holds half a file.
func (r *Recorder) writeFile(rel string, data []byte, t time.Time) error {
	name := filepath.Join(r.Dir, filepath.FromSlash(rel))
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	syncDir(dir) // the rename survives a power cut
	r.mu.Lock()
	defer r.mu.Unlock()
	r.store.add(File{Path: rel, Time: t.UTC().Truncate(time.Second), Size: int64(len(data))})
	r.written += int64(len(data))
	r.filesMade++
	return nil
}

// syncDir flushes a folder's entries to disk.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
