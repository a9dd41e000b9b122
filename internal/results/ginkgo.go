package results

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// ParseGinkgoJSON reads a Ginkgo v2 JSON report (--json-report): one case per It, plus
// failed setup nodes (BeforeSuite, …). FlakeAttempts that ended in a pass are flaky.
func ParseGinkgoJSON(b []byte) ([]Case, error) {
	var reports []types.Report
	if err := json.Unmarshal(b, &reports); err != nil {
		return nil, fmt.Errorf("malformed Ginkgo JSON report: %w", err)
	}
	var out []Case
	for _, r := range reports {
		// A suite-level node (BeforeSuite, …) runs once per parallel process and is
		// reported once per process: that is one node, not a retry.
		suiteNodes := map[string]bool{}
		for _, s := range r.SpecReports {
			if s.LeafNodeType != types.NodeTypeIt && !s.State.Is(types.SpecStateFailureStates) {
				continue
			}
			if s.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) {
				key := s.LeafNodeType.String() + "\x00" + s.LeafNodeLocation.String()
				if suiteNodes[key] {
					continue
				}
				suiteNodes[key] = true
			}
			name := strings.TrimSpace(strings.Join(append(append([]string{}, s.ContainerHierarchyTexts...), s.LeafNodeText), " "))
			if name == "" {
				name = s.LeafNodeType.String()
			}
			c := Case{
				Suite: r.SuiteDescription, Classname: strings.Join(s.ContainerHierarchyTexts, " "), Name: name,
				Duration: s.RunTime, Start: s.StartTime.UTC(), Attempts: max(1, s.NumAttempts),
				File: s.LeafNodeLocation.FileName, Line: s.LeafNodeLocation.LineNumber,
			}
			switch {
			case s.State == types.SpecStatePassed && s.NumAttempts > 1:
				c.Status = Flaky
				c.Message = fmt.Sprintf("passed on attempt %d of %d", s.NumAttempts, s.MaxFlakeAttempts)
				// Why the earlier attempt failed: Ginkgo keeps it in AdditionalFailures.
				for _, af := range s.AdditionalFailures {
					msg := strings.TrimSpace(af.Failure.Message)
					if i := strings.Index(msg, "\n"); strings.HasPrefix(msg, "Failure recorded during attempt") && i > 0 {
						msg = strings.TrimSpace(msg[i+1:]) // the attempt header, then the failure
					}
					if msg != "" {
						c.Message = fmt.Sprintf("%s (failed before passing on attempt %d of %d)", firstLine(msg), s.NumAttempts, s.MaxFlakeAttempts)
						c.Details = capText(af.Failure.Message + "\n\n" + af.Failure.Location.FullStackTrace)
						if l := af.Failure.Location; l.FileName != "" {
							c.File, c.Line = l.FileName, l.LineNumber
						}
						break
					}
				}
			case s.State == types.SpecStatePassed:
				c.Status = Passed
			case s.State.Is(types.SpecStateSkipped | types.SpecStatePending):
				c.Status = Skipped
				c.Message = s.State.String()
			case s.State == types.SpecStateFailed:
				c.Status = Failed
			default: // panicked, interrupted, aborted, timed out
				c.Status = Error
			}
			if s.State.Is(types.SpecStateFailureStates) {
				f := s.Failure
				c.Message = firstLine(f.Message)
				if s.State == types.SpecStatePanicked {
					c.Message = fmt.Sprintf("panic: %v", f.ForwardedPanic)
				}
				c.Details = capText(f.Message + "\n\n" + f.Location.FullStackTrace + "\n" + s.CapturedGinkgoWriterOutput)
				if f.Location.FileName != "" && !strings.Contains(f.Location.FileName, "/src/runtime/") && !strings.Contains(f.Location.FileName, "/src/internal/runtime/") {
					c.File, c.Line = f.Location.FileName, f.Location.LineNumber
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}
