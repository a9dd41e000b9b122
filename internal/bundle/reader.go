package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// A bundle that render, merge or the fork poster reads may come from anywhere (a
// downloaded artifact, a fork's run), so every file in it is hostile: it may be a
// symlink out of the bundle, a FIFO that blocks forever, a device, or huge. Reader
// confines every read to the bundle directory (os.Root), opens only regular files that
// are not symlinks, never blocks on open, and caps how much it reads.

// Limits on what a Reader reads.
const (
	// MaxJSON is the largest JSON file of a bundle that is read whole.
	MaxJSON = 256 << 20
	// MaxWalkEntries and MaxWalkDepth bound a walk of the bundle's tree.
	MaxWalkEntries = 20000
	MaxWalkDepth   = 16
)

// ErrNotRegular is returned for a bundle path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file (symlinks, FIFOs and devices in a bundle are never read)")

// ErrTooLarge is returned for a file over the size limit of its read.
var ErrTooLarge = errors.New("over the size limit")

// Reader reads files of one bundle, confined to it: a directory (os.Root), or any
// fs.FS (a bundle artifact's zip, a test's fstest.MapFS) with the same rules.
type Reader struct {
	dir  string   // the directory, or the FS's name, for messages
	root *os.Root // nil when reading an fs.FS
	fsys fs.FS
}

// NewReader reads the bundle in fsys (its root is the bundle's), named name in messages.
// Symlinks are refused where fsys can tell them (fs.ReadLinkFS, as zip entries, os.DirFS
// and fstest.MapFS can).
func NewReader(fsys fs.FS, name string) *Reader { return &Reader{dir: name, fsys: fsys} }

// OpenReader opens the bundle directory dir for confined reading.
func OpenReader(dir string) (*Reader, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Reader{dir: dir, root: root, fsys: root.FS()}, nil
}

// lstat is Lstat inside the bundle: a symlink is not followed.
func (r *Reader) lstat(p string) (fs.FileInfo, error) {
	if r.root != nil {
		return r.root.Lstat(p)
	}
	if l, ok := r.fsys.(fs.ReadLinkFS); ok {
		return l.Lstat(filepath.ToSlash(p))
	}
	return fs.Stat(r.fsys, filepath.ToSlash(p))
}

// Sub opens a directory of the bundle as a reader of its own, confined to it: reading
// many files of one directory walks its path once, not once a file.
func (r *Reader) Sub(rel string) (*Reader, error) {
	p, err := clean(rel)
	if err != nil {
		return nil, err
	}
	if li, err := r.lstat(p); err != nil {
		return nil, err
	} else if !li.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", rel)
	}
	if r.root == nil {
		sub, err := fs.Sub(r.fsys, filepath.ToSlash(p))
		if err != nil {
			return nil, err
		}
		return &Reader{dir: path.Join(r.dir, filepath.ToSlash(p)), fsys: sub}, nil
	}
	root, err := r.root.OpenRoot(p)
	if err != nil {
		return nil, err
	}
	return &Reader{dir: filepath.Join(r.dir, p), root: root, fsys: root.FS()}, nil
}

// Dir is the bundle directory.
func (r *Reader) Dir() string { return r.dir }

// Close releases the directory.
func (r *Reader) Close() error {
	if r.root == nil {
		return nil
	}
	return r.root.Close()
}

// clean turns a bundle-relative slash path into a local one, refusing absolute paths and
// "..": a bundle path never leaves the bundle.
func clean(rel string) (string, error) {
	p := path.Clean(strings.ReplaceAll(rel, "\\", "/"))
	if p == "." || !fs.ValidPath(p) {
		return "", fmt.Errorf("%q: not a path inside the bundle", rel)
	}
	return filepath.FromSlash(p), nil
}

// RelPath returns rel as a clean slash-separated path inside a bundle, or an error for
// one that is absolute, leaves the bundle (..), or is empty: what a bundle file names
// (pages.json's screenshot, a finding's reference) must pass it before anyone is told
// to open it.
func RelPath(rel string) (string, error) {
	p, err := clean(rel)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(p), nil
}

// Open opens a regular file of the bundle. It refuses symlinks (even ones that stay in
// the bundle: collect never writes them), anything that is not a regular file, and any
// path that leaves the bundle; it does not block on a FIFO. A file of a directory is an
// *os.File (io.ReaderAt, io.Seeker); of another FS, whatever that FS gives.
func (r *Reader) Open(rel string) (fs.File, fs.FileInfo, error) {
	p, err := clean(rel)
	if err != nil {
		return nil, nil, err
	}
	li, err := r.lstat(p)
	if err != nil {
		return nil, nil, err
	}
	if !li.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: %w", rel, ErrNotRegular)
	}
	var f fs.File
	if r.root != nil {
		// O_NONBLOCK: if the file was swapped for a FIFO since Lstat, open must not hang.
		f, err = r.root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	} else {
		f, err = r.fsys.Open(filepath.ToSlash(p))
	}
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", rel, ErrNotRegular)
	}
	return f, info, nil
}

