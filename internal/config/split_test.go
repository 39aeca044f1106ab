package config_test

import (
	"reflect"
	"testing"

	"github.com/framecast/framecast/internal/config"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "ffmpeg -i rtsp://cam/1 -f mjpeg -", want: []string{"ffmpeg", "-i", "rtsp://cam/1", "-f", "mjpeg", "-"}},
		{in: "  a \t b\n", want: []string{"a", "b"}},
		{in: `a 'b c' "d e"`, want: []string{"a", "b c", "d e"}},
		{in: `'it''s' "x\"y" "a\\b" "\n"`, want: []string{"its", `x"y`, `a\b`, `\n`}},
		{in: `a\ b c\"d`, want: []string{"a b", `c"d`}},
		{in: `'' ""`, want: []string{"", ""}},
		{in: `pre'mid'post`, want: []string{"premidpost"}},
		{in: `$HOME *.jpg a|b`, want: []string{"$HOME", "*.jpg", "a|b"}},
		{in: "a \\\nb", want: []string{"a", "b"}},
		{in: "", want: nil},
		{in: `'open`, wantErr: true},
		{in: `"open`, wantErr: true},
		{in: `a\`, wantErr: true},
	}
	for _, tt := range tests {
		got, err := config.Split(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Split(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Split(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
