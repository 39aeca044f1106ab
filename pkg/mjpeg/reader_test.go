package mjpeg_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// readAll reads parts until an error and returns their bodies with that error.
func readAll(r *mjpeg.Reader) ([][]byte, []mjpeg.Part, error) {
	var bodies [][]byte
	var parts []mjpeg.Part
	for {
		p, err := r.NextPart()
		if err != nil {
			return bodies, parts, err
		}
		bodies = append(bodies, p.Body)
		parts = append(parts, p)
	}
}

func TestBoundaryFromContentType(t *testing.T) {
	tests := []struct {
		ct, want string
		ok       bool
	}{
		{"multipart/x-mixed-replace;boundary=framecast", "framecast", true},
		{"multipart/x-mixed-replace; boundary=boundarydonotcross", "boundarydonotcross", true},
		{`multipart/x-mixed-replace; boundary="my boundary"`, "my boundary", true},
		{"multipart/x-mixed-replace;boundary=--myboundary", "myboundary", true},
		{"Multipart/X-Mixed-Replace; Boundary=ABC", "ABC", true},
		{"multipart/mixed; boundary=abc", "abc", true},
		{"multipart/x-mixed-replace", "", false},
		{"multipart/x-mixed-replace;boundary=--", "", false},
		{"image/jpeg", "", false},
		{"", "", false},
		{"multipart/x-mixed-replace;boundary=\"unterminated", "", false},
	}
	for _, tt := range tests {
		got, err := mjpeg.BoundaryFromContentType(tt.ct)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("BoundaryFromContentType(%q) = %q, %v; want %q, ok=%v", tt.ct, got, err, tt.want, tt.ok)
		}
	}
}

func TestReaderRoundTrip(t *testing.T) {
	frames := []mjpeg.Frame{
		{Data: makeJPEG(t, 64, 48, 75, 1), Time: time.Unix(1732500000, 123456000)},
		{Data: makeJPEG(t, 320, 240, 90, 2), Time: time.Unix(1732500000, 223456000)},
		{Data: readTestdata(t, "progressive.jpg"), Time: time.Unix(1732500001, 0)},
		{Data: makeJPEG(t, 8, 8, 10, 3), Time: time.Unix(1732500002, 999999000)},
	}
	var stream bytes.Buffer
	w := newPartWriter(&stream, mjpeg.Boundary)
	for _, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range chunkings(stream.Bytes()) {
		t.Run(name, func(t *testing.T) {
			r := mjpeg.NewReader(src, mjpeg.Boundary)
			_, parts, err := readAll(r)
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if len(parts) != len(frames) {
				t.Fatalf("got %d parts, want %d", len(parts), len(frames))
			}
			for i, p := range parts {
				f := frames[i]
				if !bytes.Equal(p.Body, f.Data) {
					t.Errorf("part %d: body differs (%d bytes, want %d)", i, len(p.Body), len(f.Data))
				}
				if got := p.Header.Get("Content-Type"); got != "image/jpeg" {
					t.Errorf("part %d: Content-Type %q", i, got)
				}
				want := fmt.Sprintf("%d.%06d", f.Time.Unix(), f.Time.Nanosecond()/1000)
				if got := p.Header.Get("X-Timestamp"); got != want {
					t.Errorf("part %d: X-Timestamp %q, want %q", i, got, want)
				}
			}
		})
	}
}

// partsStream builds a stream by hand: each part is headers and body, and
// nl is the line ending.
func part(nl string, headers []string, body []byte) []byte {
	var b []byte
	for _, h := range headers {
		b = append(b, h+nl...)
	}
	b = append(b, nl...)
	return append(b, body...)
}

