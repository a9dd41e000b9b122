package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// crashLoopFindings: a container in CrashLoopBackOff, quoting its previous run's log
// (the line that says why it died first).
func crashLoopFindings(s *Scope) []Finding {
	return s.containersWith(crashLoopBackOff, func(p *corev1.Pod, cs *corev1.ContainerStatus) Finding {
		last := cs.LastTerminationState.Terminated
		why, ev := quoteDeath(s.tail(p.Namespace, p.Name, cs.Name, true))
		expl := fmt.Sprintf("Container %s keeps crashing (%s)", cs.Name, plural(int(cs.RestartCount), "restart", "restarts"))
		if last != nil {
			expl += fmt.Sprintf("; its last run ended %s with exit code %d", last.Reason, last.ExitCode)
		}
		if why != "" {
			expl += ": " + why
		}
		f := newFinding(crashLoopBackOff, Critical, podSubject(p), fmt.Sprintf("Pod %s is in CrashLoopBackOff (container %s)", p.Name, cs.Name), expl)
		f.Evidence, f.Refs = ev, podRefs(p, cs.Name, true)
		if last != nil {
			f.Time = last.FinishedAt.Time
		}
		return f
	})
}

var crashLoopDetector = detector{"crash loop", []Category{crashLoopBackOff}, crashLoopFindings}
