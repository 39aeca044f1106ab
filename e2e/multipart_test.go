package e2e

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// TestChromiumShowsPartOnNextHeaders pins down when Chromium paints a part
// of a multipart/x-mixed-replace <img>: once the header block of the NEXT
// part has fully arrived (its blank line), not when the closing boundary of
// the part itself arrives. Tried by hand with Chromium 156: a stream that
// ends its only frame with "\r\n--framecast\r\n" and then waits shows
// nothing (naturalWidth stays 0, no load event), nor does one ending in
// the final "--framecast--" boundary; a live stream therefore shows every
// frame one frame late. Sending the next part's headers right after the
// boundary ("advance headers", as ustreamer does) makes the frame show at
// once; this test keeps that fact checked.
func TestChromiumShowsPartOnNextHeaders(t *testing.T) {
	one, two := fake.JPEG(320, 240, 1), fake.JPEG(320, 240, 2)
	part := func(data []byte) []byte {
		b := mjpeg.AppendPartHeader(nil, mjpeg.Frame{Data: data, Time: time.Now()})
		b = append(b, data...)
		return append(b, mjpeg.PartTrailer(mjpeg.Boundary)...)
	}
	advance := []byte("Content-Type: image/jpeg\r\n\r\n")
	tests := []struct {
		name string
		body [][]byte
		want []byte // the frame that must show
	}{
		{"one frame then the next part's headers", [][]byte{part(one), advance}, one},
		{"two frames then the next part's headers", [][]byte{part(one), part(two), advance}, two},
		// Without advance headers the second frame's headers are what let
		// the first frame show.
		{"two frames", [][]byte{part(one), part(two)}, one},
		// The layout that would show every frame at once: each part's
		// headers (no Content-Length, which is not known yet) go out with
		// the boundary that ends the part before.
		{"advance headers throughout", [][]byte{advance, one, mjpeg.PartTrailer(mjpeg.Boundary), advance, two, mjpeg.PartTrailer(mjpeg.Boundary), advance}, two},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>multipart</title><img id="a" alt=""><img id="want" alt="">`))
	})
	for i, tt := range tests {
		mux.HandleFunc("GET /stream/"+string(rune('0'+i)), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", mjpeg.ContentType(mjpeg.Boundary))
			w.Write(mjpeg.OpeningBoundary(mjpeg.Boundary))
			for _, b := range tt.body {
				w.Write(b)
			}
			http.NewResponseController(w).Flush()
			<-r.Context().Done() // hold the stream open, as a camera that stopped would
		})
		mux.HandleFunc("GET /want/"+string(rune('0'+i)), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(tt.want)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	tb := open(t, "http://"+ln.Addr().String()+"/")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := string(rune('0' + i))
			tb.do("loading", evalVoid(`(() => {
			  const a = document.getElementById("a"), w = document.getElementById("want");
			  a.removeAttribute("src"); w.removeAttribute("src");
			  a.src = "/stream/`+n+`"; w.src = "/want/`+n+`"; })()`))
			tb.wait("the frame to show", `(a => a.complete || a.naturalWidth > 0)(document.getElementById("a")) &&
			  document.getElementById("want").complete && document.getElementById("want").naturalWidth > 0 &&
			  __fc.hash("#a") !== "" && __fc.hash("#a") === __fc.hash("#want")`)
		})
	}
}

// TestHeldFrameShows: framecast's own stream sends the next part's headers
// in advance to a browser, so a camera that sent one frame and then nothing
// still shows that frame.
func TestHeldFrameShows(t *testing.T) {
	one := fake.JPEG(320, 240, 7)
	st := serve(t, camera(t, "held", &fake.Source{Frames: [][]byte{one}, Hold: true}))
	tb := open(t, st.url()+"healthz")
	tb.do("loading", evalVoid(`(() => {
	  const a = document.createElement("img");
	  a.id = "a"; a.alt = ""; a.src = "/stream";
	  document.body.appendChild(a); })()`))
	tb.wait("the held frame to show", `document.getElementById("a").naturalWidth === 320`)
}
