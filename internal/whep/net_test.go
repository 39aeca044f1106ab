package whep

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestSharedNet: the sessions' network reads the machine's interfaces once
// for any number of sessions within a second, and again after it.
func TestSharedNet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := newSharedNet()
		if err != nil {
			t.Fatal(err)
		}
		first := n.now()
		if ifs, err := n.Interfaces(); err != nil || len(ifs) == 0 {
			t.Fatalf("Interfaces: %d, %v", len(ifs), err)
		}
		if n.now() != first {
			t.Error("read again within the second")
		}
		time.Sleep(time.Second)
		if n.now() == first {
			t.Error("not read again after a second")
		}
	})
}
