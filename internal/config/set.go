package config

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// EnvName is the environment variable of a setting: FRAMECAST_MAX_FRAME_SIZE
// for max-frame-size.
func EnvName(name string) string {
	return "FRAMECAST_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Env is the FRAMECAST_* variables of an environment (see Environ).
type Env struct {
	// File is FRAMECAST_CONFIG, the configuration file, or "".
	File   string
	values map[string]string // by setting name
}

// Environ picks the FRAMECAST_* variables out of environ, as os.Environ
// gives it: FRAMECAST_MAX_FRAME_SIZE sets max-frame-size, FRAMECAST_CONFIG
// names the file. A variable that names no setting is an error: it is most
// likely a typo.
func Environ(environ []string) (*Env, error) {
	e := &Env{values: map[string]string{}}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(k, "FRAMECAST_")
		if !ok {
			continue
		}
		if k == "FRAMECAST_CONFIG" {
			e.File = v
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(rest, "_", "-"))
		if lookup(name) == nil || k != EnvName(name) {
			return nil, &Error{Field: k, Msg: "not a framecast setting: each flag -some-name is FRAMECAST_SOME_NAME (see framecast -help)"}
		}
		e.values[name] = v
	}
	return e, nil
}

// Apply sets on c the settings of the variables, each named in errors by
// its variable. With several mistakes, the first in the order of the names
// is reported.
func (e *Env) Apply(c *Config) error {
	for _, name := range slices.Sorted(maps.Keys(e.values)) {
		if err := c.Set(name, e.values[name], EnvName(name)); err != nil {
			return err
		}
	}
	return nil
}

// Set overrides the setting name (a flag name such as "fps") with value;
// label ("-fps" or "FRAMECAST_FPS") names it in errors, from Set and from
// Validate. Camera settings apply to the default camera. The token setting
// is a comma-separated list.
func (c *Config) Set(name, value, label string) error {
	s := lookup(name)
	if s == nil {
		return &Error{Field: label, Msg: fmt.Sprintf("%q is not a setting", name)}
	}
	return c.assign(s, label, func(p any) error { return parse(p, value) })
}

// assign sets setting s of c with set, given a pointer to its field, and
// remembers label as where the value came from.
func (c *Config) assign(s *Setting, label string, set func(p any) error) error {
	if c.origins == nil {
		c.origins = map[string]origin{}
	}
	path := s.Key
	cam := &Camera{}
	if s.Camera {
		if len(c.Cameras) == 0 {
			c.Cameras = []Camera{DefaultCamera()}
		}
		i := c.DefaultIndex()
		cam = &c.Cameras[i]
		path = fmt.Sprintf("cameras[%d].%s", i, s.Key)
	}
	if err := set(s.field(c, cam)); err != nil {
		return &Error{Field: label, Msg: err.Error()}
	}
	c.origins[path] = origin{label: label}
	return nil
}

// Flags are the flags of the settings on one flag.FlagSet (see AddFlags).
type Flags struct {
	fs *flag.FlagSet
	// values holds what the flags were given, parsed into their fields.
	values Config
	cam    Camera
}

// AddFlags defines on fs a flag for every setting that has one, and returns
// them, to be applied with Apply once fs has parsed the command line.
func AddFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: *Default(), cam: DefaultCamera()}
	for i := range table {
		if s := &table[i]; s.Flag() {
			fs.Var(&flagValue{s, f}, s.Name, s.Help)
		}
	}
	return f
}

// Apply sets on c the settings whose flags were given, each named in
// errors by its flag.
func (f *Flags) Apply(c *Config) error {
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		v, ok := fl.Value.(*flagValue)
		if !ok || err != nil {
			return
		}
		err = c.assign(v.s, "-"+fl.Name, func(p any) error {
			// The value was parsed once, by the flag: copy it.
			reflect.ValueOf(p).Elem().Set(reflect.ValueOf(v.field()).Elem())
			return nil
		})
	})
	return err
}

// flagValue is the flag.Value of one setting.
type flagValue struct {
	s *Setting
	f *Flags
}

func (v *flagValue) field() any { return v.s.field(&v.f.values, &v.f.cam) }

func (v *flagValue) String() string {
	if v == nil || v.s == nil {
		return ""
	}
	return format(v.field())
}

func (v *flagValue) Set(s string) error { return parse(v.field(), s) }

func (v *flagValue) IsBoolFlag() bool {
	_, ok := v.field().(*bool)
	return ok
}

// WriteHelp writes the -help lines of the settings' flags, as
// flag.PrintDefaults would, in the order of the table: the top-level
// settings, then the camera settings under their heading.
func WriteHelp(w io.Writer) {
	camera := false
	for i := range table {
		s := &table[i]
		if !s.Flag() {
			continue
		}
		if s.Camera && !camera {
			camera = true
			fmt.Fprintf(w, "\nCamera settings (of the default camera; in the file, of each camera):\n")
		}
		fmt.Fprintf(w, "  -%s", s.Name)
		if arg := s.Arg(); arg != "" {
			fmt.Fprintf(w, " %s", arg)
		}
		fmt.Fprintf(w, "\n    \t%s", s.Text())
		if d := s.DefaultText(); d != "" {
			if _, ok := s.Default.(string); ok {
				d = strconv.Quote(d)
			}
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	}
}

// Text is Help without backquotes, followed by the values allowed: "frames
// per second (1 to 120)".
func (s *Setting) Text() string {
	text := strings.ReplaceAll(s.Help, "`", "")
	if a := s.Allowed(); a != "" {
		text += " (" + a + ")"
	}
	return text
}
