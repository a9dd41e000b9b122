package model_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/org/k8s-e2e-report/internal/model"
)

// zipDir zips a directory in memory, as a bundle artifact is downloaded.
func zipDir(t testing.TB, dir string) *zip.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// A bundle read from its artifact's zip, never unpacked, is the report read from the
// directory: every fact, finding and gap.
func TestLoadFSFromZipIsLoadFromDir(t *testing.T) {
	for _, name := range []string{"demo", "healthy"} {
		dir := filepath.Join("../../testdata/bundles", name)
		want, err := model.Load(context.Background(), dir, model.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := model.LoadFS(context.Background(), zipDir(t, dir), dir, model.Options{})
		if err != nil {
			t.Fatal(err)
		}
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		if !bytes.Equal(w, g) {
			t.Errorf("%s: the report from the zip differs from the directory's (%d and %d bytes)", name, len(g), len(w))
		}
		if len(got.Findings) == 0 && name == "demo" {
			t.Error("demo: no findings from the zip")
		}
	}
}

// An FS bundle is read by the directory's rules: a symlink entry is never read, it is a gap.
func TestLoadFSRefusesSymlinks(t *testing.T) {
	fsys := fstest.MapFS{
		"manifest.json":          {Data: []byte(`{"version":1}`)},
		"k8s/events.json":        {Data: []byte("SECRET-OUTSIDE"), Mode: fs.ModeSymlink},
		"k8s/resources.json":     {Data: []byte(`{"items":[]}`)},
		"results/junit.xml":      {Data: []byte("../../etc/passwd"), Mode: fs.ModeSymlink},
		"results/real-junit.xml": {Data: []byte(`<testsuite name="s"><testcase name="ok"/></testsuite>`)},
	}
	r, err := model.LoadFS(context.Background(), fsys, "artifact.zip", model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	if bytes.Contains(b, []byte("SECRET-OUTSIDE")) {
		t.Error("a symlink entry's content reached the report")
	}
	var gaps []string
	for _, g := range r.Gaps {
		gaps = append(gaps, g.Collector+": "+g.Error)
	}
	if all := strings.Join(gaps, "\n"); !strings.Contains(all, "events.json") || !strings.Contains(all, "junit.xml") {
		t.Errorf("the symlinks are not named as gaps:\n%s", all)
	}
	if r.Tests == nil || len(r.Tests.Cases) != 1 {
		t.Errorf("the regular results file was not read: %+v", r.Tests)
	}
}

// FuzzLoad analyses a generated bundle whose every file is fuzzed: whatever it holds, Load
// returns a report (bad files are gaps) and never panics or hangs.
func FuzzLoad(f *testing.F) {
	seed := func(rel string) []byte {
		b, _ := os.ReadFile(filepath.Join("../../testdata/bundles/demo", rel))
		return b
	}
	f.Add(seed("manifest.json"), seed("k8s/resources.json"), seed("k8s/events.json"), seed("k8s/operator-actions.json"), []byte("2026-01-01T00:00:00Z panic: boom\n"))
	f.Add([]byte(`{"version":1,"namespaces":["x"]}`), []byte(`{"items":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"x"},"spec":{"containers":[{"name":"c"}]}}]}`), []byte(`[]`), []byte(`null`), []byte("E0101 00:00:00.000000 1 x.go:1] boom\n"))
	f.Fuzz(func(t *testing.T, manifest, resources, events, actions, log []byte) {
		fsys := fstest.MapFS{
			"manifest.json":               {Data: manifest},
			"k8s/resources.json":          {Data: resources},
			"k8s/events.json":             {Data: events},
			"k8s/operator-actions.json":   {Data: actions},
			"k8s/logs/x/p/c.log":          {Data: log},
			"k8s/logs/x/p/c.previous.log": {Data: log},
			"results/junit.xml":           {Data: log},
		}
		r, err := model.LoadFS(context.Background(), fsys, "fuzz", model.Options{})
		if err != nil {
			t.Fatalf("a bundle of bad files is gaps, not an error: %v", err)
		}
		if r == nil || r.Status.Level == "" {
			t.Fatalf("no status: %+v", r)
		}
	})
}
