package redact_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/redact"
)

func TestURLs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"no url here: connection refused", "no url here: connection refused"},
		{"rtsp://cam/stream: Connection refused", "rtsp://cam/stream: Connection refused"},
		{"rtsp://admin:PASSWORD@10.0.0.5:554/s: Connection refused", "rtsp://xxxxx@10.0.0.5:554/s: Connection refused"},
		{"rtsp://admin:p@ss@word@cam/s", "rtsp://xxxxx@cam/s"},
		{"http://admin:p%40ss%3Aw%2Fd@cam/", "http://xxxxx@cam/"},
		{"http://u:p/w?x#y@cam/", "http://xxxxx@cam/"},
		{"rtsp://admin:pw@[fe80::1%25eth0]:554/s", "rtsp://xxxxx@[fe80::1%25eth0]:554/s"},
		{"rtsp://token@cam/", "rtsp://xxxxx@cam/"},
		{"rtsp://:pw@cam/", "rtsp://xxxxx@cam/"},
		{"rtsp://@cam/", "rtsp://@cam/"},
		{"a rtsp://u:1@h1/x, then http://v:2@h2 and https://h3/", "a rtsp://xxxxx@h1/x, then http://xxxxx@h2 and https://h3/"},
		{"rtsp://u:1@h1,rtsp://v:2@h2", "rtsp://xxxxx@h2"},
		{"[tcp @ 0x55d] Connection to tcp://u:pw@cam:554 failed", "[tcp @ 0x55d] Connection to tcp://xxxxx@cam:554 failed"},
		{"open \"rtsp://u:pw@cam\": refused", "open \"rtsp://xxxxx@cam\": refused"},
		{"url=rtsp%3A%2F%2Fadmin%3Apw%40cam%2Fs", "url=rtsp%3A%2F%2Fxxxxx%40cam%2Fs"},
		{"url=rtsp%3a%2f%2fadmin%3apw%40cam", "url=rtsp%3a%2f%2fxxxxx%40cam"},
		{"rtsp://u:pw@cam\nnext line user@example.com", "rtsp://xxxxx@cam\nnext line user@example.com"},
		{"://u:pw@cam", "://xxxxx@cam"},
		{"https://example.com/@user", "https://xxxxx@user"}, // too much, never too little
	}
	for _, tt := range tests {
		if got := redact.URLs(tt.in); got != tt.want {
			t.Errorf("URLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestURLsProperty builds lines of URLs with random credentials in the
// forms cameras and users write and checks that no password survives.
func TestURLsProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// What a password may hold, '@' and percent-escapes included; never a
	// blank, which no valid URL holds.
	const passChars = "abcXYZ0189@:/?#%!$&'()*+,;=-._~[]\"<>\\^`{|}"
	schemes := []string{"rtsp", "rtsps", "http", "https", "srt", "rtmp", "tcp", "udp", "onvif+http"}
	hosts := []string{"cam", "10.0.0.5", "10.0.0.5:554", "[::1]", "[fe80::1%25eth0]:8554", "camera.local:80", "xn--bcher-kva.example"}
	paths := []string{"", "/", "/stream", "/Streaming/Channels/101?transportmode=unicast", "/a@b", "/x#frag"}
	seps := []string{" ", ": ", "\t", "\n", " -> ", "\r"}
	for i := range 20000 {
		var line strings.Builder
		var secrets []string
		for range 1 + r.IntN(4) {
			line.WriteString(seps[r.IntN(len(seps))])
			if r.IntN(2) == 0 {
				line.WriteString("error opening ")
			}
			pass := "S3cr3t"
			for range 1 + r.IntN(12) {
				if r.IntN(6) == 0 {
					pass += "%" + string("0123456789ABCDEF"[r.IntN(16)]) + string("0123456789abcdef"[r.IntN(16)])
					continue
				}
				pass += string(passChars[r.IntN(len(passChars))])
			}
			user := "admin"
			switch r.IntN(4) {
			case 0:
				user = ""
			case 1:
				user = "us%40er"
			}
			userinfo := user + ":" + pass
			if r.IntN(5) == 0 { // a token as the user name, no password
				userinfo = pass
			}
			u := schemes[r.IntN(len(schemes))] + "://" + userinfo + "@" + hosts[r.IntN(len(hosts))] + paths[r.IntN(len(paths))]
			if r.IntN(8) == 0 {
				u = strings.NewReplacer(":", "%3A", "/", "%2F", "@", "%40").Replace(u)
			}
			line.WriteString(u)
			secrets = append(secrets, pass)
		}
		in := line.String()
		got := redact.URLs(in)
		for _, p := range secrets {
			if strings.Contains(got, p) || strings.Contains(got, "S3cr3t") {
				t.Fatalf("case %d: password %q survives in %q (from %q)", i, p, got, in)
			}
		}
		if again := redact.URLs(got); again != got {
			t.Fatalf("case %d: not stable: %q then %q", i, got, again)
		}
	}
}

// FuzzURLs checks, for any text, that masking is stable, never grows the
// text by more than the masks it adds, and leaves nothing between "://"
// and an "@" in the same word but the mask.
func FuzzURLs(f *testing.F) {
	for _, s := range []string{
		"rtsp://admin:PASSWORD@10.0.0.5:554/s: Connection refused",
		"rtsp://admin:p@ss@cam/s",
		"http://u:p%40ss@[::1]:80/",
		"a rtsp://u:1@h1/x http://v:2@h2",
		"rtsp%3A%2F%2Fu%3Ap%40h",
		"://@",
		"%3A%2F%2F%40",
		"rtsp://xxxxx@cam",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := redact.URLs(in)
		if again := redact.URLs(got); again != got {
			t.Fatalf("not stable: %q -> %q -> %q", in, got, again)
		}
		if len(got) > len(in)+len(redact.Mask)*(strings.Count(in, "://")+strings.Count(in, "%")) {
			t.Fatalf("grew: %q -> %q", in, got)
		}
		for _, word := range strings.FieldsFunc(got, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			i := strings.Index(word, "://")
			if j := indexFold(word, "%3A%2F%2F"); j >= 0 && (i < 0 || j < i) {
				i = j + 6
			}
			if i < 0 {
				continue
			}
			rest := word[i+3:]
			at := max(strings.LastIndex(rest, "@"), strings.LastIndex(rest, "%40"))
			if at > 0 && rest[:at] != redact.Mask {
				t.Fatalf("%q -> %q: %q keeps user information", in, got, word)
			}
		}
	})
}

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
