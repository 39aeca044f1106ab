package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/record"
	"github.com/framecast/framecast/internal/server"
)

// recordingsServer serves cameras "one", which records a timelapse kept in
// dir, and "two", which does not, behind a password, with a token for one.
func recordingsServer(t *testing.T) (*httptest.Server, string) {
	dir := t.TempDir()
	srv := secServer(io.Discard)
	srv.Recorders = []*record.Recorder{{Hub: srv.Cameras[0], Dir: dir}}
	ts := secServe(t, srv)
	return ts, dir
}

func getRec(t *testing.T, url string, auth bool, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if auth {
		req.SetBasicAuth(secUser, secPassword)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestRecordingsRoutes(t *testing.T) {
	ts, dir := recordingsServer(t)
	pic := fake.JPEG(64, 48, 1)
	for _, p := range []string{"2026-12-02/04/04-00-00.jpg", "2026-12-02/04/04-00-10.jpg"} {
		name := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, pic, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(filepath.Dir(dir), "secret.jpg")
	os.WriteFile(secret, []byte("not yours"), 0o644)
	base := ts.URL + "/api/cameras/one/recordings"

	resp := getRec(t, base, true)
	var list struct {
		Camera string `json:"camera"`
		Kind   string `json:"kind"`
		Files  []struct {
			Path string    `json:"path"`
			Time time.Time `json:"time"`
			Size int64     `json:"size"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if list.Camera != "one" || list.Kind != "timelapse" || len(list.Files) != 2 || list.Files[1].Path != "2026-12-02/04/04-00-10.jpg" ||
		!list.Files[1].Time.Equal(time.Date(2026, 12, 2, 4, 0, 10, 0, time.UTC)) || list.Files[1].Size != int64(len(pic)) {
		t.Errorf("list %+v", list)
	}

	// A range, as a <video> asks for one.
	resp = getRec(t, base+"/2026-12-02/04/04-00-00.jpg", true, "Range", "bytes=2-5")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusPartialContent || string(body) != string(pic[2:6]) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("range: %s %q %v", resp.Status, body, resp.Header)
	}
	resp = getRec(t, base+"/2026-12-02/04/04-00-00.jpg?download=1", true)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=one-2026-12-02-04-04-00-00.jpg` {
		t.Errorf("Content-Disposition %q", cd)
	}

	for _, c := range []struct {
		path string
		auth bool
		want int
	}{
		{"/api/cameras/one/recordings", false, http.StatusUnauthorized},
		{"/api/cameras/one/recordings?token=" + tokOne, false, http.StatusUnauthorized}, // tokens open streams only
		{"/api/cameras/one/recordings/2026-12-02/04/04-00-00.jpg?token=" + tokOne, false, http.StatusUnauthorized},
		{"/recordings?token=" + tokOne, false, http.StatusUnauthorized},
		{"/api/cameras/two/recordings", true, http.StatusNotFound},
		{"/api/cameras/nope/recordings", true, http.StatusNotFound},
		{"/api/cameras/one/recordings/2026-12-02/04/04-00-20.jpg", true, http.StatusNotFound},
		{"/api/cameras/one/recordings/..%2Fsecret.jpg", true, http.StatusNotFound},
		{"/api/cameras/one/recordings/2026-12-02/04/..%2F..%2F..%2Fsecret.jpg", true, http.StatusNotFound},
		{"/api/cameras/one/recordings/%2Fetc%2Fpasswd", true, http.StatusNotFound},
		{"/api/cameras/one/recordings/2026-12-02", true, http.StatusNotFound},
		{"/recordings", true, http.StatusOK},
	} {
		resp := getRec(t, ts.URL+c.path, c.auth)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != c.want || strings.Contains(string(body), "not yours") {
			t.Errorf("%s: %s %q, want %d", c.path, resp.Status, body, c.want)
		}
	}
}

// An H.264 camera's recordings list their lengths.
func TestRecordingsLength(t *testing.T) {
	ff := fake.Tool(t, "ffmpeg")
	dir := t.TempDir()
	name := filepath.Join(dir, "2026-12-02", "04", "04-00-00.mp4")
	os.MkdirAll(filepath.Dir(name), 0o755)
	out, err := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30",
		"-frames:v", "60", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-movflags", "frag_keyframe+empty_moov+default_base_moof", name).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	h := hub.New(hub.Config{Name: "door", Source: fake.H264(t, "160x120", "15"), Codec: hub.H264, IdleTimeout: time.Minute})
	srv := &server.Server{Cameras: []*hub.Hub{h}, Recorders: []*record.Recorder{{Hub: h, Dir: dir}}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close(); h.Close() })
	resp := getRec(t, ts.URL+"/api/cameras/door/recordings", false)
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"kind":"mp4"`) || !strings.Contains(string(body), `"seconds":2}`) {
		t.Errorf("list %s", body)
	}
	resp = getRec(t, ts.URL+"/api/cameras/door/recordings/2026-12-02/04/04-00-00.mp4", false)
	if resp.Header.Get("Content-Type") != "video/mp4" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("headers %v", resp.Header)
	}
}
