package e2e

import (
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/internal/server"
)

// TestTokenOnlyPage: with tokens and no users (the Home Assistant set-up),
// a page opened with ?token= shows that camera live, and only that one,
// with no error on the way.
func TestTokenOnlyPage(t *testing.T) {
	const token = "tok-door-0123456789abcdef"
	s := serveServer(t, &server.Server{
		Cameras: []*hub.Hub{camera(t, "door", pattern("door")), camera(t, "yard", pattern("yard"))},
		Logger:  quiet,
		Tokens:  []server.Token{{Camera: "door", Secret: token}},
	})
	tb := open(t, s.url()+"?token="+token)
	tb.wait("the live state", `document.getElementById("stage").dataset.state === "live"`)
	tb.wait("the first picture", `document.getElementById("live").naturalWidth > 0`)
	if got := eval[string](tb, `document.getElementById("title").textContent`); got != "door" {
		t.Errorf("title %q, want door, the token's camera", got)
	}
	if eval[bool](tb, `!document.getElementById("back").hidden`) {
		t.Error(`"All cameras" is shown: the token holder sees one camera`)
	}
	if errs := tb.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
