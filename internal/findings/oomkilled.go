package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// oomKilledFindings: a container killed for running out of memory, with its limit.
func oomKilledFindings(s *Scope) []Finding {
	return s.containersWith(oomKilled, func(p *corev1.Pod, cs *corev1.ContainerStatus) Finding {
		t := cs.LastTerminationState.Terminated
		if t == nil || t.Reason != "OOMKilled" {
			t = cs.State.Terminated
		}
		expl := fmt.Sprintf("Container %s was killed for running out of memory (exit code %d)", cs.Name, t.ExitCode)
		if c := containerSpec(p, cs.Name); c != nil {
			if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
				expl += "; its memory limit is " + q.String()
			}
		}
		expl += fmt.Sprintf("; restarts: %d", cs.RestartCount)
		f := newFinding(oomKilled, Error, podSubject(p), fmt.Sprintf("Container %s of pod %s was OOMKilled", cs.Name, p.Name), expl)
		f.Evidence, f.Refs, f.Time = s.tail(p.Namespace, p.Name, cs.Name, cs.RestartCount > 0), podRefs(p, cs.Name, cs.RestartCount > 0), t.FinishedAt.Time
		return f
	})
}

var oomKilledDetector = detector{"OOM kill", []Category{oomKilled}, oomKilledFindings}
