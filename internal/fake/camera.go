package fake

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault is a way an HTTP camera misbehaves, as Camera serves it.
type Fault int

// The faults Camera can serve. Each applies after GoodParts good frames.
const (
	// NoFault streams good frames until the client leaves.
	NoFault Fault = iota
	// DropMidPart sends half of a part and closes the connection.
	DropMidPart
	// NoLength streams parts without Content-Length, until the client leaves.
	NoLength
	// Garbage streams parts mixed with garbage between parts, parts that
	// are not JPEGs and cut-short JPEGs, until the client leaves.
	Garbage
	// Bare streams concatenated JPEGs with no multipart framing
	// (Content-Type application/octet-stream), until the client leaves.
	Bare
	// Stall sends nothing more and keeps the connection open.
	Stall
	// Unauthorized answers 401 at once.
	Unauthorized
)

var faultNames = map[Fault]string{NoFault: "none", DropMidPart: "connection dropped mid-part",
	NoLength: "parts without Content-Length", Garbage: "garbage between and inside parts",
	Bare: "bare concatenated JPEGs", Stall: "stream stalls", Unauthorized: "401 Unauthorized"}

// String names the fault.
func (f Fault) String() string {
	if s, ok := faultNames[f]; ok {
		return s
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// Camera is an HTTP MJPEG camera for tests: request number i (from 0) gets
// Faults[i], and requests past the list get NoFault. Frames are real JPEGs
// of Width×Height (default 160×120), one every Period (default 10ms).
type Camera struct {
	Faults        []Fault
	GoodParts     int
	Width, Height int
	Period        time.Duration
	// User and Password, when User is set, are required as basic auth.
	User, Password string

	mu       sync.Mutex
	requests int
}

// Requests returns how many requests the camera has had.
func (c *Camera) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

// ServeHTTP serves one stream with its fault.
func (c *Camera) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	i := c.requests
	c.requests++
	c.mu.Unlock()
	fault := NoFault
	if i < len(c.Faults) {
		fault = c.Faults[i]
	}
	if c.User != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != c.User || p != c.Password {
			fault = Unauthorized
		}
	}
	if fault == Unauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="camera"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	wd, ht, period := c.Width, c.Height, c.Period
	if wd == 0 || ht == 0 {
		wd, ht = 160, 120
	}
	if period <= 0 {
		period = 10 * time.Millisecond
	}
	rc := http.NewResponseController(w)
	if fault == Bare {
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		// A boundary given with leading dashes, as some cameras do.
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=--myboundary")
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for n := 0; ; n++ {
		frame := JPEG(wd, ht, i*1000+n)
		var err error
		switch {
		case n < c.GoodParts || fault == NoFault:
			err = writePart(w, frame, true)
		case fault == DropMidPart:
			fmt.Fprintf(w, "--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(frame))
			w.Write(frame[:len(frame)/2])
			rc.Flush()
			panic(http.ErrAbortHandler) // drops the connection
		case fault == NoLength:
			err = writePart(w, frame, false)
		case fault == Garbage:
			switch n % 4 {
			case 0:
				_, err = w.Write([]byte("\r\n\x00\xff\xd8 garbage between parts \xff\r\n"))
			case 1:
				err = writePart(w, []byte("<html>not a picture</html>"), true)
			case 2:
				err = writePart(w, frame[:len(frame)/2], true)
			}
			if err == nil {
				err = writePart(w, frame, n%2 == 0)
			}
		case fault == Bare:
			_, err = w.Write(frame)
		case fault == Stall:
			rc.Flush()
			<-r.Context().Done()
			return
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// writePart writes one part, with or without Content-Length.
func writePart(w http.ResponseWriter, data []byte, withLength bool) error {
	hdr := "--myboundary\r\nContent-Type: image/jpeg\r\n"
	if withLength {
		hdr += "Content-Length: " + strconv.Itoa(len(data)) + "\r\n"
	}
	if _, err := w.Write([]byte(hdr + "\r\n")); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	_, err := w.Write([]byte("\r\n"))
	return err
}
