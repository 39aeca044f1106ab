package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http/httputil"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/pkg/mjpeg"
)

func TestParseStamp(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"1732500000.123456", 1732500000123456},
		{"1732500000.5", 1732500000500000},
		{"1732500000", 1732500000000000},
		{"0.000001", 1},
	} {
		if got := parseStamp([]byte(c.in)); got != c.want {
			t.Errorf("parseStamp(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// stream renders frames as framecast sends them; a repeated time is a
// duplicate part.
func stream(t *testing.T, times ...time.Time) []byte {
	t.Helper()
	b := mjpeg.OpeningBoundary(mjpeg.Boundary)
	for i, tm := range times {
		f := mjpeg.Frame{Data: fake.JPEG(32, 16, i), Time: tm}
		b = append(mjpeg.AppendPartHeader(b, f), f.Data...)
		b = append(b, mjpeg.PartTrailer(mjpeg.Boundary)...)
	}
	return b
}

func TestViewerCountsFramesAndDuplicates(t *testing.T) {
	t0 := time.Now().Add(-time.Second)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * 33 * time.Millisecond) }
	body := stream(t, ms(0), ms(1), ms(1), ms(3), ms(4))
	for _, chunked := range []bool{false, true} {
		var resp bytes.Buffer
		resp.WriteString("HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=framecast\r\n")
		if chunked {
			resp.WriteString("Transfer-Encoding: chunked\r\n\r\n")
			cw := httputil.NewChunkedWriter(&resp)
			for p := body; len(p) > 0; p = p[min(len(p), 1000):] {
				cw.Write(p[:min(len(p), 1000)])
			}
			cw.Close()
			resp.WriteString("\r\n")
		} else {
			resp.WriteString("\r\n")
			resp.Write(body)
		}
		br := bufio.NewReader(&resp)
		rest, err := readHead(br)
		if err != nil {
			t.Fatal(err)
		}
		if (rest != nil) != chunked {
			t.Fatalf("chunked=%v: readHead returned reader %v", chunked, rest)
		}
		if rest != nil {
			br = bufio.NewReader(rest)
		}
		v := &viewer{fps: 30, win: newWindow()}
		v.win.start()
		if err := v.read(br); !errors.Is(err, io.EOF) {
			t.Fatalf("chunked=%v: read: %v", chunked, err)
		}
		if v.st.frames != 4 || v.st.dups != 1 || len(v.st.lat) != 5 {
			t.Errorf("chunked=%v: frames %d dups %d samples %d, want 4 1 5", chunked, v.st.frames, v.st.dups, len(v.st.lat))
		}
		for _, l := range v.st.lat {
			if l < 0 {
				t.Errorf("negative latency %v", l)
			}
		}
	}
}

func TestReadHeadRejectsErrors(t *testing.T) {
	br := bufio.NewReader(bytes.NewBufferString("HTTP/1.1 503 Service Unavailable\r\n\r\n"))
	if _, err := readHead(br); err == nil {
		t.Error("503 accepted")
	}
}
