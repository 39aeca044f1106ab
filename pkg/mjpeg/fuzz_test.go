package mjpeg_test

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"testing"
	"testing/iotest"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// fuzzJPEGs are small real JPEGs for seeding the fuzzers.
func fuzzJPEGs(f *testing.F) [][]byte {
	return [][]byte{
		makeJPEG(f, 8, 8, 50, 1),
		makeJPEG(f, 17, 9, 90, 2),
		withEXIF(makeJPEG(f, 16, 16, 50, 3), makeJPEG(f, 8, 8, 20, 4)),
		withFill(makeJPEG(f, 8, 16, 30, 5)),
		readTestdata(f, "restart.jpg"),
		readTestdata(f, "progressive.jpg"),
		readTestdata(f, "progressive_restart.jpg"),
	}
}

func FuzzFrameLen(f *testing.F) {
	for _, j := range fuzzJPEGs(f) {
		f.Add(j)
		f.Add(j[:len(j)/2])
		f.Add(concat(j, j))
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, b []byte) {
		mjpeg.Size(b)
		n, err := mjpeg.FrameLen(b)
		switch {
		case err == nil:
			if n < 4 || n > len(b) || b[n-2] != 0xFF || b[n-1] != 0xD9 {
				t.Fatalf("FrameLen = %d for %d bytes, not ending with EOI", n, len(b))
			}
			if m, err := mjpeg.FrameLen(b[:n]); err != nil || m != n {
				t.Fatalf("FrameLen(frame) = %d, %v; want %d", m, err, n)
			}
			if _, err := mjpeg.FrameLen(b[:n-1]); err != mjpeg.ErrTruncated {
				t.Fatalf("FrameLen(frame minus a byte) = %v; want ErrTruncated", err)
			}
			if _, _, err := mjpeg.Size(b[:n]); err != nil {
				t.Fatalf("Size of a whole frame: %v", err)
			}
		case err == mjpeg.ErrTruncated || err == mjpeg.ErrInvalid:
		default:
			t.Fatalf("FrameLen error %v", err)
		}
	})
}

// splitResult is what a Splitter made of a stream.
type splitResult struct {
	frames  [][]byte
	err     error
	dropped int64
}

func split(r io.Reader, max int) splitResult {
	s := newSplitter(r, max)
	frames, err := splitAll(s)
	return splitResult{frames, err, s.Drops.Load()}
}

func FuzzSplitter(f *testing.F) {
	js := fuzzJPEGs(f)
	for i, j := range js {
		k := js[(i+1)%len(js)]
		f.Add(concat(j, k), uint64(i), uint16(0))
		f.Add(concat([]byte("garbage\xFF"), j, []byte{0xFF, 0xD9, 0xFF}, k, j[:len(j)/3]), uint64(i), uint16(len(j)))
		f.Add(concat(j[:len(j)/2], k, j), uint64(i), uint16(len(k)+10))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, max uint16) {
		all := split(bytes.NewReader(data), int(max))
		if all.err != io.EOF {
			t.Fatalf("err = %v, want io.EOF", all.err)
		}
		var total int64
		for _, fr := range all.frames {
			if n, err := mjpeg.FrameLen(fr); err != nil || n != len(fr) {
				t.Fatalf("frame of %d bytes: FrameLen = %d, %v", len(fr), n, err)
			}
			if max > 0 && len(fr) > int(max) {
				t.Fatalf("frame of %d bytes exceeds the maximum %d", len(fr), max)
			}
			mjpeg.Size(fr)
			total += int64(len(fr))
		}
		if total > int64(len(data)) {
			t.Fatalf("frames of %d bytes from %d bytes read", total, len(data))
		}
		// How the stream is chunked changes nothing.
		for _, r := range []io.Reader{
			newChunkReader(data, seed, 1+int(seed%4096)),
			iotest.OneByteReader(bytes.NewReader(data)),
		} {
			got := split(r, int(max))
			if got.err != all.err || got.dropped != all.dropped || len(got.frames) != len(all.frames) {
				t.Fatalf("chunked: %d frames, %v, dropped %d; all at once: %d, %v, %d",
					len(got.frames), got.err, got.dropped, len(all.frames), all.err, all.dropped)
			}
			for i := range got.frames {
				if !bytes.Equal(got.frames[i], all.frames[i]) {
					t.Fatalf("chunked: frame %d differs", i)
				}
			}
		}
	})
}

