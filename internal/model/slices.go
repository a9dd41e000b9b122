package model

import (
	"sort"
	"time"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// perTest caps what each failed test's slice holds.
const perTest = 20

// slices links each failed test to the findings, timeline entries and log lines in its
// time window (from a minute before it started to ten seconds after it ended; the whole
// run when the test has no times). The candidates are sorted by time once and each
// window is found by binary search, so n failed tests cost O(n log m), not O(n·m).
func (r *Report) slices() []FailedTest {
	out := []FailedTest{}
	// Candidates, each in time order; those without a time match only tests without one.
	var critical []string // critical findings go with every failed test
	var timedFindings []timed[string]
	rank := map[string]int{}
	for i, f := range r.Findings {
		rank[f.ID] = i
		if f.Category == "TestFailed" || f.Category == "TestFlaky" {
			continue
		}
		if f.Severity == findings.Critical {
			critical = append(critical, f.ID)
		} else {
			timedFindings = append(timedFindings, timed[string]{f.Time, f.ID})
		}
	}
	var entries []timed[timeline.Entry]
	for _, e := range r.Timeline {
		if e.Severity != "" {
			entries = append(entries, timed[timeline.Entry]{e.Time, e})
		}
	}
	var lines []timed[LogLine]
	for _, t := range r.Logs {
		for _, l := range t.Lines {
			if l.Level != "" {
				l.File = t.File // a window mixes lines of many logs
				lines = append(lines, timed[LogLine]{l.Time, l})
			}
		}
	}
	sortTimed(timedFindings)
	sortTimed(entries)
	sortTimed(lines)
	for _, c := range r.Tests.Cases {
		if !c.Status.Failing() {
			continue
		}
		ft := FailedTest{Case: c, Findings: []string{}, Entries: []timeline.Entry{}, LogLines: []LogLine{}}
		var from, to time.Time
		if !c.Start.IsZero() {
			from, to = c.Start.Add(-time.Minute), c.End().Add(10*time.Second)
			ft.Window = [2]time.Time{from, to}
		}
		// Critical findings first, then the others in the window, in their ranked order.
		ft.Findings = append(ft.Findings, critical[:min(len(critical), perTest)]...)
		ids := window(timedFindings, from, to, -1)
		sort.SliceStable(ids, func(i, j int) bool { return rank[ids[i]] < rank[ids[j]] })
		ft.Findings = append(ft.Findings, ids[:min(len(ids), perTest)]...)
		ft.Entries = append(ft.Entries, window(entries, from, to, perTest)...)
		ft.LogLines = append(ft.LogLines, window(lines, from, to, perTest)...)
		out = append(out, ft)
	}
	return out
}

type timed[T any] struct {
	t time.Time
	v T
}

func sortTimed[T any](s []timed[T]) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].t.Before(s[j].t) })
}

// window returns up to n (n < 0: all) values with from <= t <= to, in time order; a
// zero window (a test without times) takes everything.
func window[T any](s []timed[T], from, to time.Time, n int) []T {
	lo, hi := 0, len(s)
	if !from.IsZero() {
		lo = sort.Search(len(s), func(i int) bool { return !s[i].t.IsZero() && !s[i].t.Before(from) })
		hi = sort.Search(len(s), func(i int) bool { return !s[i].t.IsZero() && s[i].t.After(to) })
	}
	var out []T
	for i := lo; i < hi && (n < 0 || len(out) < n); i++ {
		out = append(out, s[i].v)
	}
	return out
}
