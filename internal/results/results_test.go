package results

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/org/k8s-e2e-report/internal/golden"
)

const fixtures = "../../testdata/results"

func parse(t *testing.T, name string) map[string]Case {
	t.Helper()
	r := ParseFiles([]string{filepath.Join(fixtures, name)})
	if len(r.Sources) != 1 || r.Sources[0].Error != "" {
		t.Fatalf("%s: %+v", name, r.Sources)
	}
	for i := range r.Cases {
		r.Cases[i].Source = filepath.Base(r.Cases[i].Source)
	}
	b, _ := json.MarshalIndent(r.Cases, "", "  ")
	golden.Assert(t, filepath.Join("testdata", strings.TrimSuffix(name, filepath.Ext(name))+".golden.json"), b)
	m := map[string]Case{}
	for _, c := range r.Cases {
		m[c.Name] = c
	}
	return m
}

func want(t *testing.T, cases map[string]Case, name string, status Status, check func(Case) bool) {
	t.Helper()
	c, ok := cases[name]
	if !ok {
		keys := []string{}
		for k := range cases {
			keys = append(keys, k)
		}
		t.Fatalf("no case %q; have %q", name, keys)
	}
	if c.Status != status {
		t.Errorf("%s: status %s, want %s (%+v)", name, c.Status, status, c)
	}
	if check != nil && !check(c) {
		t.Errorf("%s: unexpected fields %+v", name, c)
	}
}

func TestGotestsumJUnitWithReruns(t *testing.T) {
	c := parse(t, "gotestsum-junit.xml")
	want(t, c, "TestFlakyGateway", Flaky, func(c Case) bool { return c.Attempts == 2 && strings.Contains(c.Message, "connection refused") })
	want(t, c, "TestOrdersAPI", Failed, func(c Case) bool {
		return c.Attempts == 3 && strings.HasPrefix(c.Message, "GET /api/orders: got 503") && c.File == "orders_test.go" && c.Line == 16
	})
	want(t, c, "TestSkippedOnKind", Skipped, nil)
	want(t, c, "TestUsersAPI/list", Passed, func(c Case) bool { return !c.Start.IsZero() })
}

func TestGoTestJSON(t *testing.T) {
	c := parse(t, "gotest.json")
	want(t, c, "TestOrdersAPI", Failed, func(c Case) bool { return c.Line == 16 && !c.Start.IsZero() })
	want(t, c, "TestSkippedOnKind", Skipped, func(c Case) bool { return c.Message == "needs a LoadBalancer" })
	// gotestsum's json file holds the first run and the reruns.
	c = parse(t, "gotestsum-rerun.json")
	want(t, c, "TestFlakyGateway", Flaky, nil)
	want(t, c, "TestOrdersAPI", Failed, func(c Case) bool { return c.Attempts == 3 })
}

func TestGoJUnitReport(t *testing.T) {
	c := parse(t, "go-junit-report.xml")
	want(t, c, "TestOrdersAPI", Failed, nil)
	want(t, c, "TestSkippedOnKind", Skipped, nil)
}

func TestGinkgo(t *testing.T) {
	c := parse(t, "ginkgo-report.json")
	want(t, c, "APIGraph reconciles orders", Failed, func(c Case) bool {
		return strings.Contains(c.Message, "APIGraph orders is not Ready") && strings.HasSuffix(c.File, "suite_test.go") && c.Line > 0
	})
	want(t, c, "APIGraph serves the console", Flaky, func(c Case) bool {
		// The reason of the failed attempt, not only "passed on attempt 2".
		return c.Attempts == 2 && strings.HasPrefix(c.Message, "console returned 502") && c.Line == 32
	})
	want(t, c, "APIGraph handles a panic", Error, func(c Case) bool { return strings.Contains(c.Message, "panic") })
	want(t, c, "APIGraph scales to zero", Skipped, nil)
	// Ginkgo's JUnit: the flake keeps the failed attempt's reason (from system-err), and
	// passed setup nodes are not tests, serial or once per parallel process.
	for _, f := range []string{"ginkgo-junit.xml", "ginkgo-parallel-junit.xml"} {
		j := parse(t, f)
		want(t, j, "[It] APIGraph serves the console", Flaky, func(c Case) bool {
			return c.Attempts == 2 && c.Message == "console returned 502"
		})
		if _, ok := j["[BeforeSuite]"]; ok {
			t.Errorf("%s: a passed BeforeSuite is reported as a test", f)
		}
		if len(j) != 5 {
			t.Errorf("%s: %d cases, want the 5 specs", f, len(j))
		}
	}
}

