package findings

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// deploymentFindings: a Deployment short of available replicas or past its progress
// deadline; when findings on its pods say why, it is their consequence and ranks below.
func deploymentFindings(s *Scope) []Finding {
	causes := map[string][]Finding{} // ns/deployment -> findings on its pods
	for _, d := range s.Deployments {
		for _, p := range s.idx().ownedPods(Subject{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name}) {
			causes[d.Namespace+"/"+d.Name] = append(causes[d.Namespace+"/"+d.Name], s.onPod[p.Namespace+"/"+p.Name]...)
		}
	}
	var out []Finding
	for _, d := range s.Deployments {
		var bad *appsv1.DeploymentCondition
		for i, c := range d.Status.Conditions {
			if (c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionFalse) ||
				(c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded") {
				bad = &d.Status.Conditions[i]
			}
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if bad == nil && d.Status.AvailableReplicas >= want {
			continue
		}
		if bad == nil && d.Status.ObservedGeneration == 0 {
			continue
		}
		subj := Subject{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name}
		s.explain(subj, "ProgressDeadlineExceeded")
		sev := Error
		expl := fmt.Sprintf("%d of %d replicas available", d.Status.AvailableReplicas, want)
		if bad != nil {
			expl += fmt.Sprintf("; %s=%s %s: %s", bad.Type, bad.Status, bad.Reason, oneLine(bad.Message))
		}
		var related []string
		for _, c := range causes[d.Namespace+"/"+d.Name] {
			related = appendUnique(related, c.ID)
		}
		if cs := causes[d.Namespace+"/"+d.Name]; len(cs) > 0 {
			sev = Warning // a consequence of the pod findings, which rank above it
			expl += " — caused by: " + cs[0].Title
			if len(related) > 1 {
				expl += fmt.Sprintf(" (and %d more pod findings)", len(related)-1)
			}
		}
		f := newFinding(deploymentUnavailable, sev, subj, fmt.Sprintf("Deployment %s is not available", d.Name), expl)
		f.Related, f.CausedBy, f.Refs = related, related, []string{bundle.ResourcesText}
		if bad != nil {
			f.Time = bad.LastTransitionTime.Time
		}
		out = append(out, f)
	}
	return out
}

var deploymentDetector = detector{"deployments", []Category{deploymentUnavailable}, deploymentFindings}

var deploymentUnavailable = Category{"DeploymentUnavailable", 55}
