package record

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/h264"
)

// timescale is the MP4 track's clock: 90 kHz, as for video everywhere.
const timescale = 90000

// fragmentTime is the most a fragment holds: a fragment ends at every
// keyframe, and after a second of pictures when keyframes are rarer, so a
// power cut loses at most that much.
const fragmentTime = time.Second

// segment is the MP4 file being written.
type segment struct {
	f       *os.File
	rel     string
	start   time.Time // the capture time of its first picture
	seq     uint32    // fragments written
	size    int64
	lastDTS int64 // of the last sample written, in timescale units
	lastDur int64 // the last sample's duration
	// durations are where the init segment's mvhd, tkhd and mdhd boxes
	// hold the file's duration, and in what timescale.
	durations []durationField
	pending   []*hub.Frame
}

// runMP4 records an H.264 camera's access units, as they are, into
// fragmented MP4 files of about Segment each, until ctx ends.
func (r *Recorder) runMP4(ctx context.Context, v *hub.Viewer) error {
	var prev *hub.Frame
	var seg *segment
	defer func() { r.closeSegment(seg, nil) }()
	for {
		f, err := r.Hub.NextAU(ctx, prev)
		if err != nil {
			return nil
		}
		if prev != nil && f.Seq != prev.Seq+1 && seg != nil {
			// The source restarted, or the recorder fell behind and was
			// moved on to a newer keyframe: the file ends with what it has.
			r.mu.Lock()
			if f.Seq > prev.Seq {
				r.skipped += int64(f.Seq - prev.Seq - 1)
			}
			r.mu.Unlock()
			r.closeSegment(seg, nil)
			seg = nil
		}
		prev = f
		if seg != nil {
			switch {
			case f.Key && f.Time.Sub(seg.start) >= r.Segment:
				r.closeSegment(seg, f)
				seg = nil
			case f.Key || f.Time.Sub(seg.pending[0].Time) >= fragmentTime:
				if !r.flush(seg, f) {
					r.closeSegment(seg, nil) // paused: the file ends here
					seg = nil
				}
			}
		}
		if seg == nil {
			if !f.Key || !r.roomFor(f) {
				// A file starts on a keyframe; while paused, the pictures
				// are counted as skipped.
				r.mu.Lock()
				if r.paused {
					r.skipped++
				}
				r.mu.Unlock()
				continue
			}
			if seg, err = r.openSegment(f); err != nil {
				r.mu.Lock()
				r.failLocked(err)
				r.mu.Unlock()
				seg = nil
				continue
			}
		}
		seg.pending = append(seg.pending, f)
		v.Frames.Add(1)
	}
}

// roomFor reports whether a file may start at keyframe f: whether the
// disk has room for it and for a fragment as large as the last one, so
// that a disk at its floor does not start a file at every keyframe only to
// pause again at its first fragment.
func (r *Recorder) roomFor(f *hub.Frame) bool {
	r.prune(0)
	r.mu.Lock()
	need := int64(len(f.Data)) + r.lastFragment
	r.mu.Unlock()
	return r.room(need)
}

// openSegment creates the file beginning with keyframe f and writes its
// init segment (the SPS and PPS).
func (r *Recorder) openSegment(f *hub.Frame) (*segment, error) {
	sps, pps := h264.ParameterSets(f.Data)
	if sps == nil || pps == nil {
		return nil, errors.New("a keyframe without its SPS and PPS")
	}
	var buf seekablebuffer.Buffer
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{{ID: 1, TimeScale: timescale, Codec: &mp4.CodecH264{SPS: sps, PPS: pps}}}}
	if err := init.Marshal(&buf); err != nil {
		return nil, err
	}
	var file *os.File
	var rel string
	for n := 0; ; n++ {
		rel = pathFor(f.Time, "mp4", n)
		name := filepath.Join(r.Dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return nil, err
		}
		var err error
		file, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || n > 100 {
			return nil, err
		}
	}
	seg := &segment{f: file, rel: rel, start: f.Time, lastDTS: -1, durations: durationFields(buf.Bytes())}
	if err := seg.write(buf.Bytes()); err != nil {
		file.Close()
		os.Remove(file.Name())
		return nil, err
	}
	syncDir(filepath.Dir(file.Name()))
	r.mu.Lock()
	r.current = seg.size
	r.written += seg.size
	r.mu.Unlock()
	return seg, nil
}

// write appends b to the file, sets the file's duration to end (in
// timescale units, when given) and syncs it: what is written survives a
// power cut, and plays to its end in players that believe the header's
// duration (Chromium plays one picture of a file whose header says 0).
func (s *segment) write(b []byte, end ...int64) error {
	if _, err := s.f.Write(b); err != nil {
		return err
	}
	s.size += int64(len(b))
	for _, e := range end {
		for _, d := range s.durations {
			var v [4]byte
			binary.BigEndian.PutUint32(v[:], uint32(uint64(e)*d.scale/timescale))
			if _, err := s.f.WriteAt(v[:], d.off); err != nil {
				return err
			}
		}
	}
	return s.f.Sync()
}

