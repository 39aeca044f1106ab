package fake

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// Tool returns the path of an external program a test needs. Outside CI a
// missing tool skips the test; in CI (CI=true) it fails it, so nothing is
// silently left untested there.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", name, err)
	}
	t.Skipf("%s not installed (apt-get install it to run this test): %v", name, err)
	return ""
}

// WaitFor polls cond until it holds, failing t if it still does not after a
// minute. The bound only stops a test that would hang: it is not a timing
// assertion.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
