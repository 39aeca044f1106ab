//go:build v4l2guest

package v4l2src

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain runs the tests as usual, except as PID 1 inside the VM that
// TestVM boots: there it is the whole userland (see guestInit).
func TestMain(m *testing.M) {
	if os.Getpid() == 1 {
		guestInit(m)
	}
	os.Exit(m.Run())
}

// guestInit is /init of the test VM: it mounts the kernel's file systems,
// brings up lo, loads the modules listed in /modules.txt, waits for the
// device nodes named by FCTEST_NODES, runs the tests selected by
// FCTEST_RUN=regexp (both from the kernel command line, which passes them
// on as environment variables) and hands the verdict to qemu through the isa-debug-exit port:
// qemu then exits with 33 for a pass and 35 for a failure.
func guestInit(m *testing.M) {
	fmt.Println() // the BIOS leaves escape codes on the first console line
	code := 1
	defer func() {
		fmt.Printf("GUEST-TEST-EXIT %d\n", code)
		// Let the serial line send everything before qemu exits (tcdrain).
		unix.IoctlSetInt(1, unix.TCSBRK, 1)
		if f, err := os.OpenFile("/dev/port", os.O_WRONLY, 0); err == nil {
			v := byte(0x10)
			if code != 0 {
				v = 0x11
			}
			f.WriteAt([]byte{v}, 0xf4)
			f.Close()
		}
		unix.Sync()
		unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	}()
	for _, mt := range []struct{ fs, dir string }{{"proc", "/proc"}, {"sysfs", "/sys"}, {"devtmpfs", "/dev"}} {
		os.MkdirAll(mt.dir, 0o755)
		if err := unix.Mount(mt.fs, mt.dir, mt.fs, 0, ""); err != nil {
			fmt.Printf("guest: mount %s: %v\n", mt.dir, err)
			return
		}
	}
	if err := loopbackUp(); err != nil {
		fmt.Printf("guest: bringing up lo: %v\n", err)
		return
	}
	if err := loadModules("/modules.txt"); err != nil {
		fmt.Printf("guest: %v\n", err)
		return
	}
	// Device nodes appear in devtmpfs shortly after the driver registers
	// (later on a busy host): wait for the ones TestVM names, for a minute
	// at most, as a safety net.
	for _, node := range strings.Split(os.Getenv("FCTEST_NODES"), ",") {
		for i := 0; node != "" && i < 3000; i++ {
			if _, err := os.Stat(node); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The tests run in a child process, so that a panic is reported as a
	// failure instead of killing init.
	args := []string{"-test.v", "-test.count=1"}
	if r := os.Getenv("FCTEST_RUN"); r != "" {
		args = append(args, "-test.run="+r)
	}
	cmd := exec.Command("/init", args...)
	cmd.Env = append(os.Environ(), "V4L2_REQUIRE_DEVICE=1", "TMPDIR=/tmp")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Printf("guest: tests: %v\n", err)
		return
	}
	code = 0
}

// loopbackUp brings up the loopback interface, which nobody else does in
// the VM, so the whole-stack tests can serve on 127.0.0.1 (the kernel gives
// lo that address when it comes up).
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// loadModules loads kernel modules in the order listed, one per line: a
// path, then the module's parameters.
func loadModules(list string) error {
	f, err := os.Open(list)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		path, params, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if path == "" {
			continue
		}
		ko, err := os.Open(path)
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(ko.Fd()), params, 0)
		ko.Close()
		if err != nil && err != unix.EEXIST {
			return fmt.Errorf("loading %s: %w", path, err)
		}
	}
	return sc.Err()
}
