package query

import (
	"fmt"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/loglines"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/textsafe"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

func testRef(c results.Case, findings int) TestRef {
	t := TestRef{Name: one(c.Name, lineBytes), Suite: one(c.Suite, 200), Status: string(c.Status), Findings: findings, History: c.History.Label()}
	if c.Duration > 0 {
		t.Duration = c.Duration.Round(time.Millisecond).String()
	}
	if !c.Start.IsZero() {
		t.Start = c.Start.UTC().Format(time.RFC3339)
	}
	msg, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
	t.Message = one(msg, lineBytes)
	return t
}

func (t TestRef) line() string {
	s := fmt.Sprintf("- %s [%s]", quote(t.Name, lineBytes), t.Status)
	if t.Duration != "" {
		s += " " + t.Duration
	}
	if t.Message != "" {
		s += ": " + t.Message
	}
	if t.History != "" {
		s += " · " + t.History
	}
	return s + "\n"
}

// TestList is a page of failed tests.
type TestList struct {
	Tests []TestRef `json:"tests"`
	Page
}

// FailedTests answers failed_tests.
func (r *Run) FailedTests(pg Paging) (*TestList, string, error) {
	fts := r.Report.FailedTests
	p := newPager(pg.limit())
	p.head(fmt.Sprintf("%d failed tests (test_slice test=NAME shows what the cluster did in one's window):\n", len(fts)))
	page, shown, err := items(p, pg, len(fts), func(i int) string { return testRef(fts[i].Case, len(fts[i].Findings)).line() })
	if err != nil {
		return nil, "", err
	}
	out := &TestList{Tests: []TestRef{}, Page: page}
	for _, i := range shown {
		out.Tests = append(out.Tests, testRef(fts[i].Case, len(fts[i].Findings)))
	}
	return out, p.String(), nil
}

// findTest finds a failed test by its name: exactly, else the one whose name contains it.
func (r *Run) findTest(name string) (*model.FailedTest, error) {
	if strings.TrimSpace(name) == "" {
		return nil, argErrorf("test: give a failed test's name (failed_tests lists them)")
	}
	var partial []*model.FailedTest
	for i := range r.Report.FailedTests {
		ft := &r.Report.FailedTests[i]
		if ft.Case.Name == name {
			return ft, nil
		}
		if strings.Contains(strings.ToLower(ft.Case.Name), strings.ToLower(name)) {
			partial = append(partial, ft)
		}
	}
	switch len(partial) {
	case 1:
		return partial[0], nil
	case 0:
		return nil, argErrorf("no failed test named %s (failed_tests lists them)", quote(name, 200))
	}
	var names []string
	for _, ft := range partial[:min(5, len(partial))] {
		names = append(names, quote(ft.Case.Name, 200))
	}
	return nil, argErrorf("%d failed tests match %s; give one name: %s", len(partial), quote(name, 200), strings.Join(names, ", "))
}

// Entry is a timeline entry as an answer gives it.
type Entry struct {
	Time     string `json:"time"`
	End      string `json:"end,omitempty"`
	Kind     string `json:"kind"` // pod, container, event, condition, reconcile, job, test, span, watch
	Object   string `json:"object,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
}

func (e Entry) line() string {
	s := e.Time[min(len(e.Time), 11):]
	if e.End != "" {
		s += "–" + e.End[min(len(e.End), 11):]
	}
	sev := ""
	if e.Severity != "" {
		sev = " [" + e.Severity + "]"
	}
	obj := ""
	if e.Object != "" {
		obj = " " + e.Object
	}
	return fmt.Sprintf("%s %s%s%s: %s\n", s, e.Kind, sev, obj, e.Message)
}

// kindOf names a timeline source as the tools' kinds do.
func kindOf(source string) string {
	switch source {
	case "operator":
		return "reconcile"
	case "trace":
		return "span"
	}
	return source
}

func entryOf(e timeline.Entry) Entry {
	out := Entry{Time: e.Time.UTC().Format(time.RFC3339Nano), Kind: kindOf(e.Source), Object: one(e.Object.String(), 200),
		Reason: one(e.Reason, 100), Severity: e.Severity, Message: one(e.Message, lineBytes)}
	if !e.End.IsZero() {
		out.End = e.End.UTC().Format(time.RFC3339Nano)
	}
	return out
}

// LogLine is a log line an answer quotes.
type LogLine struct {
	Time  string `json:"time,omitempty"`
	Level string `json:"level,omitempty"`
	File  string `json:"file,omitempty"`
	Text  string `json:"text"`
}

// Slice is one failed test and what the cluster did in its window.
type Slice struct {
	Test     TestRef      `json:"test"`
	Message  string       `json:"message,omitempty"` // the failure's message and the telling part of its output
	Source   string       `json:"source,omitempty"`  // file:line
	Window   []string     `json:"window,omitempty"`  // from a minute before it started to ten seconds after it ended
	Findings []FindingRef `json:"findings"`
	Pods     []string     `json:"pods"` // pods that did something in the window
	Entries  []Entry      `json:"entries"`
	Actions  []Entry      `json:"reconciles"`
	Spans    []string     `json:"traces,omitempty"`
	Lines    []LogLine    `json:"logLines"`
	Page
}

// TestSlice answers test_slice.
func (r *Run) TestSlice(name string, pg Paging) (*Slice, string, error) {
	ft, err := r.findTest(name)
	if err != nil {
		return nil, "", err
	}
	c := ft.Case
	s := &Slice{Test: testRef(c, len(ft.Findings)), Findings: []FindingRef{}, Pods: []string{}, Entries: []Entry{}, Actions: []Entry{}, Lines: []LogLine{}, Spans: ft.Traces}
	s.Message = textsafe.Clean(textsafe.Truncate(strings.TrimSpace(c.Message), textBytes))
	if d := telling(c.Details); d != "" && !strings.Contains(s.Message, d) {
		s.Message = strings.TrimSpace(s.Message + "\n" + d)
	}
	if c.File != "" {
		s.Source = one(fmt.Sprintf("%s:%d", c.File, c.Line), 300)
	}
	from, to := ft.Window[0], ft.Window[1]
	if !from.IsZero() {
		s.Window = []string{from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)}
	}
	rank := map[string]int{}
	for i, f := range r.Report.Findings {
		rank[f.ID] = i
	}
	for _, id := range ft.Findings {
		if i, ok := rank[id]; ok {
			s.Findings = append(s.Findings, ref(i+1, r.Report.Findings[i]))
		}
	}
	pods := map[string]bool{}
	for _, e := range ft.Entries {
		s.Entries = append(s.Entries, entryOf(e))
		if e.Object.Kind == "Pod" && !pods[e.Object.String()] {
			pods[e.Object.String()] = true
			s.Pods = append(s.Pods, one(e.Object.String(), 200))
		}
	}
	for _, a := range r.Report.OperatorActions {
		if !from.IsZero() && (a.Time.Before(from) || a.Time.After(to)) {
			continue
		}
		if !a.Failed() && len(s.Actions) >= 10 {
			continue
		}
		e := Entry{Time: a.Time.UTC().Format(time.RFC3339Nano), Kind: "reconcile", Object: one(a.Controller, 100), Message: one(a.Message, lineBytes)}
		if a.Failed() {
			e.Severity = "error"
			if a.Error != "" {
				e.Message = one(a.Message+": "+a.Error, lineBytes)
			}
		}
		s.Actions = append(s.Actions, e)
		if len(s.Actions) >= 30 {
			break
		}
	}
	for _, l := range ft.LogLines {
		ll := LogLine{Level: l.Level, File: l.File, Text: one(l.Text, 1000)}
		if !l.Time.IsZero() {
			ll.Time = l.Time.UTC().Format(time.RFC3339Nano)
		}
		s.Lines = append(s.Lines, ll)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Test %s [%s]", quote(c.Name, lineBytes), c.Status)
	if s.Test.Duration != "" {
		b.WriteString(" " + s.Test.Duration)
	}
	if s.Test.History != "" {
		b.WriteString(" · " + s.Test.History)
	}
	b.WriteString("\n")
	if s.Source != "" {
		fmt.Fprintf(&b, "Source: %s\n", s.Source)
	}
	if s.Message != "" {
		b.WriteString("Failure:\n| " + strings.ReplaceAll(s.Message, "\n", "\n| ") + "\n")
	}
	if len(s.Window) == 2 {
		fmt.Fprintf(&b, "Window: %s to %s\n", s.Window[0], s.Window[1])
	} else {
		b.WriteString("Window: the whole run (the test has no start time)\n")
	}
	if len(s.Findings) > 0 {
		b.WriteString("\nFindings in the window (get_finding id=…):\n")
		for _, f := range s.Findings {
			b.WriteString(f.line())
		}
	}
	if len(s.Pods) > 0 {
		fmt.Fprintf(&b, "\nPods active in the window: %s\n", strings.Join(s.Pods, ", "))
	}
	if len(s.Spans) > 0 {
		fmt.Fprintf(&b, "Traces it names (trace id=…): %s\n", strings.Join(s.Spans, ", "))
	}
	// The sections that may be long are items: paged together.
	parts := section(nil, "What went wrong in the window (timeline):", s.Entries, Entry.line)
	parts = section(parts, "Operator reconciles in the window:", s.Actions, Entry.line)
	parts = section(parts, "Error and warning log lines in the window (logs namespace=… pod=… around=TIME for more):", s.Lines, func(l LogLine) string {
		return fmt.Sprintf("%s %s %s: %s\n", shortClock(l.Time), l.File, l.Level, l.Text)
	})
	page, text, err := pageParts(b.String(), parts, pg)
	if err != nil {
		return nil, "", err
	}
	s.Page = page
	return s, text, nil
}

// shortClock is the clock time of an RFC 3339 time ("" stays "").
func shortClock(t string) string {
	if len(t) > 11 {
		return t[11:]
	}
	return t
}

// telling is the part of a test's output that says why it failed: a few lines from
// just before its first telling line (loglines.Telling: a panic, a fatal error).
func telling(details string) string {
	if details == "" {
		return ""
	}
	lines := strings.Split(textsafe.Clean(details), "\n")
	i := loglines.Telling(lines)
	if i < 0 {
		return ""
	}
	return textsafe.Truncate(strings.Join(lines[max(0, i-2):min(len(lines), i+8)], "\n"), textBytes)
}
