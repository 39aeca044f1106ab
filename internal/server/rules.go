package server

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// The rules of the values Server's auth and CORS fields take. They live
// here, beside the code that relies on them; config checks a file with them.

// Token lengths CheckToken allows.
const (
	MinTokenLen = 16
	MaxTokenLen = 256
)

// The bcrypt costs CheckPasswordHash allows. Each step doubles the time of
// every password check, and Handler hashes once at that cost when it
// starts: at 14 a check takes about a second on a Raspberry Pi 4, and the
// 31 bcrypt allows would take days.
const (
	MinPasswordCost = bcrypt.MinCost
	MaxPasswordCost = 14
)

// CheckUserName reports what is wrong with a user name for basic auth, or
// nil: it is 1 to 64 characters without ':' (which ends the name in the
// header) or line breaks.
func CheckUserName(name string) error {
	if name == "" || strings.ContainsAny(name, ":\x00\r\n") || len(name) > 64 {
		return fmt.Errorf("%q: use 1 to 64 characters without ':'", name)
	}
	return nil
}

// CheckPasswordHash reports what is wrong with a user's password hash, or
// nil: it is a bcrypt hash of a cost from MinPasswordCost to
// MaxPasswordCost, as framecast hash-password prints.
func CheckPasswordHash(hash string) error {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return fmt.Errorf("not a bcrypt hash: run framecast hash-password and paste what it prints")
	}
	if cost < MinPasswordCost || cost > MaxPasswordCost {
		return fmt.Errorf("bcrypt cost %d is out of range: use %d to %d (framecast hash-password -cost N): each step doubles the time of every login and of start-up", cost, MinPasswordCost, MaxPasswordCost)
	}
	return nil
}

// CheckToken reports what is wrong with a token's secret, or nil: it is
// MinTokenLen to MaxTokenLen letters, digits, '-', '_', '.' or '~', which
// URLs carry unchanged.
func CheckToken(secret string) error {
	if len(secret) < MinTokenLen || len(secret) > MaxTokenLen {
		return fmt.Errorf("a token of %d characters: use %d to %d letters, digits, '-', '_', '.' or '~' (openssl rand -hex 16 makes one)", len(secret), MinTokenLen, MaxTokenLen)
	}
	for _, r := range secret {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '~') {
			return fmt.Errorf("a token may hold only letters, digits, '-', '_', '.' or '~' (it goes in URLs)")
		}
	}
	return nil
}

// CheckOrigin reports what is wrong with an AllowOrigin, or nil: it is *
// or an origin as browsers send it, scheme://host[:port] with no path, not
// even a trailing '/', which would never match.
func CheckOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "/") || strings.ContainsAny(o, " ,;'\"") {
		return fmt.Errorf("%q is not an origin: use * or scheme://host[:port], as in https://example.com", o)
	}
	return nil
}