func TestReaderSloppyStreams(t *testing.T) {
	a := makeJPEG(t, 64, 48, 75, 1)
	b := makeJPEG(t, 32, 24, 75, 2)
	cl := func(p []byte) string { return "Content-Length: " + strconv.Itoa(len(p)) }
	ct := "Content-Type: image/jpeg"
	tests := []struct {
		name     string
		boundary string
		stream   []byte
	}{
		{
			// mjpg-streamer: opening boundary, then each part closed by
			// "\r\n--boundarydonotcross\r\n".
			"mjpg-streamer", "boundarydonotcross",
			concat([]byte("--boundarydonotcross\r\n"),
				part("\r\n", []string{ct, cl(a), "X-Timestamp: 1732500000.123456"}, a),
				[]byte("\r\n--boundarydonotcross\r\n"),
				part("\r\n", []string{ct, cl(b), "X-Timestamp: 1732500000.223456"}, b),
				[]byte("\r\n--boundarydonotcross\r\n")),
		},
		{
			// Each part opened by its boundary and ended by a bare CRLF.
			"boundary before each part", "boundarydonotcross",
			concat([]byte("--boundarydonotcross\r\n"),
				part("\r\n", []string{ct, cl(a), "X-Timestamp: 1732500000.123456"}, a), []byte("\r\n"),
				[]byte("--boundarydonotcross\r\n"),
				part("\r\n", []string{ct, cl(b), "X-Timestamp: 1732500000.223456"}, b), []byte("\r\n")),
		},
		{
			"ustreamer extra headers", "boundarydonotcross",
			concat([]byte("--boundarydonotcross\r\n"),
				part("\r\n", []string{ct, cl(a), "X-Timestamp: 1732500000.123456",
					"X-UStreamer-Online: true", "X-UStreamer-Client-FPS: 30",
					"X-UStreamer-Grab-Time: 1234.000001", "X-UStreamer-Send-Time: 1234.000200"}, a),
				[]byte("\r\n--boundarydonotcross\r\n"),
				part("\r\n", []string{ct, cl(b), "X-Timestamp: 1732500000.223456",
					"X-UStreamer-Online: false"}, b),
				[]byte("\r\n--boundarydonotcross\r\n")),
		},
		{
			"no Content-Length", "myboundary",
			concat([]byte("--myboundary\r\n"), part("\r\n", []string{ct}, a),
				[]byte("\r\n--myboundary\r\n"), part("\r\n", []string{ct}, b),
				[]byte("\r\n--myboundary--\r\n")),
		},
		{
			"LF only", "b",
			concat([]byte("--b\n"), part("\n", []string{ct, cl(a)}, a),
				[]byte("\n--b\n"), part("\n", []string{ct}, b), []byte("\n--b\n")),
		},
		{
			"preamble", "b",
			concat([]byte("HTTP/1.0 200 OK\r\nServer: cam\r\n\r\nsome text\r\n--bx\r\n"),
				bytes.Repeat([]byte{0xAB}, 100000), []byte("\r\n"),
				[]byte("--b\r\n"), part("\r\n", []string{ct, cl(a)}, a),
				[]byte("\r\n--b\r\n"), part("\r\n", []string{ct, cl(b)}, b)),
		},
		{
			"trailing whitespace and extra dashes", "--b",
			concat([]byte("--b  \t\r\n"), part("\r\n", []string{ct, cl(a)}, a),
				[]byte("\r\n----b \r\n"), part("\r\n", []string{ct}, b), []byte("\r\n--b\t\r\n")),
		},
		{
			"header case and spacing", "b",
			concat([]byte("--b\r\n"), part("\r\n", []string{"content-type:image/jpeg", "CONTENT-LENGTH:   " + strconv.Itoa(len(a)) + "  ", "garbage line"}, a),
				[]byte("\r\n--b\r\n"), part("\r\n", []string{"content-length: " + strconv.Itoa(len(b))}, b)),
		},
		{
			"missing and extra line breaks", "b",
			concat([]byte("--b\r\n"), part("\r\n", []string{ct, cl(a)}, a),
				[]byte("--b\r\n"), part("\r\n", []string{ct, cl(b)}, b), []byte("\r\n\r\n\n\r\n--b\r\n")),
		},
		{
			"no headers at all", "b",
			concat([]byte("--b\r\n"), a, []byte("\r\n--b\r\n"), b, []byte("\r\n--b--")),
		},
		{
			"closing boundary then trailing bytes", "b",
			concat([]byte("--b\r\n"), part("\r\n", []string{cl(a)}, a),
				[]byte("\r\n--b\r\n"), part("\r\n", []string{cl(b)}, b),
				[]byte("\r\n--b--\r\nepilogue\r\n--b\r\n"), part("\r\n", []string{cl(a)}, a)),
		},
		{
			"bad Content-Length read by boundary", "b",
			concat([]byte("--b\r\n"), part("\r\n", []string{"Content-Length: abc"}, a),
				[]byte("\r\n--b\r\n"), part("\r\n", []string{"Content-Length: -5"}, b), []byte("\r\n--b--")),
		},
	}
	for _, tt := range tests {
		for name, src := range chunkings(tt.stream) {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				r := mjpeg.NewReader(src, tt.boundary)
				bodies, _, err := readAll(r)
				if err != io.EOF {
					t.Fatalf("err = %v, want io.EOF", err)
				}
				sameFrames(t, bodies, [][]byte{a, b})
				if _, err := r.NextPart(); err != io.EOF {
					t.Errorf("NextPart after EOF = %v, want io.EOF", err)
				}
			})
		}
	}
}

