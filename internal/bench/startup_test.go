package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ci-report")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func needGNUTime(t *testing.T) {
	if _, err := exec.LookPath("time"); err != nil {
		t.Skip("GNU time is not installed (apt-get install time); the benchmark says so too")
	}
}

func TestMeasureStartup(t *testing.T) {
	needGNUTime(t)
	dir := t.TempDir()
	bin := script(t, `[ "$1" = version ] || exit 3; echo run >> "`+filepath.Join(dir, "ran")+`"`)
	s := MeasureStartup(bin, 5)
	if s.Err != "" || s.Runs != 5 || s.Min <= 0 || s.Min > s.Median || s.Median > s.Max {
		t.Fatalf("MeasureStartup = %+v, want 5 ordered measurements", s)
	}
	if ran, _ := os.ReadFile(filepath.Join(dir, "ran")); strings.Count(string(ran), "run") != 5 {
		t.Errorf("`version` ran %d times, want 5", strings.Count(string(ran), "run"))
	}
	bad := MeasureStartup(script(t, `echo broken >&2; exit 2`), 3)
	if !strings.Contains(bad.Err, "broken") || bad.Max != 0 {
		t.Errorf("a failing binary: %+v, want its error and no figures", bad)
	}
	if missing := MeasureStartup(filepath.Join(t.TempDir(), "nope"), 3); missing.Err == "" {
		t.Error("a missing binary measured")
	}
}

func TestStartupLine(t *testing.T) {
	for _, tc := range []struct {
		s    Startup
		want string
	}{
		{Startup{Runs: 30, Min: 38 << 20, Median: 39 << 20, Max: 39<<20 + 900<<10}, "over 30 runs of the installed binary: 38.0 MiB, median 39.0 MiB, at most 39.9 MiB (goal ≤ 40.0 MiB on every run: met)"},
		{Startup{Runs: 30, Min: 39 << 20, Median: 40 << 20, Max: 41 << 20}, "at most 41.0 MiB (goal ≤ 40.0 MiB on every run: missed)"},
		{Startup{Runs: 5, Err: "fork/exec: no | such file"}, "not measured (failed: fork/exec: no / such file)."},
	} {
		if got := tc.s.line(); !strings.Contains(got, tc.want) {
			t.Errorf("line() = %q, want it to contain %q", got, tc.want)
		}
	}
	res := &Results{Startup: &Startup{Runs: 5, Min: 1 << 20, Median: 2 << 20, Max: 3 << 20}}
	var b strings.Builder
	res.Write(&b)
	if !strings.Contains(b.String(), "`ci-report version` peak RSS over 5 runs") {
		t.Errorf("the report has no start-up line:\n%s", b.String())
	}
}

// The figure is the binary's own peak RSS, not the harness's: a measuring process that
// holds 200 MiB measures a tiny script as tiny (its child shared that memory until exec,
// and Linux kept the mark in the child's rusage).
func TestMeasureStartupIsTheChildsOwn(t *testing.T) {
	needGNUTime(t)
	ballast := make([]byte, 200<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	s := MeasureStartup(script(t, `true`), 3)
	if s.Err != "" || s.Max > 50<<20 {
		t.Errorf("a shell script measured %d MiB (%s) beside a 200 MiB harness", s.Max>>20, s.Err)
	}
	runtime.KeepAlive(ballast)
}
