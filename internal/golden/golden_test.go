package golden

import (
	"strings"
	"testing"
)

func TestDiffNamesFirstDifferentLine(t *testing.T) {
	d := Diff([]byte("a\nb\nc\nd\n"), []byte("a\nb\nX\nd\n"))
	if !strings.Contains(d, "-     3  c") || !strings.Contains(d, "+     3  X") || !strings.Contains(d, "      2  b") {
		t.Errorf("diff:\n%s", d)
	}
	if d := Diff([]byte("a"), []byte("a\nextra")); !strings.Contains(d, "+     2  extra") || !strings.Contains(d, "(end of file)") {
		t.Errorf("diff of a longer output:\n%s", d)
	}
	if d := Diff([]byte("same"), []byte("same")); d != "(identical)" {
		t.Errorf("diff of equal = %q", d)
	}
}

type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.failed = f }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = f }
func (r *recorder) Fatal(a ...any)            { r.failed = "fatal" }

func TestAssert(t *testing.T) {
	if Updating() {
		t.Skip("not meaningful with -update")
	}
	path := t.TempDir() + "/x.golden"
	r := &recorder{TB: t}
	Assert(r, path, []byte("x"))
	if !strings.Contains(r.failed, "run with -update") {
		t.Errorf("a missing golden file does not fail with a hint: %q", r.failed)
	}
	*update = true
	Assert(r, path, []byte("x\n"))
	*update = false
	r.failed = ""
	Assert(r, path, []byte("x\n"))
	if r.failed != "" {
		t.Errorf("equal output failed: %s", r.failed)
	}
	Assert(r, path, []byte("y\n"))
	if !strings.Contains(r.failed, "differs") {
		t.Errorf("different output passed")
	}
}
