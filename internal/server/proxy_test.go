package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/fake"
)

// TestTrustedProxies: from a trusted proxy, X-Forwarded-For names the
// client for the login limit, the log and status; from anyone else it is
// ignored.
func TestTrustedProxies(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		var log syncBuffer
		srv := secServer(&log)
		srv.PublicStatus = true // status is read below by the guessing address
		srv.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		if trusted {
			srv.TrustedProxies = append(srv.TrustedProxies, netip.MustParsePrefix("127.0.0.1/32"))
		}
		ts := secServe(t, srv)
		from := func(client, auth string) *http.Response {
			req, _ := http.NewRequest("GET", ts.URL+"/snapshot", nil)
			req.Header.Set("X-Forwarded-For", "1.1.1.1, "+client)
			req.Header.Set("Authorization", auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		bad := basic(secUser, "guess")
		for range 5 {
			from("203.0.113.9", bad)
		}
		// Another client behind the proxy is not blocked; unless the
		// header is ignored, when both are the proxy's 127.0.0.1.
		want := 401
		if !trusted {
			want = 429
		}
		if resp := from("198.51.100.1", bad); resp.StatusCode != want {
			t.Errorf("trusted %v: another client: %s, want %d", trusted, resp.Status, want)
		}
		if resp := from("203.0.113.9", bad); resp.StatusCode != 429 {
			t.Errorf("trusted %v: the guessing client: %s, want 429", trusted, resp.Status)
		}
		if got := strings.Contains(log.String(), "client=203.0.113.9"); got != trusted {
			t.Errorf("trusted %v: log names the forwarded client: %v\n%s", trusted, got, log.String())
		}

		// Status lists the viewer by the forwarded address.
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/cam/one/stream?token="+tokOne, nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.77")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		fake.WaitFor(t, "the viewer in status", func() bool {
			r, err := http.Get(ts.URL + "/api/status")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			var st struct {
				Cameras []struct {
					ViewerList []struct{ Addr string } `json:"viewer_list"`
				}
			}
			json.NewDecoder(r.Body).Decode(&st)
			if len(st.Cameras) == 0 {
				t.Fatalf("status: %s", r.Status)
			}
			for _, v := range st.Cameras[0].ViewerList {
				if trusted && v.Addr == "203.0.113.77" || !trusted && strings.HasPrefix(v.Addr, "127.0.0.1:") {
					return true
				}
			}
			return false
		})
		cancel()
		resp.Body.Close()
	}
}
