package golden

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// fakeT records a failure instead of stopping the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Fatal(...any)          { f.failed = true }

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestVersioned(t *testing.T) {
	file := filepath.Join(t.TempDir(), "versions.txt")
	os.WriteFile(file, []byte("1 "+sha("v1 shape")+"\n"), 0o644)
	check := func(version int, shape string) bool {
		ft := &fakeT{TB: t}
		Versioned(ft, file, version, []byte(shape))
		return !ft.failed
	}
	if !check(1, "v1 shape") {
		t.Error("the recorded shape of version 1 fails")
	}
	if check(1, "v1 shape, changed") {
		t.Error("a changed shape under version 1 passes")
	}
	if check(2, "v2 shape") {
		t.Error("an unrecorded version passes without -update")
	}
}
