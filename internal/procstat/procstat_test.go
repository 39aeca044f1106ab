package procstat_test

import (
	"os"
	"testing"

	"github.com/framecast/framecast/internal/procstat"
)

// TestSelf reads this test's own process: its RSS is within its peak, and
// its CPU time only grows.
func TestSelf(t *testing.T) {
	pid := os.Getpid()
	rss, hwm, err := procstat.Memory(pid)
	if err != nil || rss <= 0 || hwm < rss {
		t.Fatalf("Memory: rss %d, hwm %d, %v", rss, hwm, err)
	}
	c0, err := procstat.CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for i := range 50_000_000 {
		x ^= i
	}
	c1, err := procstat.CPU(pid)
	if err != nil || c1 < c0 {
		t.Fatalf("CPU went from %v to %v (%v) %d", c0, c1, err, x)
	}
	if _, err := procstat.CPU(-1); err == nil {
		t.Error("CPU of pid -1: no error")
	}
	if procstat.LoadAverage() == "?" {
		t.Error("no load average")
	}
}
