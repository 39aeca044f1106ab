package v4l2src

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/framecast/framecast/internal/control"
	"github.com/framecast/framecast/pkg/v4l2"
)

// Devices describes every V4L2 capture device (see v4l2.ListDevices); devices
// that fail are left out and their errors returned, joined, with the rest.
func Devices() ([]v4l2.DeviceInfo, error) { return v4l2.ListDevices() }

// fpsList renders frame intervals as frame rates in the driver's order:
// "30, 15, 12.5 fps", or "1-30 fps" for a range.
func fpsList(ivs []v4l2.FrameInterval) string {
	if len(ivs) == 0 {
		return ""
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	var parts []string
	for _, iv := range ivs {
		if iv.Type == v4l2.FrmDiscrete {
			parts = append(parts, num(iv.Interval.FPS()))
			continue
		}
		parts = append(parts, num(iv.Max.FPS())+"-"+num(iv.Min.FPS()))
	}
	return strings.Join(parts, ", ") + " fps"
}

// WriteDeviceTable writes a readable listing of devices: each one's name,
// driver and bus, inputs, pixel formats with their sizes and frame rates,
// and controls with range, default, current value and menu entries.
func WriteDeviceTable(w io.Writer, devs []v4l2.DeviceInfo) error {
	if len(devs) == 0 {
		_, err := fmt.Fprintln(w, "no V4L2 capture devices")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, d := range devs {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		c := d.Capability
		fmt.Fprintf(tw, "%s\t%s (driver %s %s, %s)\n", d.Path, c.Card, c.Driver, c.VersionString(), c.BusInfo)
		for _, in := range d.Inputs {
			fmt.Fprintf(tw, "  input %d\t%s\n", in.Index, in.Name)
		}
		fmt.Fprintln(tw, "  formats:")
		for _, f := range d.Formats {
			kind := "raw"
			switch {
			case f.PixelFormat == v4l2.PixelH264:
				kind = "compressed; codec h264"
			case f.Compressed():
				kind = "compressed"
			}
			fmt.Fprintf(tw, "    %s\t%s (%s)\n", f.PixelFormat, f.Description, kind)
			for _, s := range f.Sizes {
				fmt.Fprintf(tw, "      %s\t%s\n", s.FrameSize, fpsList(s.Intervals))
			}
		}
		if len(d.Controls) > 0 {
			fmt.Fprintln(tw, "  controls:")
		}
		for _, ct := range d.Controls {
			val := "-"
			if ct.HasValue {
				val = strconv.Itoa(int(ct.Value))
			}
			line := fmt.Sprintf("    %s\t%s\t%d..%d", control.Key(ct.Name), ct.Type, ct.Min, ct.Max)
			if ct.Step > 1 {
				line += fmt.Sprintf(" step %d", ct.Step)
			}
			line += fmt.Sprintf("\tdefault %d\tvalue %s", ct.Default, val)
			var flags []string
			if ct.Flags&v4l2.CtrlFlagReadOnly != 0 {
				flags = append(flags, "read-only")
			}
			if ct.Flags&v4l2.CtrlFlagInactive != 0 {
				flags = append(flags, "inactive")
			}
			if len(flags) > 0 {
				line += " (" + strings.Join(flags, ", ") + ")"
			}
			if len(ct.Menu) > 0 {
				var items []string
				for _, m := range ct.Menu {
					if ct.Type == v4l2.CtrlIntegerMenu {
						items = append(items, fmt.Sprintf("%d: %d", m.Index, m.Value))
					} else {
						items = append(items, fmt.Sprintf("%d: %s", m.Index, m.Name))
					}
				}
				line += "\t" + strings.Join(items, ", ")
			}
			fmt.Fprintln(tw, line)
		}
	}
	return tw.Flush()
}

// WriteDeviceJSON writes devices as indented JSON (pixel formats as their
// four-character codes).
func WriteDeviceJSON(w io.Writer, devs []v4l2.DeviceInfo) error {
	if devs == nil {
		devs = []v4l2.DeviceInfo{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(devs)
}
