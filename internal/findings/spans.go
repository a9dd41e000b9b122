package findings

import (
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// errorSpanFindings: a trace span in error where the error started (the spans above
// it that only passed it on are named in its explanation).
func errorSpanFindings(s *Scope) (out []Finding) {
	for _, sp := range s.ErrorSpans {
		if sp.Downstream {
			continue // the span below it, where the error started, is the finding
		}
		explanation := oneLine(sp.Message)
		if len(sp.Propagated) > 0 {
			explanation += "; it failed in turn: " + strings.Join(sp.Propagated, " ← ")
		}
		f := newFinding(errorSpan, Error, Subject{Kind: "Service", Name: sp.Service}, fmt.Sprintf("Error spans in %s: %s", sp.Service, sp.Operation), explanation)
		f.Time, f.Evidence, f.Refs = sp.Time, []string{"trace " + sp.TraceID}, []string{bundle.TracesJSON}
		out = append(out, f)
	}
	return out
}

var errorSpanDetector = detector{"traces", []Category{errorSpan}, errorSpanFindings}

var errorSpan = Category{"ErrorSpan", 50}
