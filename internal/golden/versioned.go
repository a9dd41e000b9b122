package golden

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
)

// Versioned guards a format's shape: file records one line "VERSION SHA256" per version
// of shape (e.g. a JSON Schema generated from the wire types). The test fails when shape
// changed under a version already recorded — the format changed without a new version —
// and when the version is not recorded yet; -update records a new version, never
// rewrites an old one.
func Versioned(t testing.TB, file string, version int, shape []byte) {
	t.Helper()
	sum := sha256.Sum256(shape)
	hash := hex.EncodeToString(sum[:])
	b, _ := os.ReadFile(file)
	recorded := map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var v int
		var h string
		if _, err := fmt.Sscanf(sc.Text(), "%d %s", &v, &h); err == nil {
			recorded[v] = h
		}
	}
	h, ok := recorded[version]
	switch {
	case ok && h != hash:
		t.Fatalf("the shape changed under version %d (sha256 %s, %s records %s): bump the version, say what changed, then run with -update", version, hash, file, h)
	case !ok && *update:
		f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := fmt.Fprintf(f, "%d %s\n", version, hash); err != nil {
			t.Fatal(err)
		}
	case !ok:
		t.Fatalf("version %d's shape is not recorded in %s: run with -update", version, file)
	}
}
