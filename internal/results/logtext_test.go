package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each log's cases count exactly as the tool's own summary line counts them.
func TestParseLogCountsAsTheToolPrinted(t *testing.T) {
	for _, tc := range []struct {
		file   string
		format string
		counts map[Status]int
		named  map[string]Status // tests the log names, with their outcome
		msg    map[string]string
	}{
		{"pytest-verbose.log", LogPytest, map[Status]int{Failed: 1, Passed: 1, Skipped: 1, Error: 1},
			map[string]Status{"test_create_order": Failed, "test_list_orders": Passed, "test_cancel_order[express]": Skipped, "test_invoice": Error},
			map[string]string{"test_create_order": "AssertionError: assert 503 == 201", "test_invoice": "RuntimeError: namespace billing-e2e not ready"}},
		{"pytest-quiet.log", LogPytest, map[Status]int{Failed: 2, Passed: 39, Skipped: 1},
			map[string]Status{"test_create_order": Failed, "test_refund": Failed},
			map[string]string{"test_refund": "TimeoutError: refund not settled after 30s"}},
		{"pytest-xdist.log", LogPytest, map[Status]int{Failed: 1, Passed: 2},
			map[string]Status{"test_create_order": Failed, "test_search[shoes]": Passed}, nil},
		{"ginkgo.log", LogGinkgo, map[Status]int{Failed: 1, Passed: 4, Skipped: 1},
			map[string]Status{"APIGraph controller reconciles a graph to Ready": Failed}, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile("../../testdata/results/logs/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			cases, format := ParseLog(b)
			if format != tc.format {
				t.Fatalf("format %q, want %q", format, tc.format)
			}
			got := map[Status]int{}
			byName := map[string]Case{}
			for _, c := range cases {
				got[c.Status]++
				byName[c.Name] = c
			}
			for st, n := range tc.counts {
				if got[st] != n {
					t.Errorf("%s: %d, want %d (all: %v)", st, got[st], n, got)
				}
			}
			for name, st := range tc.named {
				if c, ok := byName[name]; !ok || c.Status != st {
					t.Errorf("%s: %+v, want %s", name, c, st)
				}
			}
			for name, msg := range tc.msg {
				if byName[name].Message != msg {
					t.Errorf("%s message %q, want %q", name, byName[name].Message, msg)
				}
			}
		})
	}
}

func TestParseLogLocations(t *testing.T) {
	b, _ := os.ReadFile("../../testdata/results/logs/pytest-verbose.log")
	cases, _ := ParseLog(b)
	for _, c := range cases {
		if c.Name == "test_create_order" && (c.File != "tests/e2e/test_orders.py" || c.Line != 17) {
			t.Errorf("test_create_order at %s:%d, want tests/e2e/test_orders.py:17", c.File, c.Line)
		}
	}
	b, _ = os.ReadFile("../../testdata/results/logs/ginkgo.log")
	cases, _ = ParseLog(b)
	if cases[0].File != "/src/e2e/apigraph_test.go" || cases[0].Line != 63 || cases[0].Suite != "Operator E2E Suite" {
		t.Errorf("ginkgo failure: %+v", cases[0])
	}
}

func TestParseLogIgnoresOrdinaryLogs(t *testing.T) {
	for _, s := range []string{
		`{"level":"info","msg":"reconciled","passed":3}`,
		"2 failed attempts to connect in 3s\n",
		"server listening on :8080\nshutting down\n",
	} {
		if cases, format := ParseLog([]byte(s)); format != "" || cases != nil {
			t.Errorf("%q read as %s: %v", s, format, cases)
		}
	}
}

// pytest xunit1: a decorated (parametrized) test points into its body, not at the
// decorator; a setup error at the fixture that raised, not the line before it.
func TestPytestJUnitLocations(t *testing.T) {
	r := ParseFiles([]string{"../../testdata/results/pytest-junit.xml"})
	want := map[string]string{
		"test_pool_survives_oom": "test_envmanager.py:9",
		"test_parallel[3]":       "test_envmanager.py:19",
		"test_error_in_fixture":  "test_envmanager.py:28",
	}
	for _, c := range r.Cases {
		if w, ok := want[c.Name]; ok {
			if got := fmt.Sprintf("%s:%d", c.File, c.Line); got != w {
				t.Errorf("%s at %s, want %s", c.Name, got, w)
			}
		}
	}
}

// Real pytest console output (generate-logs.sh: -q, default, -v, -rA, pytest-xdist), read
// as a test Job's log: our totals are the ones pytest printed, every failing case carries
// its reason, and the names are pytest's node names.
func TestLogTotalsMatchTheTools(t *testing.T) {
	counts, _ := filepath.Glob("../../testdata/results/logs/*.counts.json")
	if len(counts) < 6 {
		t.Fatalf("only %d counts files: run testdata/results/generate-logs.sh", len(counts))
	}
	for _, cf := range counts {
		base := strings.TrimSuffix(filepath.Base(cf), ".counts.json")
		t.Run(base, func(t *testing.T) {
			var tool map[string]int
			b, err := os.ReadFile(cf)
			if err == nil {
				err = json.Unmarshal(b, &tool)
			}
			if err != nil {
				t.Fatal(err)
			}
			log, err := os.ReadFile(strings.TrimSuffix(cf, ".counts.json") + ".log")
			if err != nil {
				t.Fatal(err)
			}
			cases, format := ParseLog(log)
			if format != LogPytest {
				t.Fatalf("format %q, want %q", format, LogPytest)
			}
			got := map[string]int{}
			names := map[string]Status{}
			for _, c := range cases {
				got[map[Status]string{Passed: "passed", Failed: "failed", Error: "errored", Skipped: "skipped"}[c.Status]]++
				names[c.Name] = c.Status
				if c.Status.Failing() && c.Message == "" {
					t.Errorf("%s %s has no reason", c.Status, c.Name)
				}
			}
			for k, v := range tool {
				if got[k] != v {
					t.Errorf("%s = %d, pytest printed %d (pytest %v, ours %v)", k, got[k], v, tool, got)
				}
			}
			if len(got) > len(tool) {
				t.Errorf("buckets pytest does not have: ours %v, pytest %v", got, tool)
			}
			for name, st := range map[string]Status{"test_pool_survives_oom": Failed, "test_parallel[3]": Failed, "test_error_in_fixture": Error} {
				if names[name] != st {
					t.Errorf("%s: %q, want %s (all: %v)", name, names[name], st, names)
				}
			}
		})
	}
}
