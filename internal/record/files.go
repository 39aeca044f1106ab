package record

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Files returns the files the recorder keeps, oldest first, the one being
// written included.
func (r *Recorder) Files() ([]File, error) {
	return List(r.Dir)
}

// Open opens the kept file rel (a File's Path). Any other path, one that
// would leave the folder included, is fs.ErrNotExist.
func (r *Recorder) Open(rel string) (*os.File, error) {
	if _, ok := parsePath(rel); !ok {
		return nil, fs.ErrNotExist
	}
	return os.OpenInRoot(r.Dir, filepath.FromSlash(rel))
}

// Length returns how long the fragmented MP4 file f plays, read from its
// fragments' headers (a file being written, or cut short, plays as far as
// its last whole fragment).
func Length(f io.ReaderAt) (time.Duration, error) {
	var end uint64
	var timescale uint64 = 90000
	var off int64
	var hdr [16]byte
	for {
		if _, err := f.ReadAt(hdr[:8], off); err != nil {
			if errors.Is(err, io.EOF) {
				return time.Duration(end * uint64(time.Second) / timescale), nil
			}
			return 0, err
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:8])
		if size == 1 {
			if _, err := f.ReadAt(hdr[8:16], off+8); err != nil {
				return 0, err
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
		}
		if size < 8 || size > 64<<20 && typ != "mdat" {
			return 0, errors.New("not an MP4 file")
		}
		if typ == "moov" && size <= 64<<20 {
			box := make([]byte, size-8)
			if _, err := f.ReadAt(box, off+8); err != nil {
				return 0, err
			}
			if ts := mediaTimescale(box); ts > 0 {
				timescale = ts
			}
		}
		if typ == "moof" {
			box := make([]byte, size-8)
			if _, err := f.ReadAt(box, off+8); err != nil {
				// A fragment cut short: the file plays as far as the one before.
				return time.Duration(end * uint64(time.Second) / timescale), nil
			}
			if e := fragmentEnd(box); e > end {
				end = e
			}
		}
		off += size
	}
}

// fragmentEnd returns the time, in the track's units, at which the first
// track fragment of a moof box's content ends: its tfdt plus the
// durations of its samples.
func fragmentEnd(moof []byte) uint64 {
	var end uint64
	walk(moof, func(typ string, b []byte) {
		if typ != "traf" {
			return
		}
		var base, sum, def uint64
		walk(b, func(typ string, b []byte) {
			if len(b) < 8 {
				return
			}
			version, flags := b[0], uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])
			switch typ {
			case "tfhd":
				p := 8
				if flags&0x1 != 0 {
					p += 8
				}
				if flags&0x2 != 0 {
					p += 4
				}
				if flags&0x8 != 0 && p+4 <= len(b) {
					def = uint64(binary.BigEndian.Uint32(b[p : p+4]))
				}
			case "tfdt":
				if version == 1 && len(b) >= 12 {
					base = binary.BigEndian.Uint64(b[4:12])
				} else {
					base = uint64(binary.BigEndian.Uint32(b[4:8]))
				}
			case "trun":
				n := binary.BigEndian.Uint32(b[4:8])
				p := 8
				if flags&0x1 != 0 {
					p += 4
				}
				if flags&0x4 != 0 {
					p += 4
				}
				per := 0
				for _, bit := range []uint32{0x100, 0x200, 0x400, 0x800} {
					if flags&bit != 0 {
						per += 4
					}
				}
				if flags&0x100 == 0 {
					sum += uint64(n) * def // the track fragment's default
					return
				}
				for i := uint32(0); i < n && p+4 <= len(b); i++ {
					sum += uint64(binary.BigEndian.Uint32(b[p : p+4]))
					p += per
				}
			}
		})
		end = max(end, base+sum)
	})
	return end
}

// walk calls fn with the type and content of each box in b.
func walk(b []byte, fn func(typ string, content []byte)) {
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b[:4]))
		if size < 8 || size > len(b) {
			return
		}
		fn(string(b[4:8]), b[8:size])
		b = b[size:]
	}
}

// mediaTimescale returns the timescale of the first track in a moov box's
// content (its mdhd), or 0.
func mediaTimescale(moov []byte) uint64 {
	var ts uint64
	walk(moov, func(typ string, b []byte) {
		if typ != "trak" || ts != 0 {
			return
		}
		walk(b, func(typ string, b []byte) {
			if typ != "mdia" {
				return
			}
			walk(b, func(typ string, b []byte) {
				if typ != "mdhd" || len(b) < 24 {
					return
				}
				if b[0] == 1 && len(b) >= 32 {
					ts = uint64(binary.BigEndian.Uint32(b[20:24]))
				} else {
					ts = uint64(binary.BigEndian.Uint32(b[12:16]))
				}
			})
		})
	})
	return ts
}
