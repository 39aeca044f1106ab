// Package record keeps what a camera saw: a timelapse of JPEG pictures for
// MJPEG cameras, fragmented MP4 files for H.264 cameras (the camera's own
// pictures, not encoded again), kept within an age and a byte budget and
// never filling the disk. A Recorder is a consumer of the camera's hub
// like any viewer: while it records, the camera runs.
//
// Files are laid out as DIR/YYYY-MM-DD/HH/HH-MM-SS.jpg (or .mp4), in UTC,
// named for the time of their first picture.
package record

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/framecast/framecast/internal/hub"
)

// Defaults of a Recorder's settings.
const (
	// DefaultTimelapse is the interval between the pictures of a timelapse.
	DefaultTimelapse = 10 * time.Second
	// DefaultSegment is the length of an H.264 recording's files.
	DefaultSegment = 5 * time.Minute
	// DefaultMinFree is the free space below which recording pauses.
	DefaultMinFree = 512 << 20
)

// Recorder records one camera into Dir until its Run returns. Set the
// exported fields before Run; its methods are safe for concurrent use.
type Recorder struct {
	// Hub is the camera. An MJPEG camera records a timelapse; an H.264
	// camera records fragmented MP4 files.
	Hub *hub.Hub
	// Dir is the camera's folder (FOLDER/CAMERA); Run creates it.
	Dir string
	// Timelapse is the interval between the pictures kept of an MJPEG
	// camera; zero means DefaultTimelapse.
	Timelapse time.Duration
	// Segment is the length of an H.264 camera's files; a file ends at the
	// first keyframe after it. Zero means DefaultSegment.
	Segment time.Duration
	// MaxAge deletes files older than this; zero keeps them whatever their age.
	MaxAge time.Duration
	// MaxBytes deletes the oldest files while the camera's files take more
	// than this; zero sets no limit.
	MaxBytes int64
	// MinFree pauses recording while the disk has less free space than
	// this; recording never deletes a file the age and byte limits keep
	// to make room. Zero means DefaultMinFree; negative disables the check.
	MinFree int64
	// Logger receives pauses, resumes and errors; nil means slog.Default().
	Logger *slog.Logger
	// FreeSpace returns the bytes free for unprivileged users on the disk
	// holding dir; nil means statfs(2).
	FreeSpace func(dir string) (int64, error)

	once sync.Once
	log  *slog.Logger

	mu        sync.Mutex
	store     store
	paused    bool
	free      int64
	written   int64 // bytes written since Run began
	filesMade int64
	frames    int64 // H.264 pictures written
	skipped   int64 // H.264 pictures not written: disk full, or fell behind
	// lastFragment is the size of the last MP4 fragment written.
	lastFragment int64
	current      int64 // bytes of the file being written, not yet kept
	lastErr      string
	running      bool
	pauseReason  string
}

// Status is what a recorder reports in /api/status.
type Status struct {
	// Kind is "timelapse" (JPEG pictures) or "mp4" (H.264 files).
	Kind string `json:"kind"`
	// Recording is true while Run runs and is not paused.
	Recording bool `json:"recording"`
	// Paused is true while the disk is too full to write; PausedReason says why.
	Paused       bool   `json:"paused"`
	PausedReason string `json:"paused_reason,omitempty"`
	// Files and Bytes are what is kept on disk now, the file being
	// written included.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	// FilesWritten and BytesWritten count what this run wrote.
	FilesWritten int64 `json:"files_written"`
	BytesWritten int64 `json:"bytes_written"`
	// Frames counts the H.264 pictures written since Run began; Skipped
	// those left out (the disk was full, or writing fell behind the
	// camera).
	Frames  int64 `json:"frames,omitempty"`
	Skipped int64 `json:"skipped,omitempty"`
	// Oldest is the time of the oldest file kept.
	Oldest *time.Time `json:"oldest,omitempty"`
	// FreeBytes is the disk's free space when last checked.
	FreeBytes int64 `json:"free_bytes"`
	// LastError is the last error writing or deleting a file.
	LastError string `json:"last_error,omitempty"`
}

func (r *Recorder) init() {
	r.once.Do(func() {
		if r.Timelapse <= 0 {
			r.Timelapse = DefaultTimelapse
		}
		if r.Segment <= 0 {
			r.Segment = DefaultSegment
		}
		if r.MinFree == 0 {
			r.MinFree = DefaultMinFree
		}
		if r.FreeSpace == nil {
			r.FreeSpace = FreeSpace
		}
		r.log = r.Logger
		if r.log == nil {
			r.log = slog.Default()
		}
		r.log = r.log.With("camera", r.Hub.Name(), "recording", r.Dir)
		r.store.dir = r.Dir
	})
}

// Kind returns "timelapse" or "mp4": what the recorder writes.
func (r *Recorder) Kind() string {
	if r.Hub.Codec() == hub.H264 {
		return "mp4"
	}
	return "timelapse"
}

// Run records until ctx ends, keeping the camera running meanwhile. It
// returns an error only when Dir cannot be made or read; errors writing a
// file are logged, shown in Status, and recording goes on.
func (r *Recorder) Run(ctx context.Context) error {
	r.init()
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	r.mu.Lock()
	err := r.store.scan(true)
	r.running = true
	r.mu.Unlock()
	if err != nil {
		return err
	}
	defer func() {
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
	}()
	r.prune(0)
	v := r.Hub.Join("recorder")
	defer v.Leave()
	if r.Hub.Codec() == hub.H264 {
		return r.runMP4(ctx, v)
	}
	return r.runTimelapse(ctx, v)
}

// Status reports what the recorder keeps and does now.
func (r *Recorder) Status() Status {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Status{
		Kind:         r.Kind(),
		Recording:    r.running && !r.paused,
		Paused:       r.paused,
		PausedReason: r.pauseReason,
		Files:        len(r.store.files),
		Bytes:        r.store.total + r.current,
		FilesWritten: r.filesMade,
		BytesWritten: r.written,
		FreeBytes:    r.free,
		Frames:       r.frames,
		Skipped:      r.skipped,
		LastError:    r.lastErr,
	}
	if len(r.store.files) > 0 {
		t := r.store.files[0].Time
		st.Oldest = &t
	}
	return st
}

// room reports whether need more bytes may be written: it checks the
// disk's free space, pausing or resuming recording as it changes.
func (r *Recorder) room(need int64) bool {
	free, err := r.FreeSpace(r.Dir)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failLocked(fmt.Errorf("checking free space: %w", err))
		return true // a disk that cannot say is written to; writes fail loudly
	}
	r.free = free
	ok := r.MinFree < 0 || free-need >= r.MinFree
	switch {
	case !ok && !r.paused:
		r.paused = true
		r.pauseReason = fmt.Sprintf("disk nearly full: %d bytes free, %d kept free", free, r.MinFree)
		r.log.Warn("recording paused: disk nearly full", "free_bytes", free, "min_free", r.MinFree)
	case ok && r.paused:
		r.paused = false
		r.pauseReason = ""
		r.log.Info("recording resumed", "free_bytes", free)
	}
	return ok
}

// failLocked records err for status and the log. Callers hold mu.
func (r *Recorder) failLocked(err error) {
	r.lastErr = err.Error()
	r.log.Error("recording", "err", err)
}

// prune deletes the oldest files beyond the age and byte limits, leaving
// room within them for the file being written and extra bytes more.
func (r *Recorder) prune(extra int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.store.prune(time.Now(), r.MaxAge, r.MaxBytes, r.current+extra) {
		r.failLocked(err)
	}
}

// FreeSpace returns the bytes an unprivileged user may still write on the
// file system holding dir.
func FreeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
