package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// createContainerFindings: a container the kubelet cannot create or start (a missing
// ConfigMap or Secret key, a bad command).
func createContainerFindings(s *Scope) []Finding {
	return s.containersWith(createContainerConfigError, func(p *corev1.Pod, cs *corev1.ContainerStatus) Finding {
		w := cs.State.Waiting
		f := newFinding(createContainerConfigError, Error, podSubject(p), fmt.Sprintf("Pod %s: container %s cannot start (%s)", p.Name, cs.Name, w.Reason), oneLine(w.Message))
		f.Refs = podRefs(p, "", false)
		return f
	})
}

var createContainerDetector = detector{"container start", []Category{createContainerConfigError}, createContainerFindings}
