package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// reasons are the failure reasons each fixture's tool printed: every one must be the
// message (or in the details) of a failing case, so a report shows why, not just that.
var reasons = map[string][]string{
	"gotest.json":                 {"got 503, want 200", "assignment to entry in nil map"},
	"gotest-v.txt":                {"got 503, want 200", "assignment to entry in nil map"},
	"go-junit-report.xml":         {"got 503, want 200", "assignment to entry in nil map"},
	"gotestsum-junit.xml":         {"got 503, want 200"},
	"gotestsum-rerun.json":        {"got 503, want 200", "gateway not ready: connection refused"},
	"gotestsum-panic-junit.xml":   {"assignment to entry in nil map"},
	"ginkgo-junit.xml":            {"APIGraph orders is not Ready", "assignment to entry in nil map", "console returned 502"},
	"ginkgo-report.json":          {"APIGraph orders is not Ready", "assignment to entry in nil map", "console returned 502"},
	"ginkgo-parallel-junit.xml":   {"APIGraph orders is not Ready", "assignment to entry in nil map", "console returned 502"},
	"ginkgo-parallel-report.json": {"APIGraph orders is not Ready", "assignment to entry in nil map", "console returned 502"},
	"jest-junit.xml":              {"DependencyNotReady", "401 from /api/login"},
	"mocha-junit.xml":             {"POST /api/orders returned 503", "expected 401, got 500"},
	"vitest-junit.xml":            {"DependencyNotReady", "401 from /api/login"},
	"pytest-junit.xml":            {"OOMKilled (exit 137)", "n=3 is too big", "fixture setup failed: registry unreachable"},
	"pytest-xunit2-junit.xml":     {"OOMKilled (exit 137)", "n=3 is too big", "fixture setup failed: registry unreachable"},
	"pytest-xdist-junit.xml":      {"OOMKilled (exit 137)", "n=3 is too big", "fixture setup failed: registry unreachable"},
}

// TestTotalsMatchTheTools checks every fixture made by a real run of a test tool
// (testdata/results/generate.sh) against the totals the tool itself reported
// (<fixture>.counts.json, read from the tool's own output by tool_counts.py): passed,
// failed, errored, skipped and flaky must be equal. A tool without an "errored" bucket
// counts errors (panics, setup failures) as failed, so ours are added up the same way.
func TestTotalsMatchTheTools(t *testing.T) {
	counts, _ := filepath.Glob(filepath.Join(fixtures, "*.counts.json"))
	if len(counts) < 15 {
		t.Fatalf("only %d counts files in %s: run generate.sh", len(counts), fixtures)
	}
	seen := map[string]bool{}
	for _, cf := range counts {
		base := strings.TrimSuffix(filepath.Base(cf), ".counts.json")
		fixture := ""
		for _, ext := range []string{".xml", ".json", ".txt"} {
			if _, err := os.Stat(filepath.Join(fixtures, base+ext)); err == nil {
				fixture = base + ext
			}
		}
		t.Run(base, func(t *testing.T) {
			if fixture == "" {
				t.Fatalf("no fixture for %s", cf)
			}
			seen[fixture] = true
			var tool map[string]int
			b, err := os.ReadFile(cf)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &tool); err != nil {
				t.Fatal(err)
			}
			r := ParseFiles([]string{filepath.Join(fixtures, fixture)})
			if len(r.Sources) != 1 || r.Sources[0].Error != "" {
				t.Fatalf("%s: %+v", fixture, r.Sources)
			}
			ours := r.Counts()
			got := map[string]int{"passed": ours[Passed], "failed": ours[Failed], "errored": ours[Error], "skipped": ours[Skipped], "flaky": ours[Flaky]}
			if _, ok := tool["errored"]; !ok {
				got["failed"] += got["errored"]
				got["errored"] = 0
			}
			for k, v := range tool {
				if got[k] != v {
					t.Errorf("%s: %s = %d, the tool reported %d (tool %v, ours %v)", fixture, k, got[k], v, tool, got)
				}
			}
			for k, v := range got {
				if _, ok := tool[k]; !ok && v != 0 {
					t.Errorf("%s: %d %s, a bucket the tool does not have (tool %v)", fixture, v, k, tool)
				}
			}
			var texts []string
			for _, c := range r.Cases {
				if c.Status.Failing() || c.Status == Flaky {
					if c.Message == "" {
						t.Errorf("%s: %s %s has no message", fixture, c.Status, c.Name)
					}
					if strings.HasPrefix(c.Message, "passed on attempt") {
						t.Errorf("%s: flaky %s lost its failure: %q", fixture, c.Name, c.Message)
					}
					texts = append(texts, c.Message+"\n"+c.Details)
				}
			}
			all := strings.Join(texts, "\n---\n")
			want, ok := reasons[fixture]
			if !ok {
				t.Fatalf("no expected reasons for %s in the reasons table", fixture)
			}
			for _, w := range want {
				if !strings.Contains(all, w) {
					t.Errorf("%s: no failing case shows %q", fixture, w)
				}
			}
		})
	}
	var missing []string
	for f := range reasons {
		if !seen[f] {
			missing = append(missing, f)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("fixtures without tool counts: %v", missing)
	}
}
