package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// imagePullFindings: a container whose image cannot be pulled.
func imagePullFindings(s *Scope) []Finding {
	return s.containersWith(imagePullBackOff, func(p *corev1.Pod, cs *corev1.ContainerStatus) Finding {
		img := ""
		if c := containerSpec(p, cs.Name); c != nil {
			img = c.Image
		}
		w := cs.State.Waiting
		f := newFinding(imagePullBackOff, Error, podSubject(p), fmt.Sprintf("Pod %s cannot pull image %s", p.Name, img), fmt.Sprintf("%s: %s", w.Reason, oneLine(w.Message)))
		f.Refs = podRefs(p, "", false)
		return f
	})
}

var imagePullDetector = detector{"image pull", []Category{imagePullBackOff}, imagePullFindings}
