package view

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// Lane is one row of the run's picture: an object's timeline entries, or a suite's test
// cases.
type Lane struct {
	Title  string         // "Pod/ns/name", or "tests: SUITE"
	Object kube.ObjectRef // zero for a tests lane
	Tests  bool
	Spans  []Span // in time order
	Worst  string // the worst severity on the lane: "error", "warning" or ""
}

// Span is an interval (a container's run, a Job, a test case) or, with End zero, a
// moment (an event, a transition).
type Span struct {
	Start, End time.Time
	Source     string
	Reason     string
	Label      string // what happened, one line
	Severity   string // "error", "warning" or ""
	Shot       int    // a screenshot's place in the report's (1-based), for a screenshot mark
}

// Lanes derives the lanes from the structured timeline and the test cases: the tests
// first (one lane per suite), then one lane per object, those with errors first, each
// group in order of its first moment.
func Lanes(r *model.Report) []Lane {
	var tests, objects []Lane
	suites := map[string]int{}
	if r.Tests != nil {
		for _, c := range r.Tests.Cases {
			if c.Start.IsZero() {
				continue
			}
			i, ok := suites[c.Suite]
			if !ok {
				i = len(tests)
				suites[c.Suite] = i
				tests = append(tests, Lane{Title: "tests: " + c.Suite, Tests: true})
			}
			sev := ""
			switch {
			case c.Status.Failing():
				sev = "error"
			case c.Status == results.Flaky:
				sev = "warning"
			}
			tests[i].add(Span{Start: c.Start, End: c.End(), Source: timeline.SourceTest, Reason: string(c.Status), Label: c.Name, Severity: sev})
		}
	}
	// A container still running, or a pod still in its phase, when the bundle was
	// collected runs until then.
	var collected time.Time
	if r.Manifest != nil {
		collected = r.Manifest.FinishedAt
	}
	byObject := map[kube.ObjectRef]int{}
	for _, e := range append(slices.Clip(r.Timeline), r.Phases...) {
		i, ok := byObject[e.Object]
		if !ok {
			i = len(objects)
			byObject[e.Object] = i
			objects = append(objects, Lane{Title: e.Object.String(), Object: e.Object})
		}
		end := e.End
		if end.IsZero() && e.Open && collected.After(e.Time) {
			end = collected
		}
		objects[i].add(Span{Start: e.Time, End: end, Source: e.Source, Reason: e.Reason, Label: e.Message, Severity: e.Severity})
	}
	if shots := screenshotLane(r.Screenshots); shots != nil {
		objects = append(objects, *shots)
	}
	for _, ls := range [][]Lane{tests, objects} {
		for i := range ls {
			sort.SliceStable(ls[i].Spans, func(a, b int) bool { return ls[i].Spans[a].Start.Before(ls[i].Spans[b].Start) })
		}
	}
	first := func(l Lane) time.Time { return l.Spans[0].Start }
	sort.SliceStable(tests, func(i, j int) bool { return first(tests[i]).Before(first(tests[j])) })
	sort.SliceStable(objects, func(i, j int) bool {
		if a, b := objects[i].Worst == "error", objects[j].Worst == "error"; a != b {
			return a
		}
		return first(objects[i]).Before(first(objects[j]))
	})
	return append(tests, objects...)
}

func (l *Lane) add(s Span) {
	l.Spans = append(l.Spans, s)
	if s.Severity == "error" || s.Severity == "warning" && l.Worst == "" {
		l.Worst = s.Severity
	}
}

// SourceScreenshot is a screenshot's mark on the console's lane.
const SourceScreenshot = "screenshot"

// screenshotLane is the console's lane: a mark where each page was opened, a warning
// when it answered with errors, an error when it could not be captured.
func screenshotLane(shots []model.Screenshot) *Lane {
	var l *Lane
	for i, s := range shots {
		if s.At.IsZero() {
			continue
		}
		if l == nil {
			l = &Lane{Title: "console screenshots", Object: kube.Ref("Console", "", "screenshots")}
		}
		label, sev := "screenshot "+s.Title, ""
		if s.URL != "" {
			label += " of " + s.URL
		}
		if s.Status != 0 {
			label += fmt.Sprintf(": HTTP %d", s.Status)
		}
		if s.Errors > 0 {
			label += fmt.Sprintf(", %d console errors or failed requests", s.Errors)
		}
		switch {
		case s.Failed:
			sev = "error"
		case s.Errors > 0 || s.Status >= 400:
			sev = "warning"
		}
		l.add(Span{Start: s.At, Source: SourceScreenshot, Label: label, Severity: sev, Shot: i + 1})
	}
	return l
}
