package fake

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// Stream GETs url, an MJPEG multipart stream, and sends the body of every
// part to the returned channel until ctx ends or the stream does; then it
// closes the channel. A failed request or a non-multipart answer fails t.
// The channel is buffered; a test that stops reading it for long stalls the
// viewer like a slow client would.
func Stream(ctx context.Context, t testing.TB, url string) <-chan []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	boundary, err := mjpeg.BoundaryFromContentType(resp.Header.Get("Content-Type"))
	if err != nil {
		resp.Body.Close()
		t.Fatalf("GET %s: %v", url, err)
	}
	return Parts(ctx, resp.Body, boundary)
}

// Parts sends the body of every part of the MJPEG stream body, whose
// boundary is given, to the returned channel until the stream or ctx ends;
// then it closes the channel and body. The channel is buffered; a test that
// stops reading it for long stalls the viewer like a slow client would.
func Parts(ctx context.Context, body io.ReadCloser, boundary string) <-chan []byte {
	parts := make(chan []byte, 256)
	go func() {
		defer close(parts)
		defer body.Close()
		r := mjpeg.NewReader(body, boundary)
		for {
			p, err := r.NextPart()
			if err != nil {
				return
			}
			select {
			case parts <- p.Body:
			case <-ctx.Done():
				return
			}
		}
	}()
	return parts
}
