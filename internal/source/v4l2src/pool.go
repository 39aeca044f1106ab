package v4l2src

import (
	"sync"
	"time"

	"github.com/framecast/framecast/pkg/mjpeg"
)

// encodeFunc encodes one raw frame; each encoder goroutine has its own.
type encodeFunc func(raw []byte) ([]byte, error)

// encodePool encodes raw frames on several goroutines and hands the results
// on in the order the frames were submitted, so that time never runs
// backwards for viewers. It holds at most workers+1 frames: buffer returns
// nil when all are taken, and the caller drops the frame.
//
// buffer, release and submit are called from one goroutine; done is called
// from another, one frame at a time, in submission order.
type encodePool struct {
	jobs  chan *encodeJob
	order chan *encodeJob // submission order
	free  chan []byte
	size  int
	made  int
	wg    sync.WaitGroup
	ended chan struct{}
}

type encodeJob struct {
	raw  []byte
	t    time.Time
	out  []byte
	err  error
	done chan struct{}
}

func newEncodePool(workers, size int, newEncoder func() encodeFunc, done func(mjpeg.Frame, error)) *encodePool {
	n := workers + 1
	p := &encodePool{jobs: make(chan *encodeJob, n), order: make(chan *encodeJob, n), free: make(chan []byte, n),
		size: size, ended: make(chan struct{})}
	for range workers {
		enc := newEncoder()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				j.out, j.err = enc(j.raw)
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(p.ended)
		for j := range p.order {
			<-j.done
			p.free <- j.raw
			done(mjpeg.Frame{Data: j.out, Time: j.t}, j.err)
		}
	}()
	return p
}

// buffer returns a buffer for the next raw frame, or nil when every one is
// held by a frame still being encoded or handed on.
func (p *encodePool) buffer() []byte {
	select {
	case b := <-p.free:
		return b
	default:
	}
	if p.made == cap(p.free) {
		return nil
	}
	p.made++
	return make([]byte, p.size)
}

// release gives back a buffer that was not submitted.
func (p *encodePool) release(b []byte) { p.free <- b }

// submit hands a frame, in a buffer from buffer, to the encoders.
func (p *encodePool) submit(raw []byte, t time.Time) {
	j := &encodeJob{raw: raw, t: t, done: make(chan struct{})}
	// Neither send blocks: at most cap(free) jobs exist at a time.
	p.order <- j
	p.jobs <- j
}

// close waits for the submitted frames to be encoded and handed on, and
// stops the goroutines.
func (p *encodePool) close() {
	close(p.jobs)
	close(p.order)
	p.wg.Wait()
	<-p.ended
}
