package v4l2src

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// TestEncodePoolOrder finishes encodes in reverse order and checks that the
// frames are still handed on in submission order, that a full pool refuses
// a buffer, and that failed encodes are reported.
func TestEncodePoolOrder(t *testing.T) {
	const workers = 2
	release := make(map[byte]chan struct{})
	started := make(chan byte, 8)
	for i := byte(0); i < 8; i++ {
		release[i] = make(chan struct{})
	}
	type result struct {
		data string
		err  error
	}
	results := make(chan result, 8)
	p := newEncodePool(workers, 1, func() encodeFunc {
		return func(raw []byte) ([]byte, error) {
			id := raw[0]
			started <- id
			<-release[id]
			if id == 4 {
				return nil, errors.New("broken frame")
			}
			return []byte(fmt.Sprint("jpeg", id)), nil
		}
	}, func(f mjpeg.Frame, err error) { results <- result{string(f.Data), err} })

	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	submit := func(id byte) {
		t.Helper()
		b := p.buffer()
		if b == nil {
			t.Fatalf("no buffer for frame %d", id)
		}
		b[0] = id
		p.submit(b, base.Add(time.Duration(id)*time.Second))
	}
	for id := byte(0); id < workers+1; id++ {
		submit(id)
	}
	if b := p.buffer(); b != nil {
		t.Fatal("a full pool handed out a buffer")
	}
	// Both workers are busy with frames 0 and 1; finish 1 before 0.
	<-started
	<-started
	close(release[1])
	close(release[0])
	<-started // frame 2 starts once a worker is free
	close(release[2])
	for want := 0; want < 3; want++ {
		if r := <-results; r.data != fmt.Sprint("jpeg", want) || r.err != nil {
			t.Fatalf("result %d: %q, %v", want, r.data, r.err)
		}
	}
	// Buffers came back: more frames go through, one of them broken.
	for id := byte(3); id < 6; id++ {
		submit(id)
	}
	for id := byte(3); id < 6; id++ {
		<-started
		close(release[id])
	}
	p.close()
	for _, want := range []string{"jpeg3", "", "jpeg5"} {
		r := <-results
		if r.data != want || (want == "") != (r.err != nil) {
			t.Fatalf("got %q, %v; want %q", r.data, r.err, want)
		}
	}
}
