package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// evictedFindings: a pod the kubelet evicted (memory or disk pressure).
func evictedFindings(s *Scope) (out []Finding) {
	for i := range s.Pods {
		p := &s.Pods[i]
		if p.Status.Phase == corev1.PodFailed && p.Status.Reason == "Evicted" {
			f := newFinding(evicted, Warning, podSubject(p), fmt.Sprintf("Pod %s was evicted", p.Name), oneLine(p.Status.Message))
			f.Refs = podRefs(p, "", false)
			out = append(out, s.onPodFinding(f))
		}
	}
	return out
}

var evictedDetector = detector{"eviction", []Category{evicted}, evictedFindings}

var evicted = Category{"Evicted", 80}
