package findings

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// workloadFindings: a StatefulSet or DaemonSet short of ready pods, a ReplicaSet that
// cannot create its pods (k8sgpt's StatefulSet and ReplicaSet analyzers, and DaemonSets).
// As for Deployments, findings on its pods are its causes and rank above it.
func workloadFindings(s *Scope) (out []Finding) {
	for _, st := range s.StatefulSets {
		want := int32(1)
		if st.Spec.Replicas != nil {
			want = *st.Spec.Replicas
		}
		if st.Status.ObservedGeneration == 0 || st.Status.ReadyReplicas >= want {
			continue
		}
		out = append(out, s.workload(workloadUnavailable, "StatefulSet", st.ObjectMeta,
			fmt.Sprintf("%d of %d replicas ready", st.Status.ReadyReplicas, want)))
	}
	for _, ds := range s.DaemonSets {
		if ds.Status.ObservedGeneration == 0 || ds.Status.NumberUnavailable == 0 && ds.Status.NumberReady >= ds.Status.DesiredNumberScheduled {
			continue
		}
		out = append(out, s.workload(workloadUnavailable, "DaemonSet", ds.ObjectMeta,
			fmt.Sprintf("%d of %d pods ready, %d unavailable", ds.Status.NumberReady, ds.Status.DesiredNumberScheduled, ds.Status.NumberUnavailable)))
	}
	for _, rs := range s.ReplicaSets {
		for _, c := range rs.Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
				subj := Subject{Kind: "ReplicaSet", Namespace: rs.Namespace, Name: rs.Name}
				s.explain(subj, "FailedCreate")
				f := newFinding(replicaFailure, Error, subj, fmt.Sprintf("ReplicaSet %s cannot create its pods", rs.Name),
					fmt.Sprintf("%s: %s", c.Reason, oneLine(c.Message)))
				f.Time, f.Refs = c.LastTransitionTime.Time, []string{bundle.ResourcesText, bundle.EventsText}
				out = append(out, f)
			}
		}
	}
	return out
}

// workload is the finding on a workload that owns its pods directly, caused by the
// findings on those pods.
func (s *Scope) workload(c Category, kind string, meta metav1.ObjectMeta, expl string) Finding {
	var causes []string
	first := ""
	for _, p := range s.idx().ownedPods(Subject{Kind: kind, Namespace: meta.Namespace, Name: meta.Name}) {
		for _, f := range s.onPod[p.Namespace+"/"+p.Name] {
			if first == "" {
				first = f.Title
			}
			causes = appendUnique(causes, f.ID)
		}
	}
	sev := Error
	if len(causes) > 0 {
		sev = Warning // a consequence of its pods' findings, which rank above it
		expl += " — caused by: " + first
		if len(causes) > 1 {
			expl += fmt.Sprintf(" (and %d more pod findings)", len(causes)-1)
		}
	}
	f := newFinding(c, sev, Subject{Kind: kind, Namespace: meta.Namespace, Name: meta.Name}, fmt.Sprintf("%s %s is not ready", kind, meta.Name), expl)
	f.Related, f.CausedBy, f.Refs = causes, causes, []string{bundle.ResourcesText}
	return f
}

var workloadDetector = detector{"workloads", []Category{workloadUnavailable, replicaFailure}, workloadFindings}

var (
	workloadUnavailable = Category{"WorkloadUnavailable", 64}
	replicaFailure      = Category{"ReplicaFailure", 68}
)
