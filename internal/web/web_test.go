package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/framecast/framecast/internal/web"
)

// TestRelativeURLs keeps every URL of the page relative, so the page, its
// assets and its requests stay under whatever path prefix a reverse proxy
// serves framecast at. An absolute path ("/x") or a scheme-relative one
// ("//host/x") would leave the prefix.
func TestRelativeURLs(t *testing.T) {
	absolute := []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b(href|src|action)\s*=\s*["']?/`),                      // HTML attributes
		regexp.MustCompile(`\burl\(\s*["']?/`),                                          // CSS
		regexp.MustCompile(`\b(fetch|open|EventSource|WebSocket)\(\s*["'` + "`" + `]/`), // script requests
		regexp.MustCompile(`\.(src|href)\s*=\s*["'` + "`" + `]/`),                       // script-set URLs
		regexp.MustCompile(`(?i)\bhttps?://`),                                           // anything off this server
	}
	files := 0
	err := fs.WalkDir(web.FS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path == "static/assets/vendor" {
			// Others' code, copied unchanged (hls.js): its URLs are
			// names and licence links, and it requests only what the
			// page gives it.
			return fs.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(web.FS, path)
		if err != nil {
			return err
		}
		files++
		for i, line := range strings.Split(string(b), "\n") {
			// The SVG namespace is a name, not a link.
			line = strings.ReplaceAll(line, "http://www.w3.org/2000/svg", "")
			for _, re := range absolute {
				if m := re.FindString(line); m != "" {
					t.Errorf("%s:%d: %q is not a relative URL: %s", path, i+1, m, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("checked %d files; the page has at least index.html, app.js, style.css and the icon", files)
	}
}
