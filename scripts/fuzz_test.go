package scripts_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fuzz.sh runs a target again only when Go's fuzz coordinator failed it with its own
// deadline race (golang/go#75804): a bare "context deadline exceeded", no failing input.
func TestFuzzRetriesOnlyTheCoordinatorsDeadlineRace(t *testing.T) {
	race := "fuzz: elapsed: 5s, execs: 8 (0/sec)\n--- FAIL: FuzzX (5.01s)\n    context deadline exceeded\nFAIL"
	finding := "--- FAIL: FuzzX (0.20s)\n    --- FAIL: FuzzX (0.00s)\n        panic: boom\n    Failing input written to testdata/fuzz/FuzzX/abc\n    context deadline exceeded\nFAIL"
	for _, tc := range []struct {
		name    string
		outputs []string // what each go test run prints; "" passes
		ok      bool
		runs    int
	}{
		{"the race, then a pass", []string{race, ""}, true, 2},
		{"a real finding", []string{finding, ""}, false, 1},
		{"another failure", []string{"--- FAIL: FuzzX\n    fuzz_test.go:12: wrong\nFAIL", ""}, false, 1},
		{"the race every time", []string{race, race, race, ""}, false, 3},
		{"a pass", []string{""}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var script strings.Builder
			script.WriteString("#!/usr/bin/env bash\nn=$(cat \"$(dirname \"$0\")/runs\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$(dirname \"$0\")/runs\"\ncase $n in\n")
			for i, out := range tc.outputs {
				if out == "" {
					fmt.Fprintf(&script, "%d) echo ok; exit 0;;\n", i+1)
				} else {
					fmt.Fprintf(&script, "%d) printf '%%s\\n' %q; exit 1;;\n", i+1, out)
				}
			}
			script.WriteString("esac\nexit 2\n")
			fake := filepath.Join(dir, "go")
			if err := os.WriteFile(fake, []byte(script.String()), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "fuzz.sh", "./internal/x", "FuzzX", "1s")
			cmd.Env = append(os.Environ(), "GO="+fake)
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("exit error %v, want ok=%v\n%s", err, tc.ok, out)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "runs"))
			if got := strings.TrimSpace(string(b)); got != fmt.Sprint(tc.runs) {
				t.Errorf("go test ran %s time(s), want %d\n%s", got, tc.runs, out)
			}
		})
	}
}
