// Package golden compares test output with committed golden files. Run a package's tests
// with -update to rewrite them, then review the diff in git:
//
//	go test ./internal/render -update
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Assert compares got with the golden file at path (relative to the test's package) and
// fails the test with the first differing line; with -update it writes got instead.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("output differs from %s (run with -update to accept, then review the diff):\n%s", path, Diff(want, got))
	}
}

// Diff describes the first line where want and got differ, with a little context.
func Diff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl && i < len(w) && i < len(g) {
			continue
		}
		var b strings.Builder
		for j := max(0, i-2); j < i; j++ {
			fmt.Fprintf(&b, "  %5d  %s\n", j+1, w[j])
		}
		if i < len(w) {
			fmt.Fprintf(&b, "- %5d  %s\n", i+1, wl)
		} else {
			fmt.Fprintf(&b, "- %5d  (end of file)\n", i+1)
		}
		if i < len(g) {
			fmt.Fprintf(&b, "+ %5d  %s\n", i+1, gl)
		} else {
			fmt.Fprintf(&b, "+ %5d  (end of output)\n", i+1)
		}
		fmt.Fprintf(&b, "(%d lines want, %d lines got)", len(w), len(g))
		return b.String()
	}
	return "(identical)"
}
