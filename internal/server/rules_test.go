package server_test

import (
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/server"
)

func TestRules(t *testing.T) {
	// A bcrypt hash of "secret" at cost 4, and the same hash claiming cost 31.
	const hash4 = "$2a$04$5Ff22qa6uRUkTzmkeommzuK6auJT4kgWAyHjg5mJVoodOKBqJNU5O"
	hash31 := strings.Replace(hash4, "$04$", "$31$", 1)
	tests := []struct {
		name  string
		check func(string) error
		in    string
		want  string
	}{
		{"user", server.CheckUserName, "alice", ""},
		{"empty user", server.CheckUserName, "", `"": use 1 to 64 characters without ':'`},
		{"colon in user", server.CheckUserName, "a:b", `"a:b": use 1 to 64 characters without ':'`},
		{"line break in user", server.CheckUserName, "a\nb", `"a\nb": use 1 to 64 characters without ':'`},
		{"long user", server.CheckUserName, strings.Repeat("a", 65), `"` + strings.Repeat("a", 65) + `": use 1 to 64 characters without ':'`},
		{"hash", server.CheckPasswordHash, hash4, ""},
		{"plain password", server.CheckPasswordHash, "secret", "not a bcrypt hash: run framecast hash-password and paste what it prints"},
		// bcrypt allows 31, which takes days: start-up would hang.
		{"absurd cost", server.CheckPasswordHash, hash31, "bcrypt cost 31 is out of range: use 4 to 14 (framecast hash-password -cost N): each step doubles the time of every login and of start-up"},
		{"token", server.CheckToken, "0123456789abcdef", ""},
		{"short token", server.CheckToken, "abc", "a token of 3 characters: use 16 to 256 letters, digits, '-', '_', '.' or '~' (openssl rand -hex 16 makes one)"},
		{"token with &", server.CheckToken, "abcdefgh&ijklmnop", "a token may hold only letters, digits, '-', '_', '.' or '~' (it goes in URLs)"},
		{"token with space", server.CheckToken, "abcdefgh ijklmnop", "a token may hold only letters, digits, '-', '_', '.' or '~' (it goes in URLs)"},
		{"origin", server.CheckOrigin, "https://ha.example:8123", ""},
		{"any origin", server.CheckOrigin, "*", ""},
		{"origin path", server.CheckOrigin, "https://ha.example/x", `"https://ha.example/x" is not an origin: use * or scheme://host[:port], as in https://example.com`},
		{"origin slash", server.CheckOrigin, "https://ha.example/", `"https://ha.example/" is not an origin: use * or scheme://host[:port], as in https://example.com`},
		{"origin scheme", server.CheckOrigin, "ha.example", `"ha.example" is not an origin: use * or scheme://host[:port], as in https://example.com`},
		{"origin list", server.CheckOrigin, "https://a.example, https://b.example", `"https://a.example, https://b.example" is not an origin: use * or scheme://host[:port], as in https://example.com`},
		{"origin user", server.CheckOrigin, "https://u@a.example", `"https://u@a.example" is not an origin: use * or scheme://host[:port], as in https://example.com`},
	}
	for _, tt := range tests {
		got := ""
		if err := tt.check(tt.in); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
