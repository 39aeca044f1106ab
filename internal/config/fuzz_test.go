package config_test

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/framecast/framecast/internal/config"
)

// FuzzLoad feeds the loader arbitrary files: it must never panic, every
// error must be a located *config.Error, and a file that passes must print
// (as -print-config does) to a file that loads back the same.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",
		"listen: :8080\n",
		"cameras:\n  - name: a\n    size: 320x240\n    fps: 5\n  - name: b\n    default: true\n",
		"cameras:\n  - &c {name: a, tokens: [0123456789abcdef]}\n  - *c\n",
		"cameras:\n  - controls: {brightness: 3}\n    source_args: [-x, '1']\n    max_frame_size: 2MiB\n",
		"cameras:\n  - tokens:\n      - secret: abcdefghijklmnopq\n        expires: 2030-01-01\n",
		"users:\n  - {name: a, password_hash: '" + hash + "'}\npublic_status: true\n",
		"cameras: [\n",
		"a: &a [*a]\n",
		"cameras:\n  - idle_timeout: 1h\n    stall_timeout: 90s\n    rotation: 180\n    hflip: true\n",
		"listen: \"[::1]:0\"\nallow_origin: '*'\nmax_viewers: 3\n",
		"cameras:\n  - name: a\n    fsp: 30\n    quality: 500\n  - name: a\n",
		"fps: 3\ncameras:\n  - &c {name: [a], size: big, controls: {x: y}}\n  - *c\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse("f.yaml", data)
		if err != nil {
			checkErrors(t, err)
			return
		}
		// Certificates are read from disk; a fuzzed path could name a device.
		cfg.TLS = config.TLS{}
		if err := cfg.Validate(); err != nil {
			checkErrors(t, err)
			return
		}
		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := config.Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("printed config does not load: %v\n%s", err, out)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("printed config does not validate: %v\n%s", err, out)
		}
		if !sameConfig(cfg, again) {
			t.Fatalf("printed config loads differently:\n%s", out)
		}
	})
}

// checkErrors fails unless err is made of *config.Error values.
func checkErrors(t *testing.T, err error) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ce *config.Error
		if !errors.As(e, &ce) || ce.Msg == "" {
			t.Fatalf("%T %v is not a *config.Error", e, e)
		}
	}
}
