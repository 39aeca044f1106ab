package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoFFmpeg is returned by Assemble when ffmpeg is not installed.
var ErrNoFFmpeg = errors.New("ffmpeg is not installed: a timelapse is assembled by ffmpeg (apt-get install ffmpeg)")

// Assemble makes the video out (an .mp4, H.264) of the JPEG pictures in
// dir and its subfolders, in the order of their paths (a recorder's are
// in time order), fps pictures a second. It needs ffmpeg on the PATH.
func Assemble(ctx context.Context, dir, out string, fps int) error {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return ErrNoFFmpeg
	}
	var pics []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".jpg") {
			pics = append(pics, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(pics) == 0 {
		return fmt.Errorf("no .jpg pictures in %s", dir)
	}
	slices.Sort(pics)
	var stderr bytes.Buffer
	// The pictures go through a pipe, so their names need no quoting for
	// ffmpeg; a picture size need not be even for yuv420p.
	cmd := exec.CommandContext(ctx, ff, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "image2pipe", "-framerate", strconv.Itoa(fps), "-c:v", "mjpeg", "-i", "-",
		"-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
		"-movflags", "+faststart", out)
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var werr error
	for _, p := range pics {
		if werr = copyFile(in, p); werr != nil {
			break
		}
	}
	in.Close()
	err = cmd.Wait()
	if err != nil {
		return fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return werr
}

func copyFile(w io.Writer, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