// readResult is what a Reader made of a stream.
type readResult struct {
	bodies [][]byte
	errs   []error
}

func readParts(t *testing.T, r io.Reader, boundary string, limit int) readResult {
	mr := mjpeg.NewReader(r, boundary)
	mr.MaxPartSize = 4096
	mr.MaxHeaderBytes = 256
	var res readResult
	for range limit {
		p, err := mr.NextPart()
		if err == nil {
			res.bodies = append(res.bodies, p.Body)
			continue
		}
		res.errs = append(res.errs, err)
		if !errors.Is(err, mjpeg.ErrPartTooLarge) && !errors.Is(err, mjpeg.ErrHeaderTooLarge) {
			if _, again := mr.NextPart(); again != err {
				t.Fatalf("NextPart after %v = %v; want the same error", err, again)
			}
			return res
		}
	}
	t.Fatalf("NextPart called %d times on %d bytes without reaching an end", limit, limit)
	return res
}

func FuzzReader(f *testing.F) {
	js := fuzzJPEGs(f)
	var w bytes.Buffer
	mw := newPartWriter(&w, "b")
	for _, j := range js[:3] {
		mw.WriteFrame(mjpeg.Frame{Data: j, Time: time.Unix(1732500000, 0)})
	}
	f.Add(w.Bytes(), "b")
	f.Add([]byte("--b\nContent-Type: image/jpeg\n\n"+string(js[0])+"\n--b\n\n"+string(js[1])+"\n--b--\n"), "b")
	f.Add([]byte("preamble\r\n--bnd  \r\nContent-Length: 3\r\n\r\nabc--bnd\r\n\r\n--bnd--"), "--bnd")
	f.Add([]byte("--b\r\nContent-Length: "+strconv.Itoa(len(js[2]))+"\r\n\r\n"+string(js[2])+"\r\n--b\r\n"+string(js[0])), "b")
	f.Add([]byte("--b\r\nX: "+string(bytes.Repeat([]byte("x"), 300))+"\r\n\r\nbody\r\n--b\r\n\r\nok\r\n--b--"), "b")
	f.Fuzz(func(t *testing.T, data []byte, boundary string) {
		limit := len(data) + 3
		all := readParts(t, bytes.NewReader(data), boundary, limit)
		one := readParts(t, iotest.OneByteReader(bytes.NewReader(data)), boundary, limit)
		if len(one.bodies) != len(all.bodies) || len(one.errs) != len(all.errs) {
			t.Fatalf("one byte at a time: %d parts, errors %v; all at once: %d, %v",
				len(one.bodies), one.errs, len(all.bodies), all.errs)
		}
		for i := range all.bodies {
			if len(all.bodies[i]) > 4096 {
				t.Fatalf("part of %d bytes exceeds MaxPartSize", len(all.bodies[i]))
			}
			if !bytes.Equal(one.bodies[i], all.bodies[i]) {
				t.Fatalf("one byte at a time: part %d differs", i)
			}
		}
		if len(data) > 4096 {
			return
		}
		// Whatever the bytes, a part reads back as written.
		b := "b"
		var buf bytes.Buffer
		w := newPartWriter(&buf, b)
		w.WriteFrame(mjpeg.Frame{Data: data, Time: time.Unix(1, 0)})
		w.WriteFrame(mjpeg.Frame{Data: data})
		got := readParts(t, &buf, b, 10)
		if len(got.bodies) != 2 || !bytes.Equal(got.bodies[0], data) || !bytes.Equal(got.bodies[1], data) || got.errs[0] != io.EOF {
			t.Fatalf("round trip: %d parts, errors %v", len(got.bodies), got.errs)
		}
	})
}
