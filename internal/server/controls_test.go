package server_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// ctlServer serves a camera "webcam" with fake controls and a test pattern
// camera "pat", with srv's other fields.
func ctlServer(t *testing.T, srv *server.Server, src *fake.ControlSource) string {
	t.Helper()
	srv.Cameras = []*hub.Hub{
		hub.New(hub.Config{Name: "webcam", Source: src, Describe: "v4l2 /dev/video0 640x480@30", IdleTimeout: time.Minute,
			Logger: slog.New(slog.DiscardHandler)}),
		secHub("pat"),
	}
	if srv.Logger == nil {
		srv.Logger = slog.New(slog.DiscardHandler)
	}
	return secServe(t, srv).URL
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, method, url, contentType, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// values decodes a controls list into name → value (-1 for none).
func values(t *testing.T, body string) map[string]int64 {
	t.Helper()
	var list []control.Control
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("not a controls list: %v\n%s", err, body)
	}
	out := map[string]int64{}
	for _, c := range list {
		out[c.Name] = -1
		if c.Value != nil {
			out[c.Name] = *c.Value
		}
	}
	return out
}

func TestControlsGet(t *testing.T) {
	url := ctlServer(t, &server.Server{}, fake.NewControlSource())
	tests := []struct {
		path string
		code int
		body string // a part of the body
	}{
		{"/api/cameras/webcam/controls", 200, `"name": "power_line_frequency"`},
		{"/api/cameras/pat/controls", 409, `camera "pat" (testpattern) has no controls`},
		{"/api/cameras/nope/controls", 404, `no camera named "nope"`},
	}
	for _, tt := range tests {
		resp, body := do(t, "GET", url+tt.path, "", "")
		if resp.StatusCode != tt.code || !strings.Contains(body, tt.body) {
			t.Errorf("GET %s: %s\n%s\nwant %d with %q", tt.path, resp.Status, body, tt.code, tt.body)
		}
	}
	resp, body := do(t, "GET", url+"/api/cameras/webcam/controls", "", "")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var list []control.Control
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 6 {
		t.Fatalf("%d controls, %v", len(list), err)
	}
	b := list[0]
	if b.Name != "brightness" || b.Label != "Brightness" || b.Type != control.Integer || b.Min != 0 || b.Max != 255 ||
		b.Default != 128 || b.Value == nil || *b.Value != 128 {
		t.Errorf("brightness: %+v", b)
	}
	if m := list[3].Menu; len(m) != 3 || m[2] != (control.MenuItem{Value: 2, Name: "60 Hz"}) {
		t.Errorf("menu: %+v", m)
	}
}

