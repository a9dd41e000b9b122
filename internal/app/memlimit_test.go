package app

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestCollectMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(math.MaxInt64)
	restore := (&Service{Getenv: func(string) string { return "" }}).limitCollectMemory()
	if got := debug.SetMemoryLimit(-1); got != collectMemoryLimit {
		t.Errorf("limit while collecting = %d, want %d", got, collectMemoryLimit)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit after collecting = %d, want it restored", got)
	}
	// GOMEMLIMIT is the user's: left alone.
	(&Service{Getenv: func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	}}).limitCollectMemory()()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit with GOMEMLIMIT set = %d, want it untouched", got)
	}
}
