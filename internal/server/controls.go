package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/internal/hub"
)

// Limits of a controls POST.
const (
	// MaxControlsBody is the largest body a controls POST may send.
	MaxControlsBody = 16 << 10
	// controlsBodyTimeout bounds how long the body may take to arrive.
	controlsBodyTimeout = 10 * time.Second
)

// takesBody reports whether r is a kind of request that sends a body: a
// POST of camera controls, or a WHEP offer. Their handlers read the body
// only after auth, under a deadline and a size cap.
func takesBody(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == http.MethodPost && (strings.HasPrefix(p, "/api/cameras/") && strings.HasSuffix(p, "/controls") || whepOffer(p))
}

// controlsRoute resolves /api/cameras/{name}/controls to its hub and its
// controller, behind basic auth (a ?token= opens streams only, never this).
func (s *Server) controlsRoute(fn func(http.ResponseWriter, *http.Request, *hub.Hub, control.Controller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if !s.allowBody(w, r, nil, controlsBodyTimeout) {
				return
			}
		} else if !s.allow(w, r, nil) {
			return
		}
		name := r.PathValue("name")
		var h *hub.Hub
		for _, c := range s.Cameras {
			if c.Name() == name {
				h = c
			}
		}
		if h == nil {
			httpError(w, http.StatusNotFound, "no camera named "+strconv.Quote(name))
			return
		}
		c, ok := control.For(h.Source())
		if !ok {
			httpError(w, http.StatusConflict, fmt.Sprintf("camera %q (%s) has no controls", name, h.Describe()))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		fn(w, r, h, c)
	}
}

// getControls answers the camera's controls as a JSON list.
func (s *Server) getControls(w http.ResponseWriter, r *http.Request, h *hub.Hub, c control.Controller) {
	list, err := c.Controls()
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("camera %q: controls: %v", h.Name(), err))
		return
	}
	writeControls(w, list)
}

func writeControls(w http.ResponseWriter, list []control.Control) {
	if list == nil {
		list = []control.Control{}
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(list)
}

// postControls sets controls from a JSON object ({"brightness": 140}) or
// form values (brightness=140), all checked before any is set, automatic
// modes first; it answers the new list.
func (s *Server) postControls(w http.ResponseWriter, r *http.Request, h *hub.Hub, c control.Controller) {
	cop := http.NewCrossOriginProtection()
	if s.AllowOrigin != "" && s.AllowOrigin != "*" {
		cop.AddTrustedOrigin(s.AllowOrigin)
	}
	// A browser holding the password must not be made to post from another
	// site's page.
	if err := cop.Check(r); err != nil {
		httpError(w, http.StatusForbidden, "controls: "+err.Error())
		return
	}
	want, err := readControlValues(w, r)
	if err != nil {
		code := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
		}
		httpError(w, code, "controls: "+err.Error())
		return
	}
	list, err := c.Controls()
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("camera %q: controls: %v", h.Name(), err))
		return
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	names = control.Order(names)
	// Turning an automatic mode off in the same request makes its manual
	// values settable: those are checked for range only, and the device
	// has the last word when they are set.
	auto := false
	for _, n := range names {
		auto = auto || control.IsAuto(n)
	}
	values := make([]int64, len(names))
	var bad []string
	for i, n := range names {
		ct, err := control.Find(list, n)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		names[i] = ct.Name
		v, err := controlValue(ct, want[n])
		if err == nil {
			if auto {
				ct.Inactive = false
			}
			err = ct.Check(v)
		}
		if err != nil {
			bad = append(bad, err.Error())
		}
		values[i] = v
	}
	if len(bad) > 0 {
		httpError(w, http.StatusBadRequest, strings.Join(bad, "\n")+"\nnothing was set")
		return
	}
	for i, n := range names {
		if err := c.SetControl(n, values[i]); err != nil {
			code := http.StatusServiceUnavailable
			var ce *control.Error
			if errors.As(err, &ce) {
				code = http.StatusBadRequest
			}
			msg := err.Error()
			if i > 0 {
				msg += "\nset before it: " + strings.Join(names[:i], ", ")
			}
			httpError(w, code, msg)
			return
		}
		s.Logger.Info("control set", "camera", h.Name(), "control", n, "value", values[i], "client", r.RemoteAddr)
	}
	list, err = c.Controls()
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("camera %q: controls were set; listing them again: %v", h.Name(), err))
		return
	}
	writeControls(w, list)
}

// readControlValues reads the wanted values: name → a JSON number or
// boolean, or a form value (an integer, true/false, or a menu entry's name).
// A name given twice is refused.
func readControlValues(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxControlsBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	out := map[string]string{}
	add := func(name, value string) error {
		if _, dup := out[name]; dup {
			return fmt.Errorf("control %q given twice", name)
		}
		out[name] = value
		return nil
	}
	switch {
	case ct == "application/json" || (ct == "" && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))):
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		t, err := dec.Token()
		if d, ok := t.(json.Delim); err != nil || !ok || d != '{' {
			return nil, errors.New(`want a JSON object such as {"brightness": 140}`)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("bad JSON: %v", err)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, fmt.Errorf("bad JSON: %v", err)
			}
			var s string
			switch v := v.(type) {
			case json.Number:
				s = v.String()
			case bool:
				s = strconv.FormatBool(v)
			case string:
				s = v
			default:
				return nil, fmt.Errorf("control %q: want a number, true/false or a menu entry's name", k)
			}
			if err := add(k.(string), s); err != nil {
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("bad JSON: %v", err)
		}
		if dec.More() {
			return nil, errors.New("bad JSON: data after the object")
		}
	case ct == "application/x-www-form-urlencoded" || ct == "" || ct == "text/plain":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("bad form: %v", err)
		}
		// curl -X POST '...?brightness=140' sends the values in the query.
		q, _ := url.ParseQuery(r.URL.RawQuery)
		for k, vs := range q {
			form[k] = append(form[k], vs...)
		}
		for k, vs := range form {
			if len(vs) > 1 {
				return nil, fmt.Errorf("control %q given twice", k)
			}
			if err := add(k, vs[0]); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("content type %q: send application/json or form values", ct)
	}
	if len(out) == 0 {
		return nil, errors.New(`no controls given: send JSON such as {"brightness": 140} or form values such as brightness=140`)
	}
	return out, nil
}

// controlValue turns a wanted value into c's number: an integer, true or
// false, or the name of one of c's menu entries.
func controlValue(c control.Control, s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	switch strings.ToLower(s) {
	case "true", "on":
		return 1, nil
	case "false", "off":
		return 0, nil
	}
	for _, m := range c.Menu {
		if strings.EqualFold(m.Name, s) {
			return m.Value, nil
		}
	}
	return 0, &control.Error{Name: c.Name, Msg: fmt.Sprintf("%q is not a whole number, true/false or one of its menu entries", s)}
}
