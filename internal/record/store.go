package record

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// File is one recorded file.
type File struct {
	// Path is the file's path below the camera's folder, with slashes:
	// YYYY-MM-DD/HH/HH-MM-SS.jpg, in UTC.
	Path string `json:"path"`
	// Time is when its first picture was taken, to the second.
	Time time.Time `json:"time"`
	// Size is its length in bytes.
	Size int64 `json:"size"`
}

// fileName matches the path of a file a recorder made, below its folder;
// another file there is neither listed nor deleted.
var fileName = regexp.MustCompile(`^(\d{4}-\d\d-\d\d)/(\d\d)/(\d\d-\d\d-\d\d)(?:_\d+)?\.(jpg|mp4)$`)

// parsePath returns the file at rel (a path below the folder), or false
// when a recorder did not make it.
func parsePath(rel string) (File, bool) {
	m := fileName.FindStringSubmatch(rel)
	if m == nil || m[2] != m[3][:2] {
		return File{}, false
	}
	t, err := time.Parse("2006-01-02 15-04-05", m[1]+" "+m[3])
	if err != nil {
		return File{}, false
	}
	return File{Path: rel, Time: t}, true
}

// pathFor returns the path below the folder of a file begun at t with
// extension ext; n > 0 tells apart files begun in the same second.
func pathFor(t time.Time, ext string, n int) string {
	t = t.UTC()
	name := t.Format("2006-01-02/15/15-04-05")
	if n > 0 {
		name += fmt.Sprintf("_%d", n)
	}
	return name + "." + ext
}

// store is the index of a folder's files, oldest first, kept in memory so
// that retention need not walk the folder.
type store struct {
	dir   string
	files []File
	total int64
}

// scan indexes the folder's files; with clean, it deletes the temporary
// files a crash left behind (a picture not yet renamed into place is not
// whole).
func (s *store) scan(clean bool) error {
	s.files, s.total = nil, 0
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if clean && strings.HasSuffix(rel, ".tmp") && fileName.MatchString(strings.TrimSuffix(rel, ".tmp")) {
			return os.Remove(p)
		}
		f, ok := parsePath(rel)
		if !ok {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f.Size = info.Size()
		s.files = append(s.files, f)
		s.total += f.Size
		return nil
	})
	sortFiles(s.files)
	return err
}

func sortFiles(files []File) {
	slices.SortFunc(files, func(a, b File) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
}

// add indexes a file just written.
func (s *store) add(f File) {
	s.files = append(s.files, f)
	s.total += f.Size
	if n := len(s.files); n > 1 && s.files[n-2].Time.After(f.Time) {
		sortFiles(s.files) // the clock went back
	}
}

// prune deletes the oldest files while one is older than maxAge or the
// files, with extra bytes being written, take more than maxBytes; a zero
// limit is no limit. It returns the errors of the files it could not
// delete, and leaves them indexed.
func (s *store) prune(now time.Time, maxAge time.Duration, maxBytes, extra int64) []error {
	var errs []error
	i := 0
	for ; i < len(s.files); i++ {
		f := s.files[i]
		old := maxAge > 0 && now.Sub(f.Time) > maxAge
		big := maxBytes > 0 && s.total+extra > maxBytes
		if !old && !big {
			break
		}
		err := os.Remove(filepath.Join(s.dir, filepath.FromSlash(f.Path)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			break
		}
		s.total -= f.Size
		// An hour's or a day's folder goes with its last file; Remove
		// fails, harmlessly, on one that still holds some.
		hour := filepath.Dir(filepath.Join(s.dir, filepath.FromSlash(f.Path)))
		if os.Remove(hour) == nil {
			os.Remove(filepath.Dir(hour))
		}
	}
	s.files = slices.Delete(s.files, 0, i)
	return errs
}

// List returns the files kept in dir, a camera's folder, oldest first. A
// folder that does not exist holds none.
func List(dir string) ([]File, error) {
	s := store{dir: dir}
	if err := s.scan(false); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return s.files, nil
}
