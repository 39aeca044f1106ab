package record_test

import (
	"bytes"
	"testing"

	"github.com/framecast/framecast/internal/record"
)

// Length reads whatever a disk holds without panicking or looping.
func FuzzLength(f *testing.F) {
	box := func(typ string, content ...[]byte) []byte {
		c := bytes.Join(content, nil)
		n := len(c) + 8
		return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), typ[0], typ[1], typ[2], typ[3]}, c...)
	}
	mdhd := box("mdhd", make([]byte, 12), []byte{0, 0, 0x3c, 0}, make([]byte, 8))
	tfdt := box("tfdt", []byte{1, 0, 0, 0}, []byte{0, 0, 0, 0, 0, 0, 0x1e, 0})
	trun := box("trun", []byte{0, 0, 1, 0}, []byte{0, 0, 0, 2}, []byte{0, 0, 2, 0}, []byte{0, 0, 2, 0})
	f.Add(box("ftyp", []byte("mp42")))
	f.Add(bytes.Join([][]byte{box("moov", box("trak", box("mdia", mdhd))), box("moof", box("traf", tfdt, trun)), box("mdat")}, nil))
	f.Add([]byte{0, 0, 0, 1, 'm', 'd', 'a', 't', 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := record.Length(bytes.NewReader(data))
		if err == nil && d < 0 {
			t.Errorf("negative length %v", d)
		}
	})
}
