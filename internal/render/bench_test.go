package render

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/reportjson"
)

// failingJUnit writes a JUnit file of n failing tests, one second apart.
func failingJUnit(tb testing.TB, path string, n int) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><testsuites><testsuite name="e2e" timestamp="2026-11-21T23:30:00Z">`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<testcase name="TestCase%05d" classname="e2e" time="1"><failure message="case %d failed: connection refused">    case_test.go:%d: connection refused</failure></testcase>`, i, i, i%500+1)
	}
	b.WriteString(`</testsuite></testsuites>`)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkRender40kFailingTests renders the demo bundle with 40,000 failing tests, the
// whole path of `ci-report render`: load (parse, detect, slices, redact) and every output.
// Goal: well under 5 s an op on a 2-core machine.
func BenchmarkRender40kFailingTests(b *testing.B) {
	dir := b.TempDir()
	copyDir(b, filepath.Join(bundles, "demo"), dir)
	failingJUnit(b, filepath.Join(dir, "results", "40k.xml"), 40000)
	rd, _ := redact.New(nil)
	out := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		r, err := model.Load(context.Background(), dir, model.Options{Redactor: rd})
		if err != nil {
			b.Fatal(err)
		}
		loaded := time.Since(start)
		if err := WriteAll(context.Background(), out, r, Options{}); err != nil {
			b.Fatal(err)
		}
		if len(r.FailedTests) < 40000 {
			b.Fatalf("%d failed tests", len(r.FailedTests))
		}
		b.ReportMetric(loaded.Seconds(), "load-s/op")
	}
}

// report.json once grew without bound (100 MB of input gave 414 MB); now it keeps to its
// budget, says what it cut, and keeps what an agent needs first.
func TestJSONBudget(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, filepath.Join(bundles, "demo"), dir)
	failingJUnit(t, filepath.Join(dir, "results", "many.xml"), 5000)
	r, err := model.Load(context.Background(), dir, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := reportjson.Encode(r, 0)
	if err != nil {
		t.Fatal(err)
	}
	const budget = 512 << 10
	if len(full) <= budget {
		t.Fatalf("the fixture is too small (%d bytes) to test a %d-byte budget", len(full), budget)
	}
	b, err := reportjson.Encode(r, budget)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > budget {
		t.Fatalf("report.json is %d bytes, over its %d-byte budget", len(b), budget)
	}
	var got model.Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Cuts) == 0 || len(got.Findings) == 0 || got.TestCounts["failed"] != r.TestCounts["failed"] || got.Status != r.Status {
		t.Errorf("cuts %q, %d findings, counts %v, status %+v", got.Cuts, len(got.Findings), got.TestCounts, got.Status)
	}
	if len(r.Cuts) != 0 {
		t.Error("JSON changed the report it was given")
	}
	t.Logf("%d bytes in full, %d within the budget; cuts: %q", len(full), len(b), got.Cuts)
}
