package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestCounter: the counting proxy passes requests and answers unchanged and
// counts each request once, even when its blank line comes split across
// reads, and every byte of the answers.
func TestCounter(t *testing.T) {
	body := strings.Repeat("part", 50000)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		io.WriteString(w, body)
	}))
	defer ts.Close()
	c, err := startCounter(ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	for range 5 {
		resp, err := client.Get("http://" + c.addr + "/x.mp4")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != body {
			t.Fatalf("body of %d bytes (%v), want %d", len(b), err, len(body))
		}
	}
	if got := c.reqs.Load(); got != 5 {
		t.Errorf("%d requests counted, want 5", got)
	}

	// One request sent a byte at a time: its blank line spans reads.
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, b := range []byte("GET /y.mp4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") {
		if _, err := conn.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	answer, err := io.ReadAll(conn)
	if err != nil || !bytes.HasSuffix(answer, []byte(body)) {
		t.Fatalf("answer of %d bytes (%v)", len(answer), err)
	}
	if got := c.reqs.Load(); got != 6 {
		t.Errorf("%d requests counted, want 6", got)
	}
	if got := c.bytes.Load(); got < 6*int64(len(body)) {
		t.Errorf("%d bytes counted, want at least the 6 bodies' %d", got, 6*len(body))
	}
}