func TestControlsPost(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		path        string // after /api/cameras/webcam/controls
		contentType string
		body        string
		code        int
		want        string           // a part of the body, for errors
		values      map[string]int64 // expected values after, for successes
		sets        []string         // names set, in order
	}{
		{name: "json", contentType: "application/json", body: `{"brightness": 140, "horizontal_flip": true}`, code: 200,
			values: map[string]int64{"brightness": 140, "horizontal_flip": 1, "contrast": 50}, sets: []string{"brightness", "horizontal_flip"}},
		{name: "json without content type", body: `{"contrast": 55}`, code: 200,
			values: map[string]int64{"contrast": 55}, sets: []string{"contrast"}},
		{name: "form", contentType: form, body: "Brightness=10&power_line_frequency=60+Hz", code: 200,
			values: map[string]int64{"brightness": 10, "power_line_frequency": 2}, sets: []string{"brightness", "power_line_frequency"}},
		{name: "query", path: "?contrast=100&horizontal_flip=on", code: 200,
			values: map[string]int64{"contrast": 100, "horizontal_flip": 1}, sets: []string{"contrast", "horizontal_flip"}},
		{name: "manual exposure: auto mode first", contentType: "application/json",
			body: `{"exposure_time_absolute": 100, "auto_exposure": "Manual Mode"}`, code: 200,
			values: map[string]int64{"auto_exposure": 1, "exposure_time_absolute": 100}, sets: []string{"auto_exposure", "exposure_time_absolute"}},
		{name: "out of range", contentType: "application/json", body: `{"brightness": 300, "contrast": 55}`, code: 400,
			want: "control \"brightness\": 300 is outside 0..255\nnothing was set"},
		{name: "off the step", contentType: form, body: "contrast=52", code: 400,
			want: `control "contrast": 52 is not in steps of 5 from 0 (0..100)`},
		{name: "not a menu entry", contentType: "application/json", body: `{"power_line_frequency": "70 Hz"}`, code: 400,
			want: `control "power_line_frequency": "70 Hz" is not a whole number, true/false or one of its menu entries`},
		{name: "menu value missing", contentType: "application/json", body: `{"power_line_frequency": 3}`, code: 400,
			want: `3 is not one of 0 (Disabled), 1 (50 Hz), 2 (60 Hz)`},
		{name: "inactive", contentType: "application/json", body: `{"exposure_time_absolute": 100}`, code: 400,
			want: `control "exposure_time_absolute": inactive now`},
		{name: "unknown", contentType: "application/json", body: `{"brightnes": 1}`, code: 400,
			want: `control "brightnes": no such control (there are brightness, contrast, horizontal_flip, power_line_frequency, auto_exposure, exposure_time_absolute)`},
		{name: "fraction", contentType: "application/json", body: `{"brightness": 1.5}`, code: 400, want: `"1.5" is not a whole number`},
		{name: "nested", contentType: "application/json", body: `{"brightness": {"v": 1}}`, code: 400,
			want: `control "brightness": want a number, true/false or a menu entry's name`},
		{name: "not an object", contentType: "application/json", body: `[1]`, code: 400, want: `want a JSON object`},
		{name: "bad JSON", contentType: "application/json", body: `{"brightness": 1`, code: 400, want: `bad JSON`},
		{name: "trailing data", contentType: "application/json", body: `{"brightness": 1} {}`, code: 400, want: `data after the object`},
		{name: "twice in JSON", contentType: "application/json", body: `{"brightness": 1, "brightness": 2}`, code: 400,
			want: `control "brightness" given twice`},
		{name: "twice in form", contentType: form, body: "brightness=1&brightness=2", code: 400, want: `control "brightness" given twice`},
		{name: "nothing", contentType: form, code: 400, want: `no controls given`},
		{name: "empty object", contentType: "application/json", body: `{}`, code: 400, want: `no controls given`},
		{name: "other content type", contentType: "image/png", body: "x", code: 400, want: `content type "image/png"`},
		{name: "too large", contentType: form, body: "brightness=1&x=" + strings.Repeat("a", server.MaxControlsBody), code: 413,
			want: "request body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fake.NewControlSource()
			url := ctlServer(t, &server.Server{}, src)
			resp, body := do(t, "POST", url+"/api/cameras/webcam/controls"+tt.path, tt.contentType, tt.body)
			if resp.StatusCode != tt.code || !strings.Contains(body, tt.want) {
				t.Fatalf("%s\n%s\nwant %d with %q", resp.Status, body, tt.code, tt.want)
			}
			if tt.code != 200 {
				if sets := src.Sets(); len(sets) != 0 {
					t.Errorf("refused, yet set %v", sets)
				}
				return
			}
			got := values(t, body)
			for k, v := range tt.values {
				if got[k] != v {
					t.Errorf("%s = %d, want %d", k, got[k], v)
				}
			}
			if sets := src.Sets(); !reflect.DeepEqual(sets, tt.sets) {
				t.Errorf("set %v, want %v", sets, tt.sets)
			}
		})
	}
}

func TestControlsErrors(t *testing.T) {
	src := fake.NewControlSource()
	src.Err = errors.New("v4l2: open /dev/video0: no such device")
	url := ctlServer(t, &server.Server{}, src)
	for method, send := range map[string]string{"GET": "", "POST": `{"brightness": 1}`} {
		resp, body := do(t, method, url+"/api/cameras/webcam/controls", "application/json", send)
		if resp.StatusCode != 503 || !strings.Contains(body, `camera "webcam": controls: v4l2: open /dev/video0: no such device`) {
			t.Errorf("%s with the device gone: %s\n%s", method, resp.Status, body)
		}
	}
	resp, body := do(t, "POST", url+"/api/cameras/pat/controls", "application/json", `{"brightness": 1}`)
	if resp.StatusCode != 409 || !strings.Contains(body, "has no controls") {
		t.Errorf("POST to the test pattern: %s\n%s", resp.Status, body)
	}
	resp, body = do(t, "PUT", url+"/api/cameras/webcam/controls", "application/json", `{"brightness": 1}`)
	if resp.StatusCode != 413 && resp.StatusCode != 405 {
		t.Errorf("PUT: %s\n%s", resp.Status, body)
	}
}

