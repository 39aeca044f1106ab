package config_test

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/config"
)

var update = flag.Bool("update", false, "rewrite README's settings tables from the table of settings")

const (
	readme     = "../../README.md"
	tableStart = "<!-- settings: made from internal/config's table by go test ./internal/config -update; edit the table, not this -->\n"
	tableEnd   = "<!-- end of settings -->\n"
)

// settingsTables writes the table of settings as README's two tables: the
// top-level settings, then the camera settings.
func settingsTables() string {
	var b strings.Builder
	b.WriteString("\n")
	for _, camera := range []bool{false, true} {
		if camera {
			b.WriteString("\nCamera settings: in the file, keys of each camera; as flags and variables, the default camera's.\n\n")
		}
		b.WriteString("| flag | key | default | what |\n|---|---|---|---|\n")
		for _, s := range config.Settings() {
			if s.Camera != camera {
				continue
			}
			name, def := "(file only)", ""
			if s.Flag() {
				name = "`-" + s.Name + "`"
			}
			if d := s.DefaultText(); d != "" {
				def = "`" + d + "`"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", name, s.Key, def, strings.ReplaceAll(s.Text(), "*", `\*`))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// README's tables of settings are made from the table; -update rewrites
// them.
func TestREADMESettings(t *testing.T) {
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i, j := strings.Index(text, tableStart), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README lacks the markers %q and %q", tableStart, tableEnd)
	}
	want := text[:i+len(tableStart)] + settingsTables() + text[j:]
	if *update {
		if err := os.WriteFile(readme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if text != want {
		t.Errorf("README's settings tables differ from the table: run go test ./internal/config -update")
	}
}

// The yaml keys of Config and Camera, which the YAML library reads and
// -print-config writes, are the table's keys in the table's order.
func TestTableKeysAreTheFieldKeys(t *testing.T) {
	tags := func(t reflect.Type) []string {
		var keys []string
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				keys = append(keys, name)
			}
		}
		return keys
	}
	var top, cam []string
	for _, s := range config.Settings() {
		key, sub, nested := strings.Cut(s.Key, ".")
		switch {
		case s.Camera:
			if nested && !strings.Contains(strings.Join(tags(reflect.TypeFor[config.Record]()), " "), sub) {
				t.Errorf("%s: no such key", s.Key)
			}
			if !nested || len(cam) == 0 || cam[len(cam)-1] != key {
				cam = append(cam, key)
			}
		case nested:
			if !reflect.DeepEqual(key, "tls") || !strings.Contains(strings.Join(tags(reflect.TypeFor[config.TLS]()), " "), sub) {
				t.Errorf("%s: no such key", s.Key)
			}
			if len(top) == 0 || top[len(top)-1] != key {
				top = append(top, key)
			}
		default:
			top = append(top, key)
		}
	}
	if got := tags(reflect.TypeFor[config.Config]()); !reflect.DeepEqual(got, top) {
		t.Errorf("Config's keys\n%q\nthe table's\n%q", got, top)
	}
	if got := tags(reflect.TypeFor[config.Camera]()); !reflect.DeepEqual(got, cam) {
		t.Errorf("Camera's keys\n%q\nthe table's\n%q", got, cam)
	}
}

// Every default is of its field's type and passes its own rule.
func TestDefaultsAreValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range config.Settings() {
		if s.Flag() && seen[s.Name] {
			t.Errorf("flag -%s twice", s.Name)
		}
		seen[s.Name] = true
		if s.Help == "" || s.Key == "" {
			t.Errorf("%+v lacks help or key", s)
		}
	}
}

// deploy/framecast.yaml shows every key of the table, set or commented
// out, and loads; with every commented key set, it still reads.
func TestExampleFile(t *testing.T) {
	const example = "../../deploy/framecast.yaml"
	cfg, err := config.Load(example)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^ *#? *(?:- )?([a-z0-9_]+):`).FindAllStringSubmatch(string(data), -1) {
		keys[m[1]] = true
	}
	for _, s := range config.Settings() {
		for _, k := range strings.Split(s.Key, ".") {
			if !keys[k] {
				t.Errorf("%s lacks %s (of %s)", example, k, s.Key)
			}
		}
	}
	all := regexp.MustCompile(`(?m)^( *)#(  +)?(\S)`).ReplaceAllString(string(data), "${1}${2}${3}")
	cfg, err = config.Parse("uncommented", []byte(all))
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			// The certificate files and the hash are placeholders.
			if !strings.Contains(line, "tls.cert:") && !strings.Contains(line, "password_hash:") {
				t.Errorf("with every key set: %s", line)
			}
		}
	}
}

// README names every key of the file.
func TestREADMEKeys(t *testing.T) {
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.Settings() {
		if !strings.Contains(string(data), "`"+s.Key+"`") {
			t.Errorf("README lacks the key %s", s.Key)
		}
	}
}
