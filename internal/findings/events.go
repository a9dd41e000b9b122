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
		sev, expl := Warning, oneLine(e.Message)
		if selfRepaired[e.Reason] {
			// The API server's repair loop met a Service created while it took its
			// snapshot, and repaired it in the same breath (kubernetes/kubernetes#87603).
			sev, expl = Info, expl+" (the API server's repair loop fixed this itself; a race with the Service's creation, harmless)"
		}
		f := newFinding(warningEvent, sev, subj, fmt.Sprintf("Warning %s on %s %s", e.Reason, e.Object.Kind, e.Object.Name), expl)
		f.Count, f.Time, f.Refs = int(e.Count), e.LastSeen, []string{bundle.EventsText}
		out = append(out, f)
	}
	return out
}

// selfRepaired are the API server repair loop's Warnings: it says what it fixed.
var selfRepaired = map[string]bool{"ClusterIPNotAllocated": true, "PortNotAllocated": true}

var warningEventDetector = detector{"events", []Category{warningEvent}, warningEventFindings}

var warningEvent = Category{"WarningEvent", 20}