// durationField is where a header box holds a duration, in its timescale.
type durationField struct {
	off   int64
	scale uint64
}

// durationFields finds the durations of an init segment's movie header
// (mvhd), track header (tkhd, in the movie's timescale) and media header
// (mdhd), each of version 0 (32 bits) as mediacommon writes them.
func durationFields(init []byte) []durationField {
	var out []durationField
	var movieScale uint64
	var find func(b []byte, off int64)
	find = func(b []byte, off int64) {
		for len(b) >= 8 {
			size := int(binary.BigEndian.Uint32(b[:4]))
			if size < 8 || size > len(b) {
				return
			}
			typ, c := string(b[4:8]), b[8:size]
			switch {
			case typ == "moov" || typ == "trak" || typ == "mdia":
				find(c, off+8)
			case typ == "mvhd" && len(c) >= 20 && c[0] == 0:
				movieScale = uint64(binary.BigEndian.Uint32(c[12:16]))
				out = append(out, durationField{off + 8 + 16, movieScale})
			case typ == "tkhd" && len(c) >= 24 && c[0] == 0 && movieScale > 0:
				out = append(out, durationField{off + 8 + 20, movieScale})
			case typ == "mdhd" && len(c) >= 20 && c[0] == 0:
				out = append(out, durationField{off + 8 + 16, uint64(binary.BigEndian.Uint32(c[12:16]))})
			}
			b, off = b[size:], off+int64(size)
		}
	}
	find(init, 0)
	return out
}

// dts is the decoding time of a picture taken at t, in timescale units
// from the file's start; each picture is at least one unit after the last.
func (s *segment) dts(t time.Time) int64 {
	d := int64(t.Sub(s.start))
	return max((d*timescale+int64(time.Second)/2)/int64(time.Second), s.lastDTS+1)
}

// flush writes the pending pictures as one fragment; next is the picture
// after them (nil at the end: the last lasts as long as the one before).
// It returns false when the disk had no room for it.
func (r *Recorder) flush(s *segment, next *hub.Frame) bool {
	if len(s.pending) == 0 {
		return true
	}
	base := s.dts(s.pending[0].Time)
	samples := make([]*fmp4.Sample, len(s.pending))
	d := base
	for i, f := range s.pending {
		var end int64
		switch {
		case i+1 < len(s.pending):
			end = max(s.dts(s.pending[i+1].Time), d+1)
		case next != nil:
			end = max(s.dts(next.Time), d+1)
		default:
			end = d + max(s.lastDur, timescale/30)
		}
		samples[i] = &fmp4.Sample{Duration: uint32(end - d), IsNonSyncSample: !f.Key, Payload: h264.AVCC(f.Data)}
		s.lastDur = end - d
		s.lastDTS = d
		d = end
	}
	n := len(s.pending)
	s.pending = s.pending[:0]
	var buf seekablebuffer.Buffer
	err := (&fmp4.Part{SequenceNumber: s.seq + 1, Tracks: []*fmp4.PartTrack{{ID: 1, BaseTime: uint64(base), Samples: samples}}}).Marshal(&buf)
	if err == nil && !r.room(int64(buf.Len())) {
		r.mu.Lock()
		r.skipped += int64(n)
		r.mu.Unlock()
		return false
	}
	if err == nil {
		err = s.write(buf.Bytes(), d)
	}
	r.mu.Lock()
	if err != nil {
		r.failLocked(fmt.Errorf("writing %s: %w", s.rel, err))
		r.skipped += int64(n)
	} else {
		s.seq++
		r.lastFragment = int64(buf.Len())
		r.written += int64(buf.Len())
		r.current = s.size
		r.frames += int64(n)
	}
	r.mu.Unlock()
	r.prune(0)
	return true
}

// closeSegment writes the pending pictures (next follows them, or nil)
// and closes the file, which then counts among the kept ones.
func (r *Recorder) closeSegment(s *segment, next *hub.Frame) {
	if s == nil {
		return
	}
	r.flush(s, next)
	err := s.f.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current = 0
	if err != nil {
		r.failLocked(fmt.Errorf("writing %s: %w", s.rel, err))
	}
	if s.seq == 0 {
		// Not one picture made it in (the disk filled at once).
		os.Remove(s.f.Name())
		return
	}
	r.store.add(File{Path: s.rel, Time: s.start.UTC().Truncate(time.Second), Size: s.size})
	r.filesMade++
}