func TestReaderHeaders(t *testing.T) {
	stream := "--b\r\nContent-Type: image/jpeg\r\nx-custom:  v1 \r\nX-Custom: v2\r\nContent-Length: 3\r\n\r\nabc\r\n--b--\r\n"
	r := mjpeg.NewReader(strings.NewReader(stream), "b")
	p, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Header.Values("X-Custom"); len(got) != 2 || got[0] != "v1" || got[1] != "v2" {
		t.Errorf("X-Custom = %q, want [v1 v2]", got)
	}
	if string(p.Body) != "abc" {
		t.Errorf("Body = %q", p.Body)
	}
}

func TestReaderTruncated(t *testing.T) {
	a := makeJPEG(t, 64, 48, 75, 1)
	var full bytes.Buffer
	w := newPartWriter(&full, "b")
	w.WriteFrame(mjpeg.Frame{Data: a, Time: time.Unix(1, 0)})
	one := full.Len()
	w.WriteFrame(mjpeg.Frame{Data: a, Time: time.Unix(2, 0)})
	s := full.Bytes()
	noCL := concat([]byte("--b\r\nContent-Type: image/jpeg\r\n\r\n"), a, []byte("\r\n--b\r\nContent-Type: image/jpeg\r\n\r\n"), a[:100])
	tests := []struct {
		name   string
		stream []byte
		parts  int
		want   error
	}{
		{"after a whole part", s[:one], 1, io.EOF},
		{"after the trailer's CRLF", s[:one-len("--b\r\n")], 1, io.EOF},
		{"in the headers", s[:one+20], 1, io.ErrUnexpectedEOF},
		{"after the headers", s[:one+bytes.Index(s[one:], []byte("\r\n\r\n"))+4], 1, io.ErrUnexpectedEOF},
		{"in the body", s[:one+200], 1, io.ErrUnexpectedEOF},
		{"body without Content-Length", noCL, 1, io.ErrUnexpectedEOF},
		{"empty stream", nil, 0, io.EOF},
		{"preamble only", []byte("hello\r\n"), 0, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mjpeg.NewReader(bytes.NewReader(tt.stream), "b")
			bodies, _, err := readAll(r)
			if err != tt.want || len(bodies) != tt.parts {
				t.Fatalf("got %d parts, %v; want %d, %v", len(bodies), err, tt.parts, tt.want)
			}
			if _, err := r.NextPart(); err != tt.want {
				t.Errorf("NextPart again = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReaderTooLarge(t *testing.T) {
	small := makeJPEG(t, 32, 24, 75, 1)
	big := makeJPEG(t, 320, 240, 95, 2)
	hugeHeader := "X-Junk: " + strings.Repeat("j", 40000)
	tests := []struct {
		name   string
		stream []byte
		want   error
	}{
		{
			"Content-Length", concat([]byte("--b\r\n"),
				part("\r\n", []string{"Content-Length: " + strconv.Itoa(len(big))}, big), []byte("\r\n--b\r\n"),
				part("\r\n", []string{"Content-Length: " + strconv.Itoa(len(small))}, small), []byte("\r\n--b\r\n")),
			mjpeg.ErrPartTooLarge,
		},
		{
			"no Content-Length", concat([]byte("--b\r\n"),
				part("\r\n", nil, big), []byte("\r\n--b\r\n"),
				part("\r\n", nil, small), []byte("\r\n--b\r\n")),
			mjpeg.ErrPartTooLarge,
		},
		{
			"header", concat([]byte("--b\r\n"),
				part("\r\n", []string{hugeHeader}, small), []byte("\r\n--b\r\n"),
				part("\r\n", []string{"Content-Length: " + strconv.Itoa(len(small))}, small), []byte("\r\n--b\r\n")),
			mjpeg.ErrHeaderTooLarge,
		},
		{
			"many headers", concat([]byte("--b\r\n"),
				part("\r\n", slicesRepeat("X-A: b", 3000), small), []byte("\r\n--b\r\n"),
				part("\r\n", nil, small), []byte("\r\n--b--\r\n")),
			mjpeg.ErrHeaderTooLarge,
		},
	}
	for _, tt := range tests {
		for name, src := range chunkings(tt.stream) {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				r := mjpeg.NewReader(src, "b")
				r.MaxPartSize = 20000
				if _, err := r.NextPart(); !errors.Is(err, tt.want) {
					t.Fatalf("first NextPart = %v, want %v", err, tt.want)
				}
				bodies, _, err := readAll(r)
				if err != io.EOF {
					t.Fatalf("err = %v, want io.EOF", err)
				}
				sameFrames(t, bodies, [][]byte{small})
			})
		}
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestReaderReadError(t *testing.T) {
	a := makeJPEG(t, 32, 24, 75, 1)
	var buf bytes.Buffer
	newPartWriter(&buf, "b").WriteFrame(mjpeg.Frame{Data: a})
	boom := errors.New("boom")
	r := mjpeg.NewReader(io.MultiReader(&buf, iotest.ErrReader(boom)), "b")
	bodies, _, err := readAll(r)
	if err != boom || len(bodies) != 1 {
		t.Fatalf("got %d parts, %v; want 1, %v", len(bodies), err, boom)
	}
}

func TestReaderEmptyBoundary(t *testing.T) {
	r := mjpeg.NewReader(strings.NewReader("--\r\n\r\n"), "--")
	if _, err := r.NextPart(); err == nil || err == io.EOF {
		t.Fatalf("NextPart with an empty boundary = %v, want an error", err)
	}
}

func TestReaderDoesNotReadAhead(t *testing.T) {
	// The reader must not read past what a bufio.Reader would: with a
	// one-byte source, reading the first part leaves the rest unread.
	a := makeJPEG(t, 32, 24, 75, 1)
	var buf bytes.Buffer
	w := newPartWriter(&buf, "b")
	w.WriteFrame(mjpeg.Frame{Data: a})
	first := buf.Len()
	w.WriteFrame(mjpeg.Frame{Data: a})
	src := bytes.NewReader(buf.Bytes())
	r := mjpeg.NewReader(iotest.OneByteReader(src), "b")
	if _, err := r.NextPart(); err != nil {
		t.Fatal(err)
	}
	if consumed := buf.Len() - src.Len(); consumed > first {
		t.Errorf("read %d bytes to get a part of a %d-byte first part", consumed, first)
	}
}
