package bundle

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
)

// A packed bundle is a gzipped tar, base64 in lines between these markers: text that
// survives a container log, so a bundle collected by a Job inside the cluster comes out
// with `kubectl logs` and nothing else.
const (
	PackBegin = "-----BEGIN CI-REPORT BUNDLE-----"
	PackEnd   = "-----END CI-REPORT BUNDLE-----"
)

// Unpack's bounds: what a packed bundle may hold.
const (
	MaxUnpackFile  = 1 << 30
	MaxUnpackTotal = 4 << 30
)

// Pack writes the bundle in dir, packed, to w: its regular files only (never a symlink),
// within the walk's bounds.
func Pack(dir string, w io.Writer) (int, error) {
	br, err := OpenReader(dir)
	if err != nil {
		return 0, err
	}
	defer br.Close()
	entries, cut := br.Walk(nil)
	if cut {
		return 0, fmt.Errorf("%s has more than %d files or is deeper than %d directories: not packed", dir, MaxWalkEntries, MaxWalkDepth)
	}
	if _, err := fmt.Fprintln(w, PackBegin); err != nil {
		return 0, err
	}
	lw := &lineWriter{w: w}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	gz := gzip.NewWriter(enc)
	tw := tar.NewWriter(gz)
	n := 0
	for _, e := range entries {
		f, info, err := br.Open(e.Path)
		if err != nil {
			continue // changed since the walk: left out
		}
		err = tw.WriteHeader(&tar.Header{Name: e.Path, Mode: 0o644, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg, Format: tar.FormatPAX})
		if err == nil {
			_, err = io.CopyN(tw, f, info.Size())
		}
		f.Close()
		if err != nil {
			return n, fmt.Errorf("pack %s: %w", e.Path, err)
		}
		n++
	}
	for _, c := range []io.Closer{tw, gz, enc} {
		if err := c.Close(); err != nil {
			return n, err
		}
	}
	if err := lw.flush(); err != nil {
		return n, err
	}
	_, err = fmt.Fprintln(w, PackEnd)
	return n, err
}

// lineWriter breaks base64 into 76-character lines.
type lineWriter struct {
	w   io.Writer
	buf []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for len(l.buf) >= 76 {
		if _, err := fmt.Fprintf(l.w, "%s\n", l.buf[:76]); err != nil {
			return 0, err
		}
		l.buf = l.buf[76:]
	}
	return len(p), nil
}

func (l *lineWriter) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := fmt.Fprintf(l.w, "%s\n", l.buf)
	l.buf = nil
	return err
}

// Unpack reads a packed bundle from r (a Job's log: other lines around it, and each line
// possibly prefixed by a timestamp, are ignored) into dir, which it creates. Every entry
// is hostile: only regular files, inside dir (no absolute path, no "..", no symlink
// followed), within MaxUnpackFile each and MaxUnpackTotal in all.
func Unpack(r io.Reader, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, err
	}
	defer root.Close()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(packedBase64(r, pw)) }()
	gz, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, pr))
	if err != nil {
		pr.CloseWithError(err)
		return 0, fmt.Errorf("not a packed ci-report bundle: %w", err)
	}
	tr := tar.NewReader(gz)
	n, total := 0, int64(0)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("packed bundle: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue // directories are implied; links and devices are never unpacked
		}
		rel, err := RelPath(h.Name)
		if err != nil {
			return n, fmt.Errorf("packed bundle entry %w", err)
		}
		if h.Size > MaxUnpackFile || total+h.Size > MaxUnpackTotal || n >= MaxWalkEntries || strings.Count(rel, "/") >= MaxWalkDepth {
			return n, fmt.Errorf("packed bundle entry %s: beyond the bounds (%d MiB a file, %d GiB, %d files, %d deep)", rel, MaxUnpackFile>>20, MaxUnpackTotal>>30, MaxWalkEntries, MaxWalkDepth)
		}
		if err := writeEntry(root, rel, tr, h.Size); err != nil {
			return n, fmt.Errorf("unpack %s: %w", rel, err)
		}
		_ = root.Chtimes(rel, time.Now(), h.ModTime)
		total += h.Size
		n++
	}
}

func writeEntry(root *os.Root, rel string, r io.Reader, size int64) error {
	if d := path.Dir(rel); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// O_EXCL after removing whatever is there: never write through a planted symlink.
	_ = root.Remove(rel)
	f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// packedBase64 copies the base64 between the markers to w: the last field of each line,
// so that `kubectl logs --timestamps` output unpacks too.
func packedBase64(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	in := false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		last := fields[len(fields)-1]
		switch {
		case strings.HasSuffix(sc.Text(), PackBegin):
			in = true
		case strings.HasSuffix(sc.Text(), PackEnd):
			if in {
				return nil
			}
		case in:
			if _, err := io.WriteString(w, last); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if !in {
		return fmt.Errorf("no %s line in the input: pipe in the log of `ci-report bundle pack`", PackBegin)
	}
	return errors.New("the packed bundle ends before its end marker: the log was cut")
}
