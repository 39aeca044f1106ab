package execsrc

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/framecast/framecast/internal/hub"
	"github.com/framecast/framecast/pkg/mjpeg"
)

// DecoderArgs is the command a Decoder runs by default: ffmpeg reading
// Annex-B H.264 on stdin and writing JPEGs on stdout, each picture as soon
// as it is decoded.
var DecoderArgs = []string{"ffmpeg", "-hide_banner", "-loglevel", "error",
	"-fflags", "nobuffer", "-flags", "low_delay", "-probesize", "32", "-analyzeduration", "0",
	"-f", "h264", "-i", "-", "-f", "mjpeg", "-q:v", "5", "-"}

// Decoder is the Source of an H.264 camera's MJPEG hub: it joins the
// camera's hub as a viewer, feeds its access units to a decoder command
// (Cmd; its Args default to DecoderArgs) and emits the JPEGs the command
// writes. The MJPEG hub's idle timeout thus starts and stops the decoder,
// and the camera runs while the decoder does.
type Decoder struct {
	// From is the H.264 camera's hub.
	From *hub.Hub
	// Cmd runs the decoder; see Source.
	Cmd Source
}

// Run decodes until ctx ends or the command fails, like Source.Run.
func (d *Decoder) Run(ctx context.Context, emit func(mjpeg.Frame)) error {
	if len(d.Cmd.Args) == 0 {
		d.Cmd.Args = DecoderArgs
	}
	v := d.From.Join("decoder")
	defer v.Leave()
	var skip atomic.Int64
	return d.Cmd.run(ctx,
		func(r io.Reader) error {
			return d.Cmd.read(r, func(f mjpeg.Frame) {
				// The pictures before the newest one at the start are
				// decoded only to reach it: a snapshot is of now.
				if skip.Add(-1) < 0 {
					emit(f)
				}
			})
		},
		func(ctx context.Context, w io.Writer) error { return d.feed(ctx, v, w, &skip) })
}

// feed writes the camera's access units to w from the start of a group of
// pictures, so that decoding starts at an IDR picture. It first sets skip
// to the number of pictures it writes before the newest one there was then.
func (d *Decoder) feed(ctx context.Context, v *hub.Viewer, w io.Writer, skip *atomic.Int64) error {
	var prev *hub.Frame
	for {
		f, err := d.From.NextAU(ctx, prev)
		if err != nil {
			return err
		}
		if prev == nil {
			n := uint64(1)
			if l := d.From.Latest(); l != nil && l.Seq > f.Seq {
				n += l.Seq - f.Seq
			}
			skip.Store(int64(n))
			// ffmpeg reads until its second IDR picture before it decodes
			// any (a GOP, 2 s at many cameras' settings): it gets the
			// first one twice.
			if _, err := w.Write(f.Data); err != nil {
				return err
			}
		}
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
		v.Frames.Add(1)
		v.Bytes.Add(int64(len(f.Data)))
		prev = f
	}
}
