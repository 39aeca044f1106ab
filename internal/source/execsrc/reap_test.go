package execsrc_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/source/execsrc"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// childState returns the state letter of pid if it is a child of this
// process ("" when it is not, or is gone).
func childState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	f := bytes.Fields(b[bytes.LastIndexByte(b, ')')+1:])
	if len(f) < 2 || string(f[1]) != strconv.Itoa(os.Getpid()) {
		return ""
	}
	return string(f[0])
}

// A command that starts a daemon with setsid and exits, run again and
// again: every daemon leaves the command's process group, is re-parented to
// this process (a subreaper, see TestMain) and is reaped when it exits, so
// no zombie is left; meanwhile the exit status of every command, of Run's
// and of plain os/exec ones, reaches its owner.
func TestSetsidOrphansReaped(t *testing.T) {
	dir := t.TempDir()
	log, _ := testLogger()
	var pids []int
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range 8 {
		// Commands of other packages run meanwhile (rpicam's --list-cameras).
		wg.Go(func() {
			err := exec.Command("sh", "-c", "exit 7").Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
				t.Errorf("os/exec command: %v, want exit status 7", err)
			}
		})
		pidFile := filepath.Join(dir, strconv.Itoa(i))
		s := &execsrc.Source{Args: []string{"sh", "-c", `setsid sh -c 'sleep 0.1' & echo $! > "$0"; exit 3`, pidFile}, Logger: log}
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		err := s.Run(ctx, func(mjpeg.Frame) {})
		cancel()
		if err == nil || err.Error() != "sh: exit status 3" {
			t.Fatalf("run %d: %v, want sh: exit status 3", i, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	fake.WaitFor(t, "the daemons to exit and be reaped", func() bool {
		for _, pid := range pids {
			if childState(pid) != "" { // running, or a zombie of ours
				return false
			}
		}
		return true
	})
	_ = execsrc.Subreaper // TestMain made this process the subreaper
}
