package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

var evicted = Category{"Evicted", 80}

// evictedDetector: a pod the kubelet evicted (memory or disk pressure).
var evictedDetector = detector{"eviction", []Category{evicted}, func(s *Scope) []Finding {
	var out []Finding
	for i := range s.Pods {
		p := &s.Pods[i]
		if p.Status.Phase == corev1.PodFailed && p.Status.Reason == "Evicted" {
			f := newFinding(evicted, Warning, podSubject(p), fmt.Sprintf("Pod %s was evicted", p.Name), oneLine(p.Status.Message))
			f.Refs = podRefs(p, "", false)
			out = append(out, s.onPodFinding(f))
		}
	}
	return out
}}
