package findings

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// unschedulableFindings: a pending pod the scheduler cannot place, with what it says
// and what the pod requests.
func unschedulableFindings(s *Scope) (out []Finding) {
	for i := range s.Pods {
		p := &s.Pods[i]
		if p.Status.Phase != corev1.PodPending || p.Spec.NodeName != "" {
			continue
		}
		msg := ""
		var at time.Time
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				msg, at = c.Message, c.LastTransitionTime.Time
			}
		}
		for _, e := range s.Events {
			if e.Reason == "FailedScheduling" && e.Object.Kind == "Pod" && e.Object.Namespace == p.Namespace && e.Object.Name == p.Name {
				msg, at = e.Message, e.LastSeen
			}
		}
		if msg == "" {
			continue
		}
		f := newFinding(unschedulable, Error, podSubject(p), fmt.Sprintf("Pod %s cannot be scheduled", p.Name), "The scheduler says: "+oneLine(msg))
		f.Evidence = []string{requestsOf(p)}
		f.Refs, f.Time = []string{bundle.EventsText, bundle.PodDescriptions}, at
		out = append(out, s.onPodFinding(f))
	}
	return out
}

func requestsOf(p *corev1.Pod) string {
	var parts []string
	for _, c := range p.Spec.Containers {
		var req []string
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := c.Resources.Requests[r]; ok {
				req = append(req, fmt.Sprintf("%s=%s", r, q.String()))
			}
		}
		if len(req) > 0 {
			parts = append(parts, fmt.Sprintf("container %s requests %s", c.Name, strings.Join(req, ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

var unschedulableDetector = detector{"scheduling", []Category{unschedulable}, unschedulableFindings}

var unschedulable = Category{"Unschedulable", 85}
