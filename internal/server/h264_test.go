package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// TestH264CameraMJPEGRoutes: an H.264 camera's MJPEG stream and snapshot
// answer 503, saying where to watch it instead.
func TestH264CameraMJPEGRoutes(t *testing.T) {
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "160x120", "30"), Codec: hub.H264, IdleTimeout: 1})
	defer h.Close()
	srv := &server.Server{Cameras: []*hub.Hub{h}}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Close()
	for _, p := range []string{"/stream", "/snapshot", "/cam/door/stream", "/cam/door/snapshot.jpg", "/?action=stream"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "sends H.264") || !strings.Contains(string(b), "/cam/door/whep") {
			t.Errorf("%s: %d %q", p, resp.StatusCode, b)
		}
	}
	if st := h.Status(); st.Viewers != 0 || st.State != hub.Idle {
		t.Errorf("the refused requests left %d viewers, state %s", st.Viewers, st.State)
	}
}
