package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/pkg/mjpeg"
)

func TestReferenceServesTheFileFrames(t *testing.T) {
	var file []byte
	var frames [][]byte
	for i := range 3 {
		f := fake.JPEG(64, 48, i)
		frames = append(frames, f)
		file = append(file, f...)
	}
	path := filepath.Join(t.TempDir(), "f.mjpeg")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadFrames(path)
	if err != nil || len(loaded) != 3 {
		t.Fatalf("loadFrames: %d frames, %v", len(loaded), err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- (&reference{path: path, fps: 60}).serve(ctx, ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := mjpeg.NewReader(c, mjpeg.Boundary)
	for i := range 5 {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if p.Header.Get("X-Timestamp") == "" {
			t.Errorf("part %d has no X-Timestamp", i)
		}
		known := false
		for _, f := range frames {
			known = known || bytes.Equal(f, p.Body)
		}
		if !known {
			t.Errorf("part %d is not a frame of the file", i)
		}
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
