package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPackUnpackRoundTrip(t *testing.T) {
	var packed bytes.Buffer
	n, err := Pack("../../testdata/bundles/demo", &packed)
	if err != nil || n == 0 {
		t.Fatalf("pack: %d files, %v", n, err)
	}
	for _, l := range strings.Split(strings.TrimSpace(packed.String()), "\n") {
		if len(l) > 76 && l != PackBegin && l != PackEnd {
			t.Fatalf("a line of %d characters: a log may split it", len(l))
		}
	}
	// As kubectl logs --timestamps shows it, among the Job's other output.
	var log strings.Builder
	log.WriteString("2026-12-01T10:00:00Z collecting...\n")
	for _, l := range strings.Split(strings.TrimSpace(packed.String()), "\n") {
		log.WriteString("2026-12-01T10:00:01.123456789Z " + l + "\n")
	}
	log.WriteString("2026-12-01T10:00:02Z done\n")
	out := t.TempDir()
	got, err := Unpack(strings.NewReader(log.String()), out)
	if err != nil || got != n {
		t.Fatalf("unpack: %d files (packed %d), %v", got, n, err)
	}
	br, _ := OpenReader("../../testdata/bundles/demo")
	defer br.Close()
	entries, _ := br.Walk(nil)
	for _, e := range entries {
		want, _ := br.ReadFile(e.Path, 1<<30)
		have, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(e.Path)))
		if err != nil || !bytes.Equal(want, have) {
			t.Errorf("%s differs after the round trip: %v", e.Path, err)
		}
	}
}

// packed is a packed bundle made of arbitrary tar entries, as a hostile producer writes it.
func packed(t *testing.T, entries ...*tar.Header) string {
	var tb bytes.Buffer
	gz := gzip.NewWriter(&tb)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 && h.Size < 1<<20 {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	tw.Flush()
	gz.Close()
	return PackBegin + "\n" + base64.StdEncoding.EncodeToString(tb.Bytes()) + "\n" + PackEnd + "\n"
}

func TestUnpackRefusesHostileEntries(t *testing.T) {
	outside := t.TempDir()
	for name, tc := range map[string]struct {
		in   string
		want string
	}{
		"dot-dot":   {packed(t, &tar.Header{Name: "../escaped", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}), "not a path inside"},
		"absolute":  {packed(t, &tar.Header{Name: "/tmp/abs", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}), "not a path inside"},
		"huge":      {packed(t, &tar.Header{Name: "big.log", Typeflag: tar.TypeReg, Size: MaxUnpackFile + 1, Mode: 0o644}), "beyond the bounds"},
		"no marker": {"just a log line\n", "no " + PackBegin},
		"cut":       {strings.TrimSuffix(packed(t, &tar.Header{Name: "a", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}), PackEnd+"\n"), "ends before its end marker"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Unpack(strings.NewReader(tc.in), dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escaped")); err == nil {
				t.Error("an entry was written outside the directory")
			}
		})
	}
	// Links are never unpacked, and a symlink planted in the target is not written through.
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "k8s")); err != nil {
		t.Fatal(err)
	}
	in := packed(t,
		&tar.Header{Name: "evil-link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd", Mode: 0o777},
		&tar.Header{Name: "k8s/events.json", Typeflag: tar.TypeReg, Size: 3, Mode: 0o644, ModTime: time.Now()})
	if _, err := Unpack(strings.NewReader(in), dir); err == nil {
		t.Error("unpacked through a symlinked directory")
	}
	if _, err := os.Lstat(filepath.Join(dir, "evil-link")); err == nil {
		t.Error("a symlink entry was unpacked")
	}
	if _, err := os.Stat(filepath.Join(outside, "events.json")); err == nil {
		t.Error("wrote through a planted symlink to outside the directory")
	}
}
