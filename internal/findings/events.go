package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// warningEventFindings reports Warning events no other finding explains, one per object
// and reason. It runs after every detector that explains events.
func warningEventFindings(s *Scope) (out []Finding) {
	for _, e := range s.Events {
		if e.Type != corev1.EventTypeWarning {
			continue
		}
		subj := Subject{Kind: e.Object.Kind, Namespace: e.Object.Namespace, Name: e.Object.Name}
		if s.explained[subj.String()+"|"+e.Reason] {
			continue
		}
		f := newFinding(warningEvent, Warning, subj, fmt.Sprintf("Warning %s on %s %s", e.Reason, e.Object.Kind, e.Object.Name), oneLine(e.Message))
		f.Count, f.Time, f.Refs = int(e.Count), e.LastSeen, []string{bundle.EventsText}
		out = append(out, f)
	}
	return out
}

var warningEventDetector = detector{"events", []Category{warningEvent}, warningEventFindings}

var warningEvent = Category{"WarningEvent", 20}