// A Go panic's message is the panic, not the test's last t.Log line, in every format.
func TestGoPanicMessage(t *testing.T) {
	for _, f := range []string{"gotest.json", "gotest-v.txt", "go-junit-report.xml", "gotestsum-panic-junit.xml"} {
		c := parse(t, f)
		want(t, c, "TestReconcilePanics", c["TestReconcilePanics"].Status, func(c Case) bool {
			return c.Status.Failing() && strings.Contains(c.Message, "assignment to entry in nil map") && !strings.Contains(c.Message, "reconciling APIGraph orders")
		})
	}
}

func TestMochaAndVitest(t *testing.T) {
	m := parse(t, "mocha-junit.xml")
	want(t, m, "orders API creates an order", Failed, func(c Case) bool { return strings.HasPrefix(c.Message, "POST /api/orders returned 503") })
	if n := len(m); n != 6 {
		t.Errorf("mocha: %d cases, want 6 (5 listed, 1 skipped counted only by the root)", n)
	}
	v := parse(t, "vitest-junit.xml")
	want(t, v, "console > shows orders as ready", Failed, func(c Case) bool { return strings.Contains(c.Message+c.Details, "DependencyNotReady") })
	want(t, v, "console > exports a PNG", Skipped, nil)
	want(t, v, "console > supports dark mode", Skipped, nil)
}

func TestJestJUnit(t *testing.T) {
	c := parse(t, "jest-junit.xml")
	want(t, c, "console shows orders as ready", Failed, func(c Case) bool {
		return c.File == "console.test.js" && strings.Contains(c.Details, "DependencyNotReady")
	})
	want(t, c, "login | <script>alert(1)</script> accepts a token", Failed, func(c Case) bool { return strings.Contains(c.Message, "401") })
	want(t, c, "console exports a PNG", Skipped, nil)
}

func TestPytest(t *testing.T) {
	for _, f := range []string{"pytest-junit.xml", "pytest-xunit2-junit.xml", "pytest-xdist-junit.xml"} {
		c := parse(t, f)
		want(t, c, "test_pool_survives_oom", Failed, func(c Case) bool { return strings.Contains(c.Message, "OOMKilled") })
		want(t, c, "test_error_in_fixture", Error, func(c Case) bool { return strings.Contains(c.Details+c.Message, "registry unreachable") })
		want(t, c, "test_parallel[3]", Failed, nil)
		want(t, c, "test_gpu_pool", Skipped, nil)
	}
	// xunit1's line= is 0-based: test_pool_warms' def is on line 4 of its file.
	c := parse(t, "pytest-junit.xml")
	want(t, c, "test_pool_warms", Passed, func(c Case) bool { return c.File == "test_envmanager.py" && c.Line == 4 })
}

// pytest's suite renamed with -o junit_suite_name: its xunit1 line= is still 0-based, and
// a test defined on the file's first line has line="0". unittest-xml-reporting's
// 1-based line= (each case stamped) is left as it is.
func TestPytestRenamedSuiteLines(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtures, "pytest-junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	renamed := strings.Replace(string(b), `<testsuite name="pytest"`, `<testsuite name="e2e-smoke"`, 1)
	renamed = strings.Replace(renamed, `name="test_pool_warms" file="test_envmanager.py" line="3"`, `name="test_pool_warms" file="test_envmanager.py" line="0"`, 1)
	cs, err := junitByName([]byte(renamed))
	if err != nil {
		t.Fatal(err)
	}
	want(t, cs, "test_pool_warms", Passed, func(c Case) bool { return c.Line == 1 })
	want(t, cs, "test_parallel[1]", Passed, func(c Case) bool { return c.Line == 17 })
	// A failure keeps the traceback's line (the assert), as with the default name.
	want(t, cs, "test_pool_survives_oom", Failed, func(c Case) bool { return c.Line == 9 })

	xmlrunner := `<testsuites><testsuite name="tests.TestEnv-20261122" tests="1" file="tests/test_env.py" time="0.001" timestamp="2026-11-22T16:55:46" failures="0" errors="0" skipped="0" hostname="vm">` +
		`<testcase classname="tests.TestEnv" name="test_warm" time="0.001" timestamp="2026-11-22T16:55:46" file="tests/test_env.py" line="12"/></testsuite></testsuites>`
	cs, err = junitByName([]byte(xmlrunner))
	if err != nil {
		t.Fatal(err)
	}
	want(t, cs, "test_warm", Passed, func(c Case) bool { return c.Line == 12 })
}

func junitByName(b []byte) (map[string]Case, error) {
	cs, err := ParseJUnit(b)
	m := map[string]Case{}
	for _, c := range cs {
		m[c.Name] = c
	}
	return m, err
}

func TestBadInputNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.xml")
	os.WriteFile(bad, []byte(`<testsuite><testcase name="a">`), 0o644)
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(other, []byte("hello"), 0o644)
	good := filepath.Join(fixtures, "go-junit-report.xml")
	files, missing := Expand([]string{bad, other, good, filepath.Join(dir, "nope-*.xml")})
	r := ParseFiles(files)
	if len(missing) != 1 || !strings.Contains(missing[0].Error, "no file matches") {
		t.Errorf("missing pattern: %+v", missing)
	}
	errs := map[string]string{}
	for _, s := range r.Sources {
		errs[filepath.Base(s.Path)] = s.Error
	}
	if !strings.Contains(errs["broken.xml"], "broken.xml") || !strings.Contains(errs["broken.xml"], "JUnit") {
		t.Errorf("broken.xml error = %q", errs["broken.xml"])
	}
	if !strings.Contains(errs["notes.txt"], "not a results file") {
		t.Errorf("notes.txt error = %q", errs["notes.txt"])
	}
	if errs["go-junit-report.xml"] != "" || len(r.Cases) == 0 {
		t.Errorf("the good file was lost: %q, %d cases", errs["go-junit-report.xml"], len(r.Cases))
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"gotestsum-junit.xml", "gotest.json", "ginkgo-report.json", "jest-junit.xml"} {
		b, _ := os.ReadFile(filepath.Join(fixtures, n))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// From memory, not a temporary file: an execution is the parsers' work alone.
		r, err := Parse(context.Background(), []Input{{Path: "r", Read: func() ([]byte, error) { return b, nil }}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Cases {
			if c.Status == "" {
				t.Errorf("case without status: %+v", c)
			}
		}
	})
}

