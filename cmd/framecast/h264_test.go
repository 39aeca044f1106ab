package main

import (
	"bytes"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/fake"
)

// TestH264Camera runs framecast with an H.264 camera (ffmpeg writing
// libx264, as README's example): a WHEP viewer gets its pictures over
// WebRTC on the UDP port of -webrtc-port, on the host of -listen, and the
// snapshot is a JPEG decoded by ffmpeg.
func TestH264Camera(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	addr := start(t, []string{"-listen", "127.0.0.1:0", "-webrtc-port", "0", "-codec", "h264", "-source",
		"exec:" + ff + " -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=320x240:rate=30 -c:v libx264 -preset ultrafast -tune zerolatency -g 60 -f h264 -"}, nil)
	c := fake.NewWHEPClient(t)
	resp, err := http.Post("http://"+addr+"/whep", "application/sdp", strings.NewReader(c.Offer))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /whep: %s: %s", resp.Status, answer)
	}
	// Only the address framecast listens on is offered.
	cands := 0
	for _, l := range strings.Split(string(answer), "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			cands++
			if !strings.Contains(l, " 127.0.0.1 ") {
				t.Errorf("a candidate off 127.0.0.1: %s", l)
			}
		}
	}
	if cands == 0 {
		t.Errorf("the answer offers no candidate:\n%s", answer)
	}
	c.Answer(t, string(answer))
	if w, h, _, _ := c.FirstIDR(t); w != 320 || h != 240 {
		t.Errorf("first IDR picture %dx%d, want 320x240", w, h)
	}
	resp, err = http.Get("http://" + addr + "/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/snapshot of an H.264 camera: %s: %.200s", resp.Status, b)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("/snapshot of an H.264 camera: %v", err)
	}
	if r := img.Bounds(); r.Dx() != 320 || r.Dy() != 240 {
		t.Errorf("/snapshot of an H.264 camera: %dx%d, want 320x240", r.Dx(), r.Dy())
	}
}
