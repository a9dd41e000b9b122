package findings

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/conditions"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// resourceNotReadyFindings flags any object with a condition that says it is not working
// (Ready/Available/Accepted/Programmed/ResolvedRefs False, Degraded/Stalled/Conflicted
// True), wherever under status it sits: APIGraph, Certificate, and Gateway API routes
// per parent Gateway and Gateways per listener.
func resourceNotReadyFindings(s *Scope) (out []Finding) {
	for i := range s.Objects {
		o := &s.Objects[i]
		for _, c := range conditions.Of(o) {
			if !c.Bad() {
				continue
			}
			subj := Subject{Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}
			s.explain(subj, c.Reason, "ReconcileError", "Failed", "Error")
			state := "not " + c.Type
			if c.Status == "True" {
				state = c.Type
			}
			title := fmt.Sprintf("%s %s is %s (%s)", o.GetKind(), o.GetName(), state, c.Reason)
			expl := fmt.Sprintf("%s=%s, reason %s: %s", c.Type, c.Status, c.Reason, oneLine(c.Message))
			if c.Where != "" {
				title = fmt.Sprintf("%s %s is %s for %s (%s)", o.GetKind(), o.GetName(), state, c.Where, c.Reason)
				expl = fmt.Sprintf("In %s (%s): %s", c.Path, c.Where, expl)
			}
			sev := Error
			if noMetricsAPI(o, c) {
				// kind has no metrics-server: the autoscaler cannot act, which matters only
				// to a test that needed it to scale (one that names it raises it).
				sev = Info
				expl += " (no metrics API serves this cluster: informational unless a test depends on autoscaling)"
				s.explain(subj, "FailedGetResourceMetric", "FailedGetContainerResourceMetric", "FailedGetPodsMetric", "FailedGetObjectMetric",
					"FailedGetExternalMetric", "FailedComputeMetricsReplicas")
			}
			f := newFinding(resourceNotReady, sev, subj, title, expl)
			f.Time = c.LastTransition
			if og, _, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration"); kube.Stale(o.GetGeneration(), og) && c.Where == "" {
				f.Explanation += fmt.Sprintf(" (status is stale: observedGeneration %d < generation %d)", og, o.GetGeneration())
			}
			f.Refs = []string{s.objectFile(o.GetAPIVersion(), o.GetKind()), bundle.TimelineText}
			out = append(out, f)
		}
	}
	return out
}

var resourceNotReadyDetector = detector{"conditions", []Category{resourceNotReady}, resourceNotReadyFindings}

var resourceNotReady = Category{"ResourceNotReady", 65}

// noMetricsAPI: a HorizontalPodAutoscaler that cannot read metrics because no metrics API
// is installed (common on kind), rather than one whose target is broken.
func noMetricsAPI(o *unstructured.Unstructured, c conditions.Condition) bool {
	if o.GetKind() != "HorizontalPodAutoscaler" || c.Type != "ScalingActive" && c.Type != "AbleToScale" {
		return false
	}
	return strings.HasPrefix(c.Reason, "FailedGet") && missingMetrics().MatchString(c.Message)
}

var missingMetrics = lazyre.New(`(?i)metrics API|metrics\.k8s\.io|no metrics returned|unable to (?:get|fetch) metrics|the server could not find the requested resource`)
