// Package auto picks the camera to use when none is named: a Raspberry Pi
// camera when rpicam-vid (or libcamera-vid) lists one, else the first V4L2
// capture device (a USB webcam, an HDMI grabber), else the test pattern.
// It only chooses; the caller builds the source and logs the reason.
package auto

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/framecast/framecast/internal/source/rpicam"
	"github.com/framecast/framecast/pkg/v4l2"
)

// Kind is the kind of source chosen.
type Kind string

// The kinds Choose picks from, in order of preference.
const (
	Rpicam      Kind = "rpicam"
	V4L2        Kind = "v4l2"
	TestPattern Kind = "testpattern"
)

// Choice is what Choose picked, and why.
type Choice struct {
	// Kind is the source kind.
	Kind Kind
	// Program is the capture program's path, for Rpicam.
	Program string
	// Device is the device node, for V4L2.
	Device string
	// Reason says in a sentence why this kind was picked and the others
	// were not, for the log.
	Reason string
}

// Device is a V4L2 capture device as Probe lists it.
type Device struct {
	// Path is the device node, such as /dev/video0.
	Path string
	// Driver is the kernel driver, such as "uvcvideo".
	Driver string
	// Card is the device's name.
	Card string
}

// Probe finds cameras. Its zero value looks at the real system; tests
// replace the functions.
type Probe struct {
	// FindRpicam returns the rpicam-vid or libcamera-vid path; nil means
	// rpicam.Find.
	FindRpicam func() (string, error)
	// ListRpicam lists the cameras program sees; nil means rpicam.ListCameras.
	ListRpicam func(ctx context.Context, program string) ([]rpicam.Camera, error)
	// ListV4L2 lists the V4L2 capture devices; nil means the /dev/video*
	// nodes that capture and stream (v4l2.CaptureDevices).
	ListV4L2 func() ([]Device, error)
}

// piCameraDrivers drive the Raspberry Pi's CSI receivers and ISPs: their
// nodes give raw Bayer data that only libcamera (rpicam-vid) can turn into
// pictures, so they are no webcam.
var piCameraDrivers = map[string]bool{"unicam": true, "rp1-cfe": true, "bcm2835-isp": true, "pispbe": true, "bcm2835-codec": true}

// Choose picks the source for camera number index of its kind (the rpicam
// camera index; V4L2 devices are taken in order).
func (p Probe) Choose(ctx context.Context, index int) Choice {
	var why []string

	findRpicam := p.FindRpicam
	if findRpicam == nil {
		findRpicam = rpicam.Find
	}
	listRpicam := p.ListRpicam
	if listRpicam == nil {
		listRpicam = rpicam.ListCameras
	}
	if prog, err := findRpicam(); err != nil {
		why = append(why, "rpicam-vid and libcamera-vid are not installed")
	} else if cams, err := listRpicam(ctx, prog); err != nil {
		why = append(why, err.Error())
	} else if index >= len(cams) {
		if len(cams) == 0 {
			why = append(why, filepath.Base(prog)+" lists no camera")
		} else {
			why = append(why, fmt.Sprintf("%s lists %d camera(s), none with index %d", filepath.Base(prog), len(cams), index))
		}
	} else {
		c := cams[index]
		return Choice{Kind: Rpicam, Program: prog,
			Reason: fmt.Sprintf("%s lists camera %d: %s [%s]", filepath.Base(prog), c.Index, c.Model, c.Info)}
	}

	listV4L2 := p.ListV4L2
	if listV4L2 == nil {
		listV4L2 = captureDevices
	}
	devs, err := listV4L2()
	var usable []Device
	for _, d := range devs {
		if !piCameraDrivers[d.Driver] {
			usable = append(usable, d)
		}
	}
	switch {
	case index < len(usable):
		d := usable[index]
		return Choice{Kind: V4L2, Device: d.Path,
			Reason: fmt.Sprintf("%s; V4L2 capture device %s is %q (%s)", strings.Join(why, "; "), d.Path, d.Card, d.Driver)}
	case len(usable) > 0:
		why = append(why, fmt.Sprintf("%d V4L2 capture device(s), none with index %d", len(usable), index))
	case err != nil:
		why = append(why, fmt.Sprintf("no usable V4L2 capture device (%v)", err))
	default:
		why = append(why, "no V4L2 capture device")
	}
	return Choice{Kind: TestPattern, Reason: strings.Join(why, "; ") + ": showing the test pattern"}
}

// captureDevices lists the V4L2 nodes that capture and stream.
func captureDevices() ([]Device, error) {
	paths, err := v4l2.CaptureDevices()
	var out []Device
	for _, p := range paths {
		d := Device{Path: p}
		if dev, err := v4l2.Open(p); err == nil {
			if c, err := dev.Capability(); err == nil {
				d.Driver, d.Card = c.Driver, c.Card
			}
			dev.Close()
		}
		out = append(out, d)
	}
	return out, err
}