func TestControlsCrossSite(t *testing.T) {
	tests := []struct {
		name    string
		allow   string
		headers []string
		code    int
	}{
		{"no browser headers (curl)", "", nil, 200},
		{"same origin", "", []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"another site", "", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"another origin", "", []string{"Origin", "https://evil.example"}, 403},
		{"the allowed origin", "https://ha.example:8123", []string{"Origin", "https://ha.example:8123", "Sec-Fetch-Site", "cross-site"}, 200},
		{"not the allowed origin", "https://ha.example:8123", []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fake.NewControlSource()
			url := ctlServer(t, &server.Server{AllowOrigin: tt.allow}, src)
			resp, body := do(t, "POST", url+"/api/cameras/webcam/controls", "application/x-www-form-urlencoded", "brightness=1", tt.headers...)
			if resp.StatusCode != tt.code {
				t.Fatalf("%s\n%s\nwant %d", resp.Status, body, tt.code)
			}
			if tt.code != 200 && len(src.Sets()) != 0 {
				t.Errorf("refused, yet set %v", src.Sets())
			}
		})
	}
}

func TestControlsAuth(t *testing.T) {
	srv := &server.Server{
		Users:  map[string]string{secUser: secHash()},
		Tokens: []server.Token{{Camera: "webcam", Secret: tokOne}},
	}
	src := fake.NewControlSource()
	url := ctlServer(t, srv, src)
	ok := basic(secUser, secPassword)
	tests := []struct {
		name, method, query, auth string
		code                      int
	}{
		{"GET without auth", "GET", "", "", 401},
		{"GET with the camera's token", "GET", "?token=" + tokOne, "", 401},
		{"GET with a password", "GET", "", ok, 200},
		{"POST without auth", "POST", "", "", 401},
		{"POST with the camera's token", "POST", "?token=" + tokOne, "", 401},
		{"POST with a wrong password", "POST", "", basic(secUser, "wrong"), 401},
		{"unknown camera without auth", "GET", "", "", 401},
		{"POST with a password", "POST", "", ok, 200},
	}
	for _, tt := range tests {
		path := "/api/cameras/webcam/controls"
		if strings.HasPrefix(tt.name, "unknown") {
			path = "/api/cameras/nope/controls"
		}
		body := ""
		if tt.method == "POST" {
			body = `{"brightness": 7}`
		}
		var headers []string
		if tt.auth != "" {
			headers = []string{"Authorization", tt.auth}
		}
		resp, got := do(t, tt.method, url+path+tt.query, "application/json", body, headers...)
		if resp.StatusCode != tt.code {
			t.Errorf("%s: %s\n%s\nwant %d", tt.name, resp.Status, got, tt.code)
		}
		if tt.method == "POST" && tt.code != 200 && len(src.Sets()) != 0 {
			t.Fatalf("%s: refused, yet set %v", tt.name, src.Sets())
		}
	}
	if sets := src.Sets(); !reflect.DeepEqual(sets, []string{"brightness"}) {
		t.Errorf("set %v", sets)
	}
}

// A POST whose sender is refused is answered at once and its connection
// closed: the body, which could trickle in forever, is never waited for.
func TestControlsRefusedBodyNotWaitedFor(t *testing.T) {
	srv := &server.Server{Users: map[string]string{secUser: secHash()}}
	addr := strings.TrimPrefix(ctlServer(t, srv, fake.NewControlSource()), "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A safety net against a hung server, not a measurement.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	req := "POST /api/cameras/webcam/controls HTTP/1.1\r\nHost: framecast.test\r\nContent-Type: application/json\r\n" +
		"Content-Length: 1000\r\n\r\n{\"bright"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("%s, want 401", resp.Status)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the answer: %v, want the connection closed", err)
	}
}
