package v4l2

import (
	"errors"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DeviceInfo describes a capture device: what it is and everything it offers.
type DeviceInfo struct {
	Path       string       `json:"path"`
	Capability Capability   `json:"capability"`
	Inputs     []Input      `json:"inputs"`
	Formats    []FormatInfo `json:"formats"`
	Controls   []Control    `json:"controls"`
}

// FormatInfo is a pixel format with its frame sizes.
type FormatInfo struct {
	FormatDesc
	Sizes []SizeInfo `json:"sizes"`
}

// SizeInfo is a frame size with its frame intervals. Intervals are listed
// for discrete sizes, and for the largest size of a range.
type SizeInfo struct {
	FrameSize
	Intervals []FrameInterval `json:"intervals"`
}

// Describe queries everything the device offers for video capture on its
// current input: capability, inputs, formats with sizes and intervals, and
// controls with current values.
func (d *Device) Describe() (DeviceInfo, error) {
	info := DeviceInfo{Path: d.path}
	var err error
	if info.Capability, err = d.Capability(); err != nil {
		return info, err
	}
	if info.Inputs, err = d.Inputs(); err != nil {
		return info, err
	}
	fmts, err := d.Formats(BufVideoCapture)
	if err != nil {
		return info, err
	}
	for _, f := range fmts {
		fi := FormatInfo{FormatDesc: f}
		sizes, err := d.FrameSizes(f.PixelFormat)
		if err != nil {
			return info, err
		}
		for _, s := range sizes {
			w, h := s.Width, s.Height
			if s.Type != FrmDiscrete {
				w, h = s.MaxWidth, s.MaxHeight
			}
			ivs, err := d.FrameIntervals(f.PixelFormat, w, h)
			if err != nil {
				return info, err
			}
			fi.Sizes = append(fi.Sizes, SizeInfo{FrameSize: s, Intervals: ivs})
		}
		info.Formats = append(info.Formats, fi)
	}
	info.Controls, err = d.Controls()
	return info, err
}

// CaptureDevices returns the paths of the /dev/video* nodes that do video
// capture with streaming, in numeric order. Nodes that cannot be opened or
// queried are left out; their errors are returned joined, next to the list.
func CaptureDevices() ([]string, error) {
	paths, _ := filepath.Glob("/dev/video*")
	num := func(p string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(p, "/dev/video"))
		if err != nil {
			return 1 << 30
		}
		return n
	}
	sort.Slice(paths, func(i, j int) bool { return num(paths[i]) < num(paths[j]) })
	var out []string
	var errs []error
	for _, p := range paths {
		d, err := Open(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := d.Capability()
		d.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.CanCapture() {
			out = append(out, p)
		}
	}
	return out, errors.Join(errs...)
}

// ListDevices describes every capture device (see CaptureDevices and
// Describe). Devices that fail are left out and their errors returned
// joined, next to the others.
func ListDevices() ([]DeviceInfo, error) {
	paths, err := CaptureDevices()
	errs := []error{err}
	var out []DeviceInfo
	for _, p := range paths {
		d, err := Open(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		info, err := d.Describe()
		d.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, info)
	}
	return out, errors.Join(errs...)
}
