package fake

import (
	"testing"

	"github.com/framecast/framecast/internal/source/execsrc"
)

// H264 returns a source that runs ffmpeg writing real libx264 H.264 of its
// testsrc2 pattern at size (WxH) and 30 fps, live (-re), with an IDR picture
// every gop pictures and two slices each, as libx264 -tune zerolatency makes
// on two cores. Run it as an H.264 camera (hub.Config.Codec hub.H264).
func H264(t testing.TB, size string, gop string) *execsrc.Source {
	ff := Tool(t, "ffmpeg")
	return &execsrc.Source{Args: []string{ff, "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-threads", "1",
		"-x264-params", "slices=2", "-pix_fmt", "yuv420p", "-profile:v", "baseline", "-g", gop, "-f", "h264", "-"}}
}