// ReadFile reads a whole regular file of the bundle, refusing one over max bytes.
func (r *Reader) ReadFile(rel string, max int64) ([]byte, error) {
	f, info, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, info, rel, max)
}

// Stat returns the Lstat information of a bundle path (a symlink is not followed).
func (r *Reader) Stat(rel string) (fs.FileInfo, error) {
	p, err := clean(rel)
	if err != nil {
		return nil, err
	}
	return r.lstat(p)
}

// Entry is one regular file found by List or Walk.
type Entry struct {
	Path string // bundle-relative, slash-separated
	Size int64
}

// List returns the regular files directly inside the bundle directory rel (sorted),
// and the names of the other entries it skipped (directories, symlinks, FIFOs, …). A
// missing directory is no error.
func (r *Reader) List(rel string) ([]Entry, []string, error) {
	p, err := clean(rel)
	if err != nil {
		return nil, nil, err
	}
	if li, err := r.lstat(p); err != nil || !li.IsDir() {
		if err != nil && errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil
		}
		if err == nil {
			return nil, nil, fmt.Errorf("%s: not a directory", rel)
		}
		return nil, nil, err
	}
	entries, err := fs.ReadDir(r.fsys, filepath.ToSlash(p))
	if err != nil {
		return nil, nil, err
	}
	var out []Entry
	var skipped []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			skipped = append(skipped, path.Join(filepath.ToSlash(p), e.Name()))
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, Entry{Path: path.Join(filepath.ToSlash(p), e.Name()), Size: info.Size()})
		if len(out) >= MaxWalkEntries {
			break
		}
	}
	return out, skipped, nil
}

// Walk lists the bundle's regular files (never following symlinks), at most
// MaxWalkEntries of them and MaxWalkDepth directories deep; the bool is true when it
// stopped at a limit.
func (r *Reader) Walk(skip func(rel string) bool) ([]Entry, bool) {
	var out []Entry
	cut := false
	_ = fs.WalkDir(r.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if strings.Count(p, "/") >= MaxWalkDepth {
				cut = true
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || (skip != nil && skip(p)) {
			return nil
		}
		if len(out) >= MaxWalkEntries {
			cut = true
			return fs.SkipAll
		}
		info, err := d.Info()
		if err == nil {
			out = append(out, Entry{Path: p, Size: info.Size()})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, cut
}

// ReadRegular reads a file outside any bundle (a --results file, say) the same careful
// way: only a regular file, without blocking on a FIFO, at most max bytes.
func ReadRegular(name string, max int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	return readCapped(f, info, name, max)
}

func readCapped(f io.Reader, info fs.FileInfo, name string, max int64) ([]byte, error) {
	if info.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, %w of %d bytes", name, info.Size(), ErrTooLarge, max)
	}
	buf := bytes.NewBuffer(make([]byte, 0, info.Size()+512)) // one allocation, not a doubling series
	if _, err := buf.ReadFrom(io.LimitReader(f, max+1)); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w of %d bytes", name, ErrTooLarge, max)
	}
	return b, nil
}

// FS is a directory a flag names (--templates), read the Reader's way: confined to the
// directory, regular files only, never blocking on a FIFO, at most max bytes a file.
// It implements fs.ReadFileFS.
type FS struct {
	r   *Reader
	max int64
}

// DirFS opens dir as an FS whose files are read up to max bytes each.
func DirFS(dir string, max int64) (*FS, error) {
	r, err := OpenReader(dir)
	if err != nil {
		return nil, err
	}
	return &FS{r: r, max: max}, nil
}

// Open opens a regular file of the directory.
func (f *FS) Open(name string) (fs.File, error) {
	file, _, err := f.r.Open(name)
	if err != nil {
		return nil, err
	}
	return file, nil
}

// ReadFile reads a whole regular file of the directory, refusing one over the limit.
func (f *FS) ReadFile(name string) ([]byte, error) { return f.r.ReadFile(name, f.max) }

// IsBundle reports whether dir holds a bundle collect wrote (its manifest is a regular
// file).
func IsBundle(dir string) bool {
	r, err := OpenReader(dir)
	if err != nil {
		return false
	}
	defer r.Close()
	info, err := r.Stat(ManifestFile)
	return err == nil && info.Mode().IsRegular()
}
