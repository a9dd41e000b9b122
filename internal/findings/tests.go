package findings

import (
	"fmt"
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
			f := newFinding(testFailed, Error, subj, fmt.Sprintf("Test %s %s", c.Name, c.Status), oneLine(c.Message))
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

var testDetector = detector{"tests", []Category{testFailed, testFlaky}, testFindings}

var (
	testFailed = Category{"TestFailed", 25}
	testFlaky  = Category{"TestFlaky", 10}
)
