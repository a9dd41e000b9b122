package findings

import (
	"fmt"
	"slices"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/results"
)

// testFindings: failed and flaky tests, with their output and source location.
func testFindings(s *Scope) (out []Finding) {
	for _, c := range s.Tests {
		subj := Subject{Kind: "Test", Namespace: c.Suite, Name: c.Name}
		switch {
		case c.Status.Failing():
			f := newFinding(testFailed, Error, subj, testTitle(c), oneLine(c.Message))
			if c.Details != "" {
				lines := strings.Split(c.Details, "\n")
				if len(lines) > evidenceLines {
					lines = lines[:evidenceLines]
				}
				f.Evidence = lines
			}
			f.Time, f.Count = c.End(), c.Attempts
			f.Refs = []string{bundle.ResultsJSON}
			if id := s.terminatingCause(c.Message + "\n" + c.Details); id != "" {
				f.CausedBy, f.Related = append(f.CausedBy, id), append(f.Related, id)
			}
			if id := s.jobOfLog(c.Source, f.ID); id != "" {
				f.Related = append(f.Related, id)
				f.Refs = append(f.Refs, c.Source)
			}
			f.File, f.Line = c.File, c.Line
			out = append(out, f)
		case c.Status == results.Flaky:
			f := newFinding(testFlaky, Warning, subj, fmt.Sprintf("Test %s is flaky (%d attempts)", c.Name, c.Attempts), oneLine(c.Message))
			f.Time, f.Count, f.Refs = c.End(), c.Attempts, []string{bundle.ResultsJSON}
			out = append(out, f)
		}
	}
	return out
}

func testTitle(c results.Case) string { return fmt.Sprintf("Test %s %s", c.Name, c.Status) }

// jobOfLog is the failed Job whose pod's log a test was read from (tests run as a Job
// in the cluster); that Job's finding is then caused by the test's (a Job of tests fails
// because its tests do) and relates to it.
func (s *Scope) jobOfLog(source, testID string) string {
	if !strings.HasPrefix(source, bundle.LogsDir+"/") {
		return ""
	}
	for i, f := range s.found {
		if f.Category == jobFailed.Name && slices.Contains(f.Refs, source) {
			s.found[i].CausedBy = append(s.found[i].CausedBy, testID)
			s.found[i].Related = append(s.found[i].Related, testID)
			return f.ID
		}
	}
	return ""
}

var testDetector = detector{"tests", []Category{testFailed, testFlaky}, testFindings}

var (
	testFailed = Category{"TestFailed", 25}
	testFlaky  = Category{"TestFlaky", 10}
)
