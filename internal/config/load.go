package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest configuration file Load reads.
const MaxFileSize = 1 << 20

// Error is one bad configuration value: where it came from and what is
// wrong with it, with the values allowed.
type Error struct {
	// File and Line locate the value in a configuration file; File is empty
	// for a value from a flag, the environment or the defaults, and Line is
	// 0 when the error concerns the whole file.
	File string
	Line int
	// Field names the value: its path in the file ("cameras[1].fps"), or
	// the flag ("-fps") or environment variable ("FRAMECAST_FPS") that set it.
	Field string
	// Msg says what is wrong and what is allowed.
	Msg string
}

// Error writes "file:line: field: msg", leaving out the parts not known.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// origin is where one value came from: a file line, or a flag or variable.
type origin struct {
	file  string
	line  int
	label string // "-fps" or "FRAMECAST_FPS"
	// bad marks a value of the file that could not be read: it was left
	// out, and its mistake already reported.
	bad bool
}

// Errorf returns the error for the value at path ("cameras[1].source"):
// named by the flag or environment variable that set it, or located in the
// file by the value's line or, for a value the file left out, by its
// nearest ancestor's line.
func (c *Config) Errorf(path, format string, args ...any) *Error {
	e := &Error{Field: path, Msg: fmt.Sprintf(format, args...)}
	if o, ok := c.origins[path]; ok && o.label != "" {
		e.Field = o.label
		return e
	}
	for p := path; p != ""; p = parentPath(p) {
		if o, ok := c.origins[p]; ok && o.file != "" {
			e.File, e.Line = o.file, o.line
			break
		}
	}
	return e
}

// lineOf returns the file line of the value at path, or 0.
func (c *Config) lineOf(path string) int {
	return c.origins[path].line
}

// parentPath drops the last element of a path: cameras[1].fps → cameras[1]
// → cameras → "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// Load reads the configuration file at path. Values the file leaves out
// get their defaults; a file without cameras gets the one default camera.
// Load fails only on a file it cannot read at all; a key or value it cannot
// read is left out and reported by Validate, with every other mistake:
// apply overrides with Set, then call Validate.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Msg: "cannot read the config file: " + unwrapPathError(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + unwrapPathError(err)}
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: path, Msg: "the file is larger than 1MiB; is it the right file?"}
	}
	return Parse(path, data)
}

// unwrapPathError words an os error as "open x: no such file or directory".
func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + " " + pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Parse reads a configuration from data; name names it in errors. Like
// Load, it fails only on data it cannot read at all, and leaves the rest
// of the mistakes to Validate.
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	c.Cameras = nil
	c.origins = map[string]origin{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		c.Cameras = []Camera{DefaultCamera()}
		return c, nil
	}
	root := doc.Content[0]
	w := walker{file: name, origins: c.origins}
	if !w.walk(root, reflect.TypeFor[Config](), "", 0) {
		return nil, errors.Join(w.errs...)
	}
	// The walk has checked every key and value, and left out those it
	// could not read; the library's decoder now fills the struct.
	if err := doc.Decode(c); err != nil {
		return nil, &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c.fileErrs = w.errs
	if o, ok := c.origins["cameras"]; !ok || o.bad {
		c.Cameras = []Camera{DefaultCamera()}
	}
	for i := range c.Cameras {
		c.fillCamera(i)
		// An empty list or mapping means none, as an absent one does.
		cam := &c.Cameras[i]
		if len(cam.Tokens) == 0 {
			cam.Tokens = nil
		}
		if len(cam.SourceArgs) == 0 {
			cam.SourceArgs = nil
		}
		if len(cam.Controls) == 0 {
			cam.Controls = nil
		}
	}
	if len(c.Users) == 0 {
		c.Users = nil
	}
	return c, nil
}

