package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/framecast/framecast/internal/source/v4l2src"
)

// listDevices lists the V4L2 capture devices; tests replace it.
var listDevices = v4l2src.Devices

// devices is framecast devices [--json]: every V4L2 capture device with its
// inputs, formats, sizes, frame rates and controls, as a table or as JSON.
// Devices that cannot be queried are named on stderr; the exit status is 1
// when some could not be and none could.
func (a *app) devices(args []string) int {
	fs := flag.NewFlagSet("framecast devices", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(a.stderr, "usage: framecast devices [-json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "framecast devices: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	devs, listErr := listDevices()
	if listErr != nil {
		var many interface{ Unwrap() []error }
		errs := []error{listErr}
		if errors.As(listErr, &many) {
			errs = many.Unwrap()
		}
		for _, e := range errs {
			fmt.Fprintln(a.stderr, "framecast devices:", e)
		}
	}
	var err error
	if *asJSON {
		err = v4l2src.WriteDeviceJSON(a.stdout, devs)
	} else {
		err = v4l2src.WriteDeviceTable(a.stdout, devs)
		if len(devs) > 0 {
			fmt.Fprintln(a.stdout, "\nUse a device as -source v4l2:PATH; set controls under controls: in the configuration file or with POST /api/cameras/NAME/controls.")
		}
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "framecast devices:", err)
		return 1
	}
	if len(devs) == 0 && !*asJSON {
		fmt.Fprintln(a.stderr, "framecast devices: no /dev/video* node captures video: is the camera plugged in (lsusb), its driver loaded (uvcvideo), and the user in the video group?")
	}
	if len(devs) == 0 && listErr != nil {
		return 1
	}
	return 0
}
