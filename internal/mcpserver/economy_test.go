package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/render"
)

// agentPath is what an agent reads to reach the cause of the demo's failure through the
// tools: summary, then get_finding on the top finding, then test_slice on the first
// failed test. It returns each answer's text.
func agentPath(t testing.TB) (summary, finding, slice string, reportMD int) {
	run := open(t, demo)
	cs := connect(t, run)
	sum := call(t, cs, "summary", nil)
	top := sum.data["top"].([]any)[0].(map[string]any)["id"].(string)
	test := sum.data["failedTests"].([]any)[0].(map[string]any)["name"].(string)
	gf := call(t, cs, "get_finding", map[string]any{"id": top})
	ts := call(t, cs, "test_slice", map[string]any{"test": test})
	md, err := render.Markdown(run.Report, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sum.text, gf.text, ts.text, len(md)
}

// The goal of the tools' economy: the cause (the builder's crash loop, and the panic that
// is its evidence) in the first answer, and the three answers that reach it at most a
// quarter of REPORT.md.
func TestTokenEconomy(t *testing.T) {
	s, f, sl, md := agentPath(t)
	first := strings.SplitN(s, "\n2. ", 2)[0]
	if !strings.Contains(first, "1. [critical] CrashLoopBackOff-") || !strings.Contains(first, "panic: assignment to entry in nil map") {
		t.Errorf("the first answer does not lead with the cause:\n%s", s)
	}
	total := len(s) + len(f) + len(sl)
	t.Logf("summary %d + get_finding %d + test_slice %d = %d bytes; REPORT.md %d bytes (%.1f%%)", len(s), len(f), len(sl), total, md, 100*float64(total)/float64(md))
	if total*4 > md {
		t.Errorf("the path to the cause is %d bytes, over 25%% of REPORT.md's %d", total, md)
	}
}

// BenchmarkAgentPath reports the bytes an agent reads through summary → get_finding →
// test_slice against REPORT.md whole (make bench).
func BenchmarkAgentPath(b *testing.B) {
	var total, md int
	for b.Loop() {
		s, f, sl, m := agentPath(b)
		total, md = len(s)+len(f)+len(sl), m
	}
	b.ReportMetric(float64(total), "agent-bytes")
	b.ReportMetric(float64(md), "reportmd-bytes")
	b.ReportMetric(100*float64(total)/float64(md), "%-of-reportmd")
}
