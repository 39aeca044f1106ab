// Package redact masks credentials in text that came from outside: the
// stderr of a command, an error from a camera, a URL a user typed.
package redact

import "strings"

// Mask replaces the user information of a URL in text that URLs returns.
const Mask = "xxxxx"

// URLs returns s with the user information (user name and password) of every
// URL-like text in it replaced by Mask: "rtsp://admin:pw@cam/x: refused"
// becomes "rtsp://xxxxx@cam/x: refused". A URL-like text is "://" (or its
// percent-encoded form "%3A%2F%2F") followed by characters up to the next
// blank; its user information runs to the last "@" (or "%40") among them, so
// a password holding '@', '/', ':' or percent-escapes is masked whole. When
// the last "@" belongs to a path instead, more than the user information is
// masked: masking too much is the safe mistake. A password holding blanks is
// not a valid URL and is not recognised.
//
// The user name goes too, even without a password: some services take a
// token as the user name.
func URLs(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b, or b is empty and nothing was masked
	for i := 0; i < len(s); {
		n := separator(s, i)
		if n == 0 {
			i++
			continue
		}
		start := i + n
		end := start
		for end < len(s) && !blank(s[end]) {
			end++
		}
		at := lastAt(s[start:end])
		if at <= 0 || s[start:start+at] == Mask {
			i = start
			continue
		}
		b.WriteString(s[done:start])
		b.WriteString(Mask)
		done = start + at
		i = done
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// separator returns the length of the "://" or "%3A%2F%2F" at s[i:], or 0.
func separator(s string, i int) int {
	switch {
	case strings.HasPrefix(s[i:], "://"):
		return 3
	case len(s)-i >= 9 && s[i] == '%' && strings.EqualFold(s[i:i+9], "%3A%2F%2F"):
		return 9
	}
	return 0
}

// lastAt returns the index in t of the last "@" or "%40", or -1.
func lastAt(t string) int {
	at := strings.LastIndexByte(t, '@')
	for j := len(t) - 3; j > at; j-- {
		if t[j] == '%' && t[j+1] == '4' && t[j+2] == '0' {
			return j
		}
	}
	return at
}

// blank reports whether c ends a URL-like text: ASCII white space and other
// control characters.
func blank(c byte) bool { return c <= ' ' || c == 0x7f }
