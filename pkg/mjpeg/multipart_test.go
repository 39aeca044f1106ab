package mjpeg_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

func TestContentType(t *testing.T) {
	if got, want := mjpeg.ContentType(mjpeg.Boundary), "multipart/x-mixed-replace;boundary=framecast"; got != want {
		t.Errorf("ContentType = %q, want %q", got, want)
	}
	if got, want := string(mjpeg.OpeningBoundary("b")), "--b\r\n"; got != want {
		t.Errorf("OpeningBoundary = %q, want %q", got, want)
	}
	if got, want := string(mjpeg.PartTrailer("b")), "\r\n--b\r\n"; got != want {
		t.Errorf("PartTrailer = %q, want %q", got, want)
	}
}

func TestAppendPartHeader(t *testing.T) {
	tests := []struct {
		name string
		f    mjpeg.Frame
		want string
	}{
		{
			"typical",
			mjpeg.Frame{Data: make([]byte, 45123), Time: time.Unix(1732500000, 123456789)},
			"Content-Type: image/jpeg\r\nContent-Length: 45123\r\nX-Timestamp: 1732500000.123456\r\n\r\n",
		},
		{
			"whole second",
			mjpeg.Frame{Data: []byte{1}, Time: time.Unix(1732500000, 0)},
			"Content-Type: image/jpeg\r\nContent-Length: 1\r\nX-Timestamp: 1732500000.000000\r\n\r\n",
		},
		{
			"leading zero micros",
			mjpeg.Frame{Data: nil, Time: time.Unix(5, 7000)},
			"Content-Type: image/jpeg\r\nContent-Length: 0\r\nX-Timestamp: 5.000007\r\n\r\n",
		},
		{
			"before the epoch",
			mjpeg.Frame{Data: []byte{1, 2}, Time: time.Unix(0, -500000000)},
			"Content-Type: image/jpeg\r\nContent-Length: 2\r\nX-Timestamp: -0.500000\r\n\r\n",
		},
		{
			"zero time",
			mjpeg.Frame{Data: []byte{1, 2, 3}},
			"Content-Type: image/jpeg\r\nContent-Length: 3\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("x")
			got := mjpeg.AppendPartHeader(prefix, tt.f)
			if string(got) != "x"+tt.want {
				t.Errorf("AppendPartHeader = %q, want %q", got, "x"+tt.want)
			}
			if len(got)-1 > mjpeg.PartHeaderMaxLen {
				t.Errorf("header is %d bytes, more than PartHeaderMaxLen %d", len(got)-1, mjpeg.PartHeaderMaxLen)
			}
		})
	}
}

func TestAppendPartHeaderAllocs(t *testing.T) {
	f := mjpeg.Frame{Data: make([]byte, 45000), Time: time.Now()}
	buf := make([]byte, 0, mjpeg.PartHeaderMaxLen)
	if n := testing.AllocsPerRun(100, func() { buf = mjpeg.AppendPartHeader(buf[:0], f) }); n != 0 {
		t.Errorf("AppendPartHeader allocates %v times per call, want 0", n)
	}
	// The longest possible header fits PartHeaderMaxLen.
	long := mjpeg.AppendPartHeader(nil, mjpeg.Frame{Time: time.Unix(-(1<<62)/1000000, 0)})
	long = append(long, bytes.Repeat([]byte{'9'}, 19)...) // a 19-digit length
	if len(long) > mjpeg.PartHeaderMaxLen {
		t.Errorf("longest header %d bytes > PartHeaderMaxLen %d", len(long), mjpeg.PartHeaderMaxLen)
	}
}
