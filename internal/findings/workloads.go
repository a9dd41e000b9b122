package findings

import (
	"fmt"
	"sort"
	"strings"

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
	for _, p := range s.Pods {
		if p.Namespace != meta.Namespace || !ownedBy(p.OwnerReferences, kind, meta.Name) {
			continue
		}
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

func ownedBy(refs []metav1.OwnerReference, kind, name string) bool {
	for _, o := range refs {
		if o.Kind == kind && o.Name == name {
			return true
		}
	}
	return false
}

var workloadDetector = detector{"workloads", []Category{workloadUnavailable, replicaFailure}, workloadFindings}

var (
	workloadUnavailable = Category{"WorkloadUnavailable", 64}
	replicaFailure      = Category{"ReplicaFailure", 68}
)

// serviceFindings: a Service whose selector matches no ready pod, so it has no endpoint
// to send traffic to (k8sgpt's Service analyzer), caused by its pods' findings; and an
// Ingress whose backend Service does not exist (k8sgpt's Ingress analyzer).
func serviceFindings(s *Scope) (out []Finding) {
	services := map[string]bool{}
	for _, svc := range s.Services {
		services[svc.Namespace+"/"+svc.Name] = true
		if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue // endpoints managed by hand, or none
		}
		matched, ready := 0, 0
		var causes []string
		first := ""
		for _, p := range s.Pods {
			if p.Namespace != svc.Namespace || !selects(svc.Spec.Selector, p.Labels) || p.DeletionTimestamp != nil {
				continue
			}
			matched++
			if podReady(&p) {
				ready++
				continue
			}
			for _, f := range s.onPod[p.Namespace+"/"+p.Name] {
				if first == "" {
					first = f.Title
				}
				causes = appendUnique(causes, f.ID)
			}
		}
		if ready > 0 {
			continue
		}
		subj := Subject{Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}
		expl := fmt.Sprintf("its selector %s matches %d pod(s), none ready: requests to it are refused", selectorString(svc.Spec.Selector), matched)
		sev := Error
		if len(causes) > 0 {
			sev, expl = Warning, expl+" — caused by: "+first
		}
		f := newFinding(serviceNoEndpoints, sev, subj, fmt.Sprintf("Service %s has no ready endpoints", svc.Name), expl)
		f.Related, f.CausedBy, f.Refs = causes, causes, []string{bundle.ResourcesText}
		out = append(out, f)
	}
	for _, ing := range s.Ingresses {
		var missing []string
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if b := p.Backend.Service; b != nil && !services[ing.Namespace+"/"+b.Name] {
					missing = appendUnique(missing, b.Name)
				}
			}
		}
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil && !services[ing.Namespace+"/"+b.Service.Name] {
			missing = appendUnique(missing, b.Service.Name)
		}
		if len(missing) == 0 || len(s.Services) == 0 {
			continue // no Services collected at all: nothing to compare with
		}
		f := newFinding(ingressBackendMissing, Error, Subject{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name},
			fmt.Sprintf("Ingress %s routes to a Service that does not exist", ing.Name),
			fmt.Sprintf("backend Service(s) %s not found in namespace %s", strings.Join(missing, ", "), ing.Namespace))
		f.Refs = []string{bundle.ResourcesText}
		out = append(out, f)
	}
	return out
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func selectorString(sel map[string]string) string {
	var parts []string
	for k, v := range sel {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

var serviceDetector = detector{"services", []Category{serviceNoEndpoints, ingressBackendMissing}, serviceFindings}

var (
	serviceNoEndpoints    = Category{"ServiceNoEndpoints", 62}
	ingressBackendMissing = Category{"IngressBackendMissing", 61}
)
