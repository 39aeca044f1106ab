package server_test

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var defaultCostHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(secPassword), bcrypt.DefaultCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// flood sends n requests for /snapshot at once from 127.0.0.1, each with
// the Authorization auth(i), and counts the answers by status code. Every
// 401 of basic auth is one bcrypt comparison.
func flood(t *testing.T, url string, n int, auth func(i int) string) map[int]int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", url+"/snapshot", nil)
			if a := auth(i); a != "" {
				req.Header.Set("Authorization", a)
			}
			<-start
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return codes
}

// TestLoginFlood: many wrong passwords sent at once from one address are
// checked at most up to the limit (5); the rest get 429 unchecked, and the
// right password among them does not get through.
// FRAMECAST_FLOOD=200 sends that many for a measurement.
func TestLoginFlood(t *testing.T) {
	n := 30
	if v, err := strconv.Atoi(os.Getenv("FRAMECAST_FLOOD")); err == nil {
		n = v
	}
	srv := secServer(io.Discard)
	// The cost hash-password uses: each comparison takes tens of ms, as
	// on a real set-up, so guesses overlap.
	srv.Users = map[string]string{secUser: defaultCostHash()}
	ts := secServe(t, srv)
	right := n / 2
	codes := flood(t, ts.URL, n, func(i int) string {
		if i == right {
			return basic(secUser, secPassword)
		}
		return basic(secUser, "guess-"+strconv.Itoa(i))
	})
	t.Logf("%d guesses at once: %d checked (401), %d refused (429), %d let in (200)", n, codes[401], codes[429], codes[200])
	if codes[401]+codes[200] > 5 {
		t.Errorf("%d guesses checked, want at most 5", codes[401]+codes[200])
	}
	if codes[401]+codes[429]+codes[200] != n {
		t.Errorf("answers %v, want only 401, 429 and 200", codes)
	}
}
