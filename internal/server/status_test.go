package server_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestStatusTokens checks /api/status says which cameras have tokens, so
// the page can say how to make a URL with one, and never says a token.
func TestStatusTokens(t *testing.T) {
	srv := secServer(io.Discard)
	srv.Tokens = srv.Tokens[:1] // camera one only
	ts := secServe(t, srv)
	resp, body := get(t, ts.URL+"/api/status", basic(secUser, secPassword))
	if resp.StatusCode != 200 {
		t.Fatalf("status: %s\n%s", resp.Status, body)
	}
	var st struct {
		Cameras []struct {
			Name   string
			Tokens bool
		}
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range st.Cameras {
		got[c.Name] = c.Tokens
	}
	if !got["one"] || got["two"] || len(got) != 2 {
		t.Errorf("tokens per camera %v, want one:true two:false", got)
	}
	if strings.Contains(body, tokOne) {
		t.Errorf("status shows a token:\n%s", body)
	}
}
