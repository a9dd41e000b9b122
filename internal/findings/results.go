package findings

import "fmt"

// resultsUnreadableFindings: a results file that could not be read or parsed is an error of the run
// (its tests' outcome is unknown), never a quiet "passed".
func resultsUnreadableFindings(s *Scope) (out []Finding) {
	for _, src := range s.Sources {
		if src.Error == "" {
			continue
		}
		f := newFinding(resultsUnreadable, Error, Subject{Kind: "ResultsFile", Name: src.Path},
			fmt.Sprintf("Test results unreadable: %s", src.Path), oneLine(src.Error))
		if src.Cases > 0 {
			f.Explanation += fmt.Sprintf(" (%d tests were read before the error)", src.Cases)
		}
		out = append(out, f)
	}
	return out
}

var resultsUnreadableDetector = detector{"results files", []Category{resultsUnreadable}, resultsUnreadableFindings}

var resultsUnreadable = Category{"ResultsUnreadable", 28}
