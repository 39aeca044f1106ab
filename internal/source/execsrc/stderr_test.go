package execsrc

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
)

// A command that floods its stderr: the lines beyond the rate cost no
// allocation (reading a byte at a time and making a string of every line
// took half a core), what is logged is masked and cut, and the count of
// lines left out is logged at the end.
func TestStderrFlood(t *testing.T) {
	const lines = 20000
	var flood bytes.Buffer
	for i := range lines {
		fmt.Fprintf(&flood, "frame=%d rtsp://admin:PASSWORD@cam/s\r", i)
	}
	flood.WriteString(strings.Repeat("x", 3*maxLogLine) + "\n")
	synctest.Test(t, func(t *testing.T) { // the rate's clock stands still
		var out bytes.Buffer
		l := &stderrLog{log: slog.New(slog.NewTextHandler(&out, nil))}
		allocs := testing.AllocsPerRun(1, func() {
			out.Reset()
			l.copy(bytes.NewReader(flood.Bytes()))
		})
		if allocs > 2000 {
			t.Errorf("%v allocations for %d lines", allocs, lines)
		}
		got := out.String()
		if n := strings.Count(got, "msg=stderr line="); n != logBurst {
			t.Errorf("%d lines logged, want the burst of %d", n, logBurst)
		}
		if strings.Contains(got, "PASSWORD") || !strings.Contains(got, "rtsp://xxxxx@cam/s") {
			t.Errorf("log:\n%s", got)
		}
		if !strings.Contains(got, fmt.Sprintf("suppressed=%d", lines+1-logBurst)) {
			t.Errorf("log lacks the count of lines left out:\n%s", got[len(got)-200:])
		}
		if last := l.last(); last != strings.Repeat("x", maxLogLine) {
			t.Errorf("last line %d bytes, want it cut to %d", len(last), maxLogLine)
		}
	})
}
