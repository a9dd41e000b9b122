package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReaderRefusesWhatIsNotARegularFileOfTheBundle(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(outside, []byte("outside"), 0o644)
	os.MkdirAll(filepath.Join(dir, "k8s"), 0o755)
	os.WriteFile(filepath.Join(dir, "k8s", "ok.json"), []byte(`{}`), 0o644)
	os.Symlink(outside, filepath.Join(dir, "k8s", "out.json"))
	os.Symlink("ok.json", filepath.Join(dir, "k8s", "in.json"))
	os.Symlink(filepath.Dir(outside), filepath.Join(dir, "linkdir"))
	syscall.Mkfifo(filepath.Join(dir, "k8s", "fifo.json"), 0o644)
	os.WriteFile(filepath.Join(dir, "big"), make([]byte, 2048), 0o644)

	r, err := OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := r.ReadFile("k8s/ok.json", 1024); err != nil || string(b) != "{}" {
		t.Fatalf("regular file: %q, %v", b, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, rel := range []string{"k8s/out.json", "k8s/in.json", "k8s/fifo.json", "linkdir/secret.txt", "../" + filepath.Base(outside), "/etc/passwd"} {
			if b, err := r.ReadFile(rel, 1024); err == nil {
				t.Errorf("%s: read %q, want a refusal", rel, b)
			}
		}
		if _, err := r.ReadFile("k8s/fifo.json", 1024); !errors.Is(err, ErrNotRegular) {
			t.Errorf("FIFO: err = %v, want ErrNotRegular", err)
		}
		if _, err := r.ReadFile("big", 1024); !errors.Is(err, ErrTooLarge) {
			t.Errorf("big file: err = %v, want ErrTooLarge", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a read blocked (a FIFO opened for reading?)")
	}
	entries, skipped, err := r.List("k8s")
	if err != nil || len(entries) != 1 || entries[0].Path != "k8s/ok.json" || len(skipped) != 3 {
		t.Errorf("List = %v, skipped %v, %v", entries, skipped, err)
	}
	all, _ := r.Walk(nil)
	for _, e := range all {
		if strings.Contains(e.Path, "secret") || strings.Contains(e.Path, "out.json") {
			t.Errorf("Walk listed %s", e.Path)
		}
	}
	if _, err := ReadRegular(filepath.Join(dir, "k8s", "fifo.json"), 10); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadRegular on a FIFO: %v", err)
	}
}

// FuzzReaderOpen: whatever path a bundle file names, the confined reader returns one of
// the bundle's own regular files or an error: never a file outside it (through "..", an
// absolute path or a symlink), never a FIFO, never blocking.
func FuzzReaderOpen(f *testing.F) {
	dir := f.TempDir()
	outside := filepath.Join(f.TempDir(), "secret.txt")
	os.WriteFile(outside, []byte("OUTSIDE"), 0o644)
	os.MkdirAll(filepath.Join(dir, "k8s", "logs"), 0o755)
	os.WriteFile(filepath.Join(dir, "k8s", "ok.json"), []byte("IN-OK"), 0o644)
	os.WriteFile(filepath.Join(dir, "k8s", "logs", "a.log"), []byte("IN-LOG"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "k8s", "out.json"))
	os.Symlink("ok.json", filepath.Join(dir, "k8s", "in.json"))
	os.Symlink(filepath.Dir(outside), filepath.Join(dir, "linkdir"))
	syscall.Mkfifo(filepath.Join(dir, "k8s", "fifo.json"), 0o644)
	r, err := OpenReader(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { r.Close() })
	for _, s := range []string{"k8s/ok.json", "../secret.txt", "/etc/passwd", "k8s/out.json", "k8s/in.json", "linkdir/secret.txt", "k8s/fifo.json", "k8s//logs/../ok.json", `k8s\logs\a.log`, "./k8s/logs/a.log", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		done := make(chan struct{})
		var b []byte
		var err error
		go func() {
			defer close(done)
			b, err = r.ReadFile(rel, 1024)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadFile(%q) blocks", rel)
		}
		if err == nil && string(b) != "IN-OK" && string(b) != "IN-LOG" {
			t.Fatalf("ReadFile(%q) read %q: not a regular file of the bundle", rel, b)
		}
		if err == nil {
			if _, err := RelPath(rel); err != nil {
				t.Fatalf("ReadFile(%q) read a file RelPath refuses: %v", rel, err)
			}
		}
	})
}
