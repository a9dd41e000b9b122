package loglines

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLevelTrustsAnExplicitLevel(t *testing.T) {
	for line, want := range map[string]string{
		`time="2026-11-21T23:30:54Z" level=warning msg="error resolving manifest"`:   "warning",
		`{"level":"info","msg":"retrying after error: connection refused"}`:          "",
		`I0101 00:00:01.000000       1 main.go:52] reconcile error handled, requeue`: "",
		`E0101 00:01:40.000000       1 webhook.go:77] denied`:                        "error",
		`{"level":"error","msg":"Reconciler error"}`:                                 "error",
		`severity=WARN message="disk at 91%"`:                                        "warning",
		`panic: assignment to entry in nil map`:                                      "error",
		`Traceback (most recent call last):`:                                         "error",
		`GET /graphs/orders 500 in 41ms - Error: upstream gateway returned 503`:      "error",
		`all good`:                             "",
		`W0101 00:00:01.000000 1 x.go:1] slow`: "warning",
		`F0101 00:00:01.000000 1 x.go:1] boom`: "error",
		`I0101 00:00:01.000000 1 x.go:1] panic: recovered and logged`: "",
		`Iabcd not klog, but an Exception`:                            "error",
		`LVL=Warn msg=x`:                                              "warning",
		`lvl=e msg=short levels count`:                                "error",
		`SEVERITY: CRIT disk`:                                         "error",
		`GET /ready 200 in 3ms`:                                       "",
		`--- FAIL: TestX (0.1s)`:                                      "error",
		`ÉRROR: not ASCII, no rule`:                                   "",
	} {
		if got := Level(line); got != want {
			t.Errorf("Level(%q) = %q, want %q", line, got, want)
		}
	}
}

// One rule picks the line that says why something died: a panic over an earlier error
// line, an error-level line when nothing died, none in quiet output.
func TestTelling(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  int
	}{
		{[]string{"starting", "ERROR cache miss storm", "panic: nil map", "goroutine 1"}, 2},
		{[]string{"starting", `{"level":"error","msg":"db down"}`, "exiting"}, 1},
		{[]string{"E0101 00:01:40.000000 1 webhook.go:77] denied"}, 0},
		{[]string{"all good", "retrying after an error"}, -1},
	} {
		if got := Telling(c.lines); got != c.want {
			t.Errorf("Telling(%q) = %d, want %d", c.lines, got, c.want)
		}
	}
}

// Level's shortcuts (klog's prefix, the words every rule needs) agree with the rules on
// every line of the committed bundles' logs and of the test corpus.
func TestLevelShortcutsAgree(t *testing.T) {
	var lines []string
	filepath.WalkDir("../../testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") {
			b, _ := os.ReadFile(p)
			lines = append(lines, strings.Split(string(b), "\n")...)
		}
		return nil
	})
	if len(lines) < 100 {
		t.Fatalf("only %d log lines found", len(lines))
	}
	for _, l := range lines {
		if _, text := splitTimestamp(l); Level(text) != ruleLevel(text) {
			t.Errorf("Level(%q) = %q, the rules say %q", text, Level(text), ruleLevel(text))
		}
	}
}

// splitTimestamp drops the RFC 3339 time collect puts before each line.
func splitTimestamp(l string) (string, string) {
	if ts, rest, ok := strings.Cut(l, " "); ok && len(ts) >= 20 && ts[4] == '-' {
		return ts, rest
	}
	return "", l
}