// A hostile file of ~10k nested suites once took go-junit to 4.3 GB and an OOM kill.
func TestJUnitDeepNestingIsRefusedCheaply(t *testing.T) {
	const n = 10000
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><testsuites>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<testsuite name="s%d" tests="1"><testcase name="c%d"><failure message="x">%s</failure></testcase>`, i, i, strings.Repeat("y", 64))
	}
	for i := 0; i < n; i++ {
		b.WriteString(`</testsuite>`)
	}
	b.WriteString(`</testsuites>`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cases, err := ParseJUnit([]byte(b.String()))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "nested deeper than") {
		t.Fatalf("err = %v, want the nesting limit named", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("allocated %d MiB for a %d KiB file", got>>20, b.Len()>>10)
	}
	if len(cases) == 0 {
		t.Error("the cases before the limit were lost")
	}
}

func TestJUnitNestedSuitesAndCapturedText(t *testing.T) {
	doc := `<testsuites><testsuite name="outer" timestamp="2026-01-02T03:04:05Z"><testsuite name="inner">
<testcase name="a" classname="c" time="1.5"><failure message="boom &amp; bust"><![CDATA[trace <b>x</b>]]> tail</failure><system-out>out</system-out></testcase>
</testsuite><testcase name="b" time="2"><error type="E">err body</error></testcase><testcase name="s"><skipped message="later"/></testcase></testsuite></testsuites>`
	cases, err := ParseJUnit([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 3 {
		t.Fatalf("got %d cases", len(cases))
	}
	a, b, s := cases[0], cases[1], cases[2]
	if a.Suite != "inner" || a.Status != Failed || a.Message != "boom & bust" || a.Details != "trace <b>x</b> tail" || a.Duration != 1500*time.Millisecond {
		t.Errorf("a = %+v", a)
	}
	if b.Suite != "outer" || b.Status != Error || b.Message != "err body" || !b.Start.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("b = %+v", b)
	}
	if s.Status != Skipped || s.Message != "later" {
		t.Errorf("s = %+v", s)
	}
}

// Plain `go test -v` output (no -json), as a real run of the fixture project wrote it,
// parsed with go-junit-report v2's parser.
func TestGoTestVerboseText(t *testing.T) {
	c := parse(t, "gotest-v.txt")
	want(t, c, "TestOrdersAPI", Failed, func(c Case) bool {
		return strings.HasPrefix(c.Message, "GET /api/orders: got 503") && c.File == "orders_test.go" && c.Line == 16 && c.Suite == "example.com/e2e"
	})
	want(t, c, "TestSkippedOnKind", Skipped, func(c Case) bool { return strings.Contains(c.Message, "needs a LoadBalancer") })
	want(t, c, "TestUsersAPI/get", Passed, nil)
}

// A test binary that panics: the message is the panic, not the last t.Log line.
func TestGoTestVerbosePanic(t *testing.T) {
	out := "=== RUN   TestBoom\n    boom_test.go:9: starting\n--- FAIL: TestBoom (0.00s)\npanic: assignment to entry in nil map [recovered]\n\tpanic: assignment to entry in nil map\n\ngoroutine 7 [running]:\nexample.com/e2e.TestBoom(0xc000102820)\n\t/src/boom_test.go:10 +0x45\nFAIL\texample.com/e2e\t0.005s\n"
	if Detect([]byte(out)) != "go-test-text" {
		t.Fatalf("detected as %q", Detect([]byte(out)))
	}
	cases, err := ParseGoTestText([]byte(out))
	if err != nil || len(cases) != 1 {
		t.Fatalf("%v %+v", err, cases)
	}
	if c := cases[0]; c.Status != Error || !strings.HasPrefix(c.Message, "panic: assignment to entry in nil map") || !strings.Contains(c.Details, "boom_test.go:10") {
		t.Errorf("case = %+v", c)
	}
}

// go-junit-report writes a test binary's panic into the suite-level system-out; the
// failed case must carry the panic, not its last t.Log line.
func TestJUnitSuiteLevelPanic(t *testing.T) {
	doc := `<testsuites><testsuite name="example.com/e2e" tests="2" failures="1">
<testcase name="TestFine" classname="example.com/e2e" time="0.000"></testcase>
<testcase name="TestBoom" classname="example.com/e2e" time="0.000"><failure message="Failed"><![CDATA[    boom_test.go:9: starting]]></failure></testcase>
<system-out><![CDATA[panic: assignment to entry in nil map [recovered]
	panic: assignment to entry in nil map

goroutine 7 [running]:
example.com/e2e.TestBoom(0xc000102820)
	/src/boom_test.go:10 +0x45
FAIL	example.com/e2e	0.005s]]></system-out></testsuite></testsuites>`
	cases, err := ParseJUnit([]byte(doc))
	if err != nil || len(cases) != 2 {
		t.Fatalf("%v %+v", err, cases)
	}
	boom := cases[1]
	if boom.Status != Error || !strings.HasPrefix(boom.Message, "panic: assignment to entry in nil map") || !strings.Contains(boom.Details, "boom_test.go:10") {
		t.Errorf("TestBoom = %+v", boom)
	}
	if cases[0].Status != Passed {
		t.Errorf("TestFine = %+v", cases[0])
	}
}

// mocha-junit-reporter without includePending counts a skipped test in the suite's
// attributes but writes no <testcase> for it: the count must still match the tool's.
func TestJUnitUnlistedSkippedTestsCounted(t *testing.T) {
	doc := `<testsuites name="Mocha Tests" tests="3" failures="1" skipped="1">
<testsuite name="Root Suite" tests="0" failures="0" skipped="0"></testsuite>
<testsuite name="orders" tests="3" failures="1" skipped="1">
<testcase name="lists orders" classname="lists orders" time="0.001"/>
<testcase name="creates an order" classname="creates an order" time="0.002"><failure message="expected 503 to equal 201">AssertionError</failure></testcase>
</testsuite></testsuites>`
	cases, err := ParseJUnit([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[Status]int{}
	for _, c := range cases {
		counts[c.Status]++
	}
	if len(cases) != 3 || counts[Skipped] != 1 || counts[Failed] != 1 || counts[Passed] != 1 {
		t.Errorf("cases %d, counts %v; want 3 tests with 1 skipped, as the file's attributes say", len(cases), counts)
	}
}

// With ginkgo -p, a failed BeforeSuite is reported once per parallel process: one node
// that failed, not a test that failed on every retry.
func TestGinkgoParallelBeforeSuiteIsOneNode(t *testing.T) {
	var reports []types.Report
	b, err := os.ReadFile(filepath.Join(fixtures, "ginkgo-report.json"))
	if err != nil || json.Unmarshal(b, &reports) != nil || len(reports) == 0 {
		t.Fatalf("fixture: %v", err)
	}
	r := &reports[0]
	loc := types.CodeLocation{FileName: "/src/ginkgo/suite_test.go", LineNumber: 12}
	for p := 1; p <= 3; p++ {
		r.SpecReports = append(r.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, LeafNodeLocation: loc,
			State: types.SpecStateFailed, ParallelProcess: p, NumAttempts: 1,
			Failure: types.Failure{Message: "registry not reachable", Location: loc}})
	}
	out, _ := json.Marshal(reports)
	cases, err := ParseGinkgoJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range MergeRetries(cases) {
		if strings.Contains(c.Name, "BeforeSuite") {
			n++
			if c.Attempts != 1 || c.Status != Failed {
				t.Errorf("BeforeSuite = %+v, want one failed node, 1 attempt", c)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d BeforeSuite cases, want 1", n)
	}
}
