package model

import (
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/findings"
)

func countCategory(fs []findings.Finding, category string) int {
	n := 0
	for _, f := range fs {
		if f.Category == category {
			n++
		}
	}
	return n
}

func (r *Report) status() Status {
	counts := map[findings.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	failedTests := r.TestCounts["failed"] + r.TestCounts["error"]
	total := len(r.Tests.Cases)
	var parts []string
	unreadable := 0
	for _, src := range r.Tests.Sources {
		if src.Error != "" {
			unreadable++
		}
	}
	if unreadable > 0 {
		parts = append(parts, fmt.Sprintf("%d test results file(s) unreadable", unreadable))
	}
	if n := countCategory(r.Findings, "ReportUnreadable"); n > 0 {
		parts = append([]string{fmt.Sprintf("%d report(s) unreadable, outcome unknown", n)}, parts...)
	}
	if total > 0 {
		p := fmt.Sprintf("%d/%d tests passed", r.TestCounts["passed"], total)
		if failedTests > 0 {
			p = fmt.Sprintf("%d of %d tests failed", failedTests, total)
		}
		if n := r.TestCounts["flaky"]; n > 0 {
			p += fmt.Sprintf(", %d flaky", n)
		}
		parts = append(parts, p)
	}
	serious := counts[findings.Critical] + counts[findings.Error]
	switch {
	case len(r.Findings) == 0:
		parts = append(parts, "no findings")
	default:
		f := fmt.Sprintf("%d findings", len(r.Findings))
		if counts[findings.Critical] > 0 {
			f += fmt.Sprintf(" (%d critical)", counts[findings.Critical])
		}
		parts = append(parts, f)
	}
	if len(r.Gaps) > 0 {
		parts = append(parts, fmt.Sprintf("%d collection gaps", len(r.Gaps)))
	}
	where := ""
	if r.Manifest != nil && len(r.Manifest.Namespaces) > 0 {
		where = " in " + strings.Join(r.Manifest.Namespaces, ", ")
	}
	switch {
	case failedTests > 0 || serious > 0:
		return newStatus("failed", strings.Join(parts, ", ")+where)
	case len(r.Findings) > 0 || r.TestCounts["flaky"] > 0:
		return newStatus("warning", strings.Join(parts, ", ")+where)
	}
	return newStatus("passed", strings.Join(parts, ", ")+where)
}

// Status is the one-line verdict. Its texts are plain (namespaces and shard names in
// them are untrusted); renderers format and escape them.
type Status struct {
	Level  string `json:"level"`  // "passed", "warning" or "failed"
	Detail string `json:"detail"` // counts, gaps and where, e.g. "2 of 9 tests failed, 5 findings in ns"
}

func newStatus(level, detail string) Status {
	return Status{Level: level, Detail: detail}
}
