package hls

import (
	"fmt"
	"strings"
	"testing"
)

// TestPlaylistNext: what a Player fetches after a part, from a playlist of
// segments 10 to 12 (the parts of 11 and 12 listed) and segment 13 being
// made (two parts so far): the next part, the next segment's first part,
// a whole segment when its parts are no longer listed; nothing, and a
// wait, for what is being made; nothing, and a skip, for what is gone.
func TestPlaylistNext(t *testing.T) {
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:10\n")
	for msn := 10; msn <= 13; msn++ {
		fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:%02d.000Z\n", msn)
		parts := 0
		switch msn {
		case 11, 12:
			parts = 5
		case 13:
			parts = 2
		}
		for p := range parts {
			fmt.Fprintf(&b, "#EXT-X-PART:DURATION=0.200,URI=\"s-%d.%d.mp4\"\n", msn, p)
		}
		if msn < 13 {
			fmt.Fprintf(&b, "#EXTINF:1.000,\ns-%d.mp4\n", msn)
		}
	}
	pl, err := ParsePlaylist([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		msn  uint64
		part int
		want string // the URI fetched; "" for none
		gone bool
	}{
		{12, 2, "s-12.2.mp4", false},
		{12, 5, "s-13.0.mp4", false},
		{11, 5, "s-12.0.mp4", false},
		{13, 1, "s-13.1.mp4", false},
		{13, 2, "", false}, // being made: a blocking reload
		{14, 0, "", false},
		{10, 0, "s-10.mp4", false}, // its parts left the playlist
		{10, 3, "", true},
		{9, 0, "", true},
	} {
		l, ok := pl.next(c.msn, c.part)
		if got := map[bool]string{true: l.URI}[ok]; got != c.want || pl.gone(c.msn, c.part) != c.gone {
			t.Errorf("after %d.%d: fetch %q, gone %v; want %q, gone %v", c.msn, c.part, got, pl.gone(c.msn, c.part), c.want, c.gone)
		}
	}
}
