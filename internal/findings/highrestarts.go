package findings

import (
	"fmt"
)

// highRestartsFindings: containers restarted 3 times or more, on pods with no other
// container finding (which says why already).
func highRestartsFindings(s *Scope) (out []Finding) {
	for i := range s.Pods {
		p := &s.Pods[i]
		statuses := containerStatuses(p)
		covered := false
		for _, cs := range statuses {
			if _, ok := containerCause(&cs); ok {
				covered = true
			}
		}
		if covered {
			continue
		}
		for _, cs := range statuses {
			if cs.RestartCount < 3 {
				continue
			}
			f := newFinding(highRestarts, Warning, podSubject(p), fmt.Sprintf("Container %s of pod %s restarted %d times", cs.Name, p.Name, cs.RestartCount),
				"Frequent restarts usually mean crashes or failing liveness probes.")
			f.Evidence, f.Refs = s.tail(p.Namespace, p.Name, cs.Name, true), podRefs(p, cs.Name, true)
			out = append(out, s.onPodFinding(f))
		}
	}
	return out
}

var highRestartsDetector = detector{"restarts", []Category{highRestarts}, highRestartsFindings}

var highRestarts = Category{"HighRestarts", 40}
