package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as Go writes it: 10s, 500ms, 1m30s.
type Duration time.Duration

// String writes d as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// Set parses s, as in 10s or 1m30s.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a duration: use a number with a unit, as in 10s, 500ms or 1m30s", s)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reads a duration scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := wantScalar(n, "a duration such as 10s"); err != nil {
		return err
	}
	return d.Set(n.Value)
}

// MarshalYAML writes d as a string such as 10s.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ByteSize is a count of bytes, written with an optional unit: 65536, 512KiB,
// 16MiB, 1GiB (K, M and G alone mean KiB, MiB and GiB; KB, MB and GB are
// powers of 1000). It is 64 bits wide on every machine: a recording budget
// of a Pi with a 32-bit system can be 20GiB.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int
}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}}

// Set parses s, as in 16MiB.
func (b *ByteSize) Set(s string) error {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/int64(mult) {
		return fmt.Errorf("%q is not a size in bytes: use a number with an optional unit, as in 65536, 512KiB or 16MiB", s)
	}
	*b = ByteSize(n * int64(mult))
	return nil
}

// String writes b in the largest binary unit that divides it.
func (b ByteSize) String() string {
	switch {
	case b != 0 && b%(1<<30) == 0:
		return strconv.FormatInt(int64(b>>30), 10) + "GiB"
	case b != 0 && b%(1<<20) == 0:
		return strconv.FormatInt(int64(b>>20), 10) + "MiB"
	case b != 0 && b%(1<<10) == 0:
		return strconv.FormatInt(int64(b>>10), 10) + "KiB"
	}
	return strconv.FormatInt(int64(b), 10)
}

// UnmarshalYAML reads a size scalar.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if err := wantScalar(n, "a size such as 16MiB"); err != nil {
		return err
	}
	return b.Set(n.Value)
}

// MarshalYAML writes b as a string such as 16MiB.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// Set parses s, written WxH as in 1280x720. It does not check the range;
// Validate does.
func (z *Size) Set(s string) error {
	ws, hs, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("%q is not WxH (for example 1280x720)", s)
	}
	z.Width, z.Height = w, h
	return nil
}

// String writes z as WxH.
func (z Size) String() string { return fmt.Sprintf("%dx%d", z.Width, z.Height) }

// UnmarshalYAML reads a WxH scalar.
func (z *Size) UnmarshalYAML(n *yaml.Node) error {
	if err := wantScalar(n, "a size such as 1280x720"); err != nil {
		return err
	}
	return z.Set(n.Value)
}

// MarshalYAML writes z as WxH.
func (z Size) MarshalYAML() (any, error) { return z.String(), nil }

// UnmarshalYAML reads a token: the secret alone, or a mapping with secret
// and expires (RFC 3339 time or a date).
func (t *Token) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = Token{Secret: n.Value}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s where a token belongs: write the secret, or a mapping of secret and expires", kindName(n))
	}
	*t = Token{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return fmt.Errorf("%q is set twice", k.Value)
		}
		seen[k.Value] = true
		if err := wantScalar(v, k.Value); err != nil {
			return err
		}
		switch k.Value {
		case "secret":
			t.Secret = v.Value
		case "expires":
			e, err := parseTime(v.Value)
			if err != nil {
				return err
			}
			t.Expires = e
		default:
			return fmt.Errorf("unknown field %q: use secret or expires", k.Value)
		}
	}
	return nil
}

// MarshalYAML writes the secret alone when the token never expires.
func (t Token) MarshalYAML() (any, error) {
	if t.Expires.IsZero() {
		return t.Secret, nil
	}
	return struct {
		Secret  string `yaml:"secret"`
		Expires string `yaml:"expires"`
	}{t.Secret, t.Expires.Format(time.RFC3339)}, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expires: %q is not a time: use 2026-12-31 or 2026-12-31T23:59:00Z", s)
}

// wantScalar fails unless n is a single value.
func wantScalar(n *yaml.Node, what string) error {
	if n.Kind == yaml.ScalarNode {
		return nil
	}
	return fmt.Errorf("%s where %s belongs", kindName(n), what)
}

// kindName says what a YAML node is, for errors.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "a value"
}