// fillCamera gives camera i the default of every field the file left out.
func (c *Config) fillCamera(i int) {
	def := reflect.ValueOf(DefaultCamera())
	cam := reflect.ValueOf(&c.Cameras[i]).Elem()
	t := cam.Type()
	for f := range t.NumField() {
		key := yamlKey(t.Field(f))
		if key == "" {
			continue
		}
		if o, ok := c.origins[fmt.Sprintf("cameras[%d].%s", i, key)]; !ok || o.bad {
			cam.Field(f).Set(def.Field(f))
		}
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError words a YAML parser error as "file:line: bad YAML: ...".
func syntaxError(name string, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: "bad YAML: " + m[2]}
	}
	return &Error{File: name, Msg: "bad YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// yamlKey is a struct field's key in the file, or "" if it has none.
func yamlKey(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// walker checks a YAML tree against the Go type it decodes into, so that
// each mistake is reported with its line, its field path and what the
// field allows, and records where every value is.
type walker struct {
	file    string
	origins map[string]origin
	errs    []error
}

// maxErrors stops the walk from listing more mistakes than anyone reads.
const maxErrors = 20

func (w *walker) fail(n *yaml.Node, path, format string, args ...any) {
	if len(w.errs) < maxErrors {
		w.errs = append(w.errs, &Error{File: w.file, Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)})
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// walk checks node n, found at path, against type t, and reports whether
// n can be read: the mapping holding a value that cannot be read leaves it
// out (a list cannot, without renumbering the items after it). depth bounds
// the aliases followed.
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string, depth int) bool {
	if n.Kind == yaml.AliasNode {
		if depth > 8 || n.Alias == nil {
			w.fail(n, path, "aliases nest too deep")
			return false
		}
		return w.walk(n.Alias, t, path, depth+1)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		// YAML would zero the field, which is rarely what an empty line means.
		w.fail(n, path, "no value: give one, or leave the line out for the default")
		return false
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		v := reflect.New(t)
		if err := n.Decode(v.Interface()); err != nil {
			w.fail(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			return false
		}
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		return w.mapping(n, t, path, depth)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.fail(n, path, "%s where a list belongs (start each item with \"- \")", kindName(n))
			return false
		}
		ok := true
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			w.origins[p] = origin{file: w.file, line: item.Line}
			if !w.walk(item, t.Elem(), p, depth) {
				ok = false
			}
		}
		return ok
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.fail(n, path, "%s where a mapping of names to values belongs", kindName(n))
			return false
		}
		w.pairs(n, path, func(k *yaml.Node) (reflect.Type, bool) { return t.Elem(), true }, depth)
		return true
	case reflect.String, reflect.Int, reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			w.fail(n, path, "%s where %s belongs", kindName(n), scalarName(t))
			return false
		}
		err := n.Decode(reflect.New(t).Interface())
		if t.Kind() == reflect.Int && n.ShortTag() != "!!int" {
			// YAML would truncate 29.97 to 29 without a word.
			err = errors.New("not an int")
		}
		if err != nil {
			switch t.Kind() {
			case reflect.Int:
				w.fail(n, path, "%q is not a whole number", n.Value)
			case reflect.Bool:
				w.fail(n, path, "%q is not true or false", n.Value)
			default:
				w.fail(n, path, "%q is not text", n.Value)
			}
			return false
		}
		return true
	}
	w.fail(n, path, "cannot be set in the file")
	return false
}

// mapping checks a YAML mapping against struct type t.
func (w *walker) mapping(n *yaml.Node, t reflect.Type, path string, depth int) bool {
	what := "settings"
	if path != "" {
		what = path
	}
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "%s where a mapping of %s belongs", kindName(n), what)
		return false
	}
	fields, names := keysOf(t)
	w.pairs(n, path, func(k *yaml.Node) (reflect.Type, bool) {
		ft, ok := fields[k.Value]
		if !ok {
			hint := ""
			if near := nearest(k.Value, names); near != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", near)
			}
			if _, cam := keysOf(reflect.TypeFor[Camera]()); t == reflect.TypeFor[Config]() && slices.Contains(cam, k.Value) {
				hint = " (a camera's key: put it under cameras)"
			}
			w.fail(k, path, "unknown field %q%s: use one of %s", k.Value, hint, strings.Join(names, ", "))
		}
		return ft, ok
	}, depth)
	return true
}

// pairs checks the pairs of mapping n, found at path, whose values are of
// the type typeOf gives for their key. It leaves out of n the pairs it
// cannot read: an unknown key (typeOf says so), a key set twice, a value
// that cannot be read, so that the rest can be read and checked.
func (w *walker) pairs(n *yaml.Node, path string, typeOf func(k *yaml.Node) (reflect.Type, bool), depth int) {
	kept := make([]*yaml.Node, 0, len(n.Content))
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := k.Value
		if path != "" {
			p = path + "." + k.Value
		}
		t, ok := typeOf(k)
		if !ok {
			continue
		}
		if first, ok := seen[k.Value]; ok {
			w.fail(k, p, "set twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		w.origins[p] = origin{file: w.file, line: k.Line}
		if !w.walk(v, t, p, depth) {
			w.origins[p] = origin{file: w.file, line: k.Line, bad: true}
			continue
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
}

// keysOf returns the keys of struct type t and the type of each: for
// Config and Camera those of the table, in its order, else the struct's.
func keysOf(t reflect.Type) (map[string]reflect.Type, []string) {
	fields := map[string]reflect.Type{}
	var names []string
	byTag := map[string]reflect.Type{}
	for i := range t.NumField() {
		if key := yamlKey(t.Field(i)); key != "" {
			byTag[key] = t.Field(i).Type
			names = append(names, key)
		}
	}
	camera := t == reflect.TypeFor[Camera]()
	if t != reflect.TypeFor[Config]() && !camera {
		return byTag, names
	}
	names = names[:0]
	for i := range table {
		s := &table[i]
		key, _, _ := strings.Cut(s.Key, ".") // tls.cert is under tls
		if s.Camera != camera || fields[key] != nil {
			continue
		}
		fields[key] = byTag[key]
		names = append(names, key)
	}
	return fields, names
}

// nearest returns the name closest to s if it is within two edits (a typo),
// or "".
func nearest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, for short names.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalarName says what kind of value a type takes, for errors.
func scalarName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	}
	return "text"
}
