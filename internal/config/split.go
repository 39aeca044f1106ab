package config

import (
	"errors"
	"strings"
)

// Split splits a command line (source_args, exec:COMMAND) into arguments the way a POSIX shell would,
// without running one: words are separated by blanks; 'single quotes' keep
// everything literally; "double quotes" keep blanks and allow \" \\ \$ \`
// escapes; a backslash outside quotes keeps the next character. Nothing is
// expanded: no variables, globs, pipes or redirections. An unterminated
// quote or a trailing backslash is an error.
func Split(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	const (
		plain = iota
		single
		double
	)
	state := plain
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case single:
			if c == '\'' {
				state = plain
			} else {
				cur.WriteByte(c)
			}
		case double:
			switch {
			case c == '"':
				state = plain
			case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0:
				i++
				if s[i] != '\n' { // backslash-newline continues the line
					cur.WriteByte(s[i])
				}
			default:
				cur.WriteByte(c)
			}
		default:
			switch c {
			case ' ', '\t', '\n', '\r':
				if inWord {
					args = append(args, cur.String())
					cur.Reset()
					inWord = false
				}
			case '\'':
				state, inWord = single, true
			case '"':
				state, inWord = double, true
			case '\\':
				if i+1 >= len(s) {
					return nil, errors.New("command ends with a lone backslash")
				}
				i++
				if s[i] != '\n' {
					cur.WriteByte(s[i])
					inWord = true
				}
			default:
				cur.WriteByte(c)
				inWord = true
			}
		}
	}
	switch state {
	case single:
		return nil, errors.New("command has an unterminated ' quote")
	case double:
		return nil, errors.New(`command has an unterminated " quote`)
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
