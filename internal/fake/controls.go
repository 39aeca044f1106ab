package fake

import (
	"context"
	"slices"
	"sync"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// ControlSource is a source with controls, as a V4L2 webcam has: it emits
// one frame and holds, and lists and sets its controls in memory. Turning
// its auto_exposure off (1, "Manual Mode") makes exposure_time_absolute
// active, as on a UVC camera.
type ControlSource struct {
	// Frame is the frame Run emits; nil means a 160x120 JPEG.
	Frame []byte
	// Err, when set, fails Controls and SetControl, as an unplugged device.
	Err error

	mu   sync.Mutex
	list []control.Control
	sets []string // names set, in order
}

func ptr(v int64) *int64 { return &v }

// NewControlSource returns a ControlSource with brightness (0..255, 128),
// contrast (0..100, step 5), horizontal_flip, power_line_frequency (menu:
// 0 Disabled, 1 50 Hz, 2 60 Hz), auto_exposure (menu: 1 Manual Mode, 3
// Aperture Priority Mode, on 3) and exposure_time_absolute (3..2047,
// inactive while auto_exposure is 3).
func NewControlSource() *ControlSource {
	return &ControlSource{list: []control.Control{
		{Name: "brightness", Label: "Brightness", ID: 0x00980900, Type: control.Integer, Max: 255, Step: 1, Default: 128, Value: ptr(128)},
		{Name: "contrast", Label: "Contrast", ID: 0x00980901, Type: control.Integer, Max: 100, Step: 5, Default: 50, Value: ptr(50)},
		{Name: "horizontal_flip", Label: "Horizontal Flip", ID: 0x00980914, Type: control.Boolean, Max: 1, Step: 1, Value: ptr(0)},
		{Name: "power_line_frequency", Label: "Power Line Frequency", ID: 0x00980918, Type: control.Menu, Max: 2, Default: 1, Value: ptr(1),
			Menu: []control.MenuItem{{Value: 0, Name: "Disabled"}, {Value: 1, Name: "50 Hz"}, {Value: 2, Name: "60 Hz"}}},
		{Name: "auto_exposure", Label: "Auto Exposure", ID: 0x009a0901, Type: control.Menu, Min: 1, Max: 3, Default: 3, Value: ptr(3),
			Menu: []control.MenuItem{{Value: 1, Name: "Manual Mode"}, {Value: 3, Name: "Aperture Priority Mode"}}},
		{Name: "exposure_time_absolute", Label: "Exposure Time, Absolute", ID: 0x009a0902, Type: control.Integer, Min: 3, Max: 2047, Step: 1,
			Default: 250, Value: ptr(250), Inactive: true},
	}}
}

// Run emits Frame once and waits for ctx.
func (s *ControlSource) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	f := s.Frame
	if f == nil {
		f = JPEG(160, 120, 0)
	}
	emit(mjpeg.Frame{Data: f})
	<-ctx.Done()
	return nil
}

// Controls returns a copy of the controls.
func (s *ControlSource) Controls() ([]control.Control, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	out := slices.Clone(s.list)
	for i, c := range out {
		if c.Value != nil {
			out[i].Value = ptr(*c.Value)
		}
	}
	return out, nil
}

// SetControl checks and sets one control.
func (s *ControlSource) SetControl(name string, value int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	c, err := control.Find(s.list, name)
	if err != nil {
		return err
	}
	if err := c.Check(value); err != nil {
		return err
	}
	for i := range s.list {
		switch s.list[i].Name {
		case c.Name:
			s.list[i].Value = ptr(value)
		case "exposure_time_absolute":
			if c.Name == "auto_exposure" {
				s.list[i].Inactive = value != 1
			}
		}
	}
	s.sets = append(s.sets, c.Name)
	return nil
}

// Sets returns the names of the controls set so far, in order.
func (s *ControlSource) Sets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sets)
}
