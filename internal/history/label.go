package history

import (
	"sort"

	"github.com/org/k8s-e2e-report/internal/fingerprint"
	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
)

// States of a failure against the base branch's history.
const (
	New     = "new"     // never failed in the recorded base runs
	Failing = "failing" // has failed in every base run since a commit
	Flaky   = "flaky"   // both outcomes in the window, on the same tree, or passed on a retry
)

// Label gives each failed test and finding of r its state against w, and r a summary.
func Label(r *model.Report, w Window) {
	h := &model.History{Base: model.HistoryBase{Branch: w.Branch, Runs: len(w.Runs)}, Fixed: []string{}, Of: "tests"}
	r.History = h
	if len(w.Runs) == 0 {
		h.Note = "no recorded runs of " + w.Branch + " yet"
		return
	}
	h.Base.Latest = commit(w.Runs[0].SHA)
	h.Recent = map[string]string{}
	labels := map[string]*results.History{}
	if r.Tests != nil {
		for i := range r.Tests.Cases {
			c := &r.Tests.Cases[i]
			k := TestKey{c.Suite, c.Classname, c.Name}
			switch {
			case c.Status.Failing() || c.Status == results.Flaky:
				c.History = testState(w, k, c.Status)
				labels[c.ID()] = c.History
				h.Recent[c.ID()] = testOutcomes(w, k)
				count(h, c.History)
			case c.Status == results.Passed && w.Runs[0].Failed[k] != "" && w.Runs[0].Failed[k] != string(results.Flaky):
				h.Fixed = append(h.Fixed, name(c))
			}
		}
	}
	for i := range r.FailedTests {
		r.FailedTests[i].Case.History = labels[r.FailedTests[i].Case.ID()]
	}
	counted := h.New + h.Failing + h.Flaky
	for i := range r.Findings {
		f := &r.Findings[i]
		fp := findingOf(f.Category, f.Subject.String(), f.Title)
		f.History = findingState(w, fp)
		h.Recent[f.ID] = findingOutcomes(w, fp)
		if counted == 0 && f.Severity != "info" {
			h.Of = "findings"
			count(h, f.History)
		}
	}
	sort.Strings(h.Fixed)
}

func name(c *results.Case) string {
	if c.Classname != "" && c.Classname != c.Suite {
		return c.Classname + "." + c.Name
	}
	return c.Name
}

// count adds a label to the summary; the oldest streak gives "since".
func count(h *model.History, l *results.History) {
	switch l.State {
	case New:
		h.New++
	case Failing:
		h.Failing++
		if l.Failures > h.Streak {
			h.Streak, h.Since = l.Failures, l.Since
		}
	case Flaky:
		h.Flaky++
	}
}

// testState labels a test that failed (or passed only on a retry) here.
func testState(w Window, k TestKey, status results.Status) *results.History {
	failed := make([]bool, len(w.Runs))
	flaky := status == results.Flaky
	for i, run := range w.Runs {
		switch run.Failed[k] {
		case string(results.Failed), string(results.Error):
			failed[i] = true
		case string(results.Flaky):
			flaky = true
		}
	}
	// The same code gave another outcome: the test, not the change, decides.
	if seen := w.SameTree[k]; seen[string(results.Passed)] || seen[string(results.Flaky)] {
		flaky = true
	}
	return state(w, failed, flaky)
}

// testOutcomes is a test's outcome in each base run, oldest first: f failed, k flaky, p
// passed (or did not run).
func testOutcomes(w Window, k TestKey) string {
	out := make([]byte, len(w.Runs))
	for i, run := range w.Runs {
		c := byte('p')
		switch run.Failed[k] {
		case string(results.Failed), string(results.Error):
			c = 'f'
		case string(results.Flaky):
			c = 'k'
		}
		out[len(out)-1-i] = c
	}
	return string(out)
}

// findingOutcomes is whether each base run showed the finding, oldest first: f it did,
// p it did not.
func findingOutcomes(w Window, f Finding) string {
	out := make([]byte, len(w.Runs))
	for i, run := range w.Runs {
		out[len(out)-1-i] = 'p'
		for _, g := range run.Findings {
			if sameFinding(g, f) {
				out[len(out)-1-i] = 'f'
				break
			}
		}
	}
	return string(out)
}

// sameFinding: the same fingerprint, or the same category and subject with a message
// within 10% of the other's.
func sameFinding(g, f Finding) bool {
	return g.Fingerprint == f.Fingerprint || (g.Category == f.Category && g.Subject == f.Subject && fingerprint.Similar(g.Message, f.Message))
}

// findingState labels a finding by whether the base runs showed the same one: the same
// fingerprint, or the same category with a message within 10% of this one's.
func findingState(w Window, f Finding) *results.History {
	seen := make([]bool, len(w.Runs))
	for i, run := range w.Runs {
		for _, g := range run.Findings {
			if sameFinding(g, f) {
				seen[i] = true
				break
			}
		}
	}
	return state(w, seen, false)
}

// state: new if never failed in the window; failing if every failure is in the streak
// that reaches the latest run; flaky otherwise.
func state(w Window, failed []bool, flaky bool) *results.History {
	l := &results.History{Runs: len(w.Runs)}
	streak := 0
	for streak < len(failed) && failed[streak] {
		streak++
	}
	for _, f := range failed {
		if f {
			l.Failures++
		}
	}
	switch {
	case flaky || (l.Failures > 0 && l.Failures != streak):
		l.State = Flaky
	case l.Failures == 0:
		l.State = New
	default:
		l.State, l.Since = Failing, commit(w.Runs[streak-1].SHA)
	}
	return l
}

var commitRE = lazyre.New(`^[0-9a-f]{7,64}$`)

// commit is a recorded SHA as the reports show it: 7 hex digits, or nothing if the
// store held something else (a digest is untrusted input).
func commit(sha string) string {
	if !commitRE().MatchString(sha) {
		return ""
	}
	return sha[:7]
}

// FailOn modes: which failures fail the job.
const (
	FailOnNew  = "new"  // failed tests and error findings not known from the base branch
	FailOnAny  = "any"  // every failed test and error finding
	FailOnNone = "none" // never (the test step decides)
)

// Blocking counts what fails the job under mode: failed tests, and findings of error
// severity, that are new (no label counts as new) or, with "any", all of them.
func Blocking(r *model.Report, mode string) int {
	if mode == FailOnNone {
		return 0
	}
	counts := func(h *results.History) bool { return mode == FailOnAny || h == nil || h.State == New }
	n := 0
	if r.Tests != nil {
		for _, c := range r.Tests.Cases {
			if c.Status.Failing() && counts(c.History) {
				n++
			}
		}
	}
	for _, f := range r.Findings {
		if f.Severity == "error" && counts(f.History) {
			n++
		}
	}
	return n
}
