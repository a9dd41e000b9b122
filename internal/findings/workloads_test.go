package findings

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func crashing(name, ownerKind, owner string, labels map[string]string) corev1.Pod {
	p := pod(name, corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "c", RestartCount: 5,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}}}})
	p.OwnerReferences, p.Labels = []metav1.OwnerReference{{Kind: ownerKind, Name: owner}}, labels
	return p
}

// StatefulSets and DaemonSets, like Deployments, are the consequence of their pods'
// findings; a Service selecting only those pods has no endpoints, for the same cause.
func TestWorkloadsAndServicesCausedByTheirPods(t *testing.T) {
	three := int32(3)
	in := &Input{
		Pods: []corev1.Pod{crashing("db-0", "StatefulSet", "db", map[string]string{"app": "db"}),
			crashing("agent-x2k9z", "DaemonSet", "agent", nil)},
		StatefulSets: []appsv1.StatefulSet{{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"},
			Spec: appsv1.StatefulSetSpec{Replicas: &three}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, ReadyReplicas: 2}}},
		DaemonSets: []appsv1.DaemonSet{{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "ns"},
			Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 1, NumberUnavailable: 1}}},
		Services: []corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "db"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "external", Namespace: "ns"}}},
	}
	fs := Detect(in)
	ids := map[string]string{}
	for _, f := range fs {
		ids[f.Subject.String()] = f.ID
	}
	rank := map[string]int{}
	for i, f := range fs {
		rank[f.Subject.String()] = i
	}
	for _, tc := range []struct{ subject, cause string }{
		{"StatefulSet/ns/db", "Pod/ns/db-0"}, {"DaemonSet/ns/agent", "Pod/ns/agent-x2k9z"}, {"Service/ns/db", "Pod/ns/db-0"},
	} {
		var f *Finding
		for i := range fs {
			if fs[i].Subject.String() == tc.subject {
				f = &fs[i]
			}
		}
		if f == nil {
			t.Errorf("no finding on %s: %+v", tc.subject, fs)
			continue
		}
		if len(f.CausedBy) != 1 || f.CausedBy[0] != ids[tc.cause] || rank[tc.cause] > rank[tc.subject] || f.Severity != Warning {
			t.Errorf("%s not caused by (and ranked below) %s: %+v", tc.subject, tc.cause, f)
		}
	}
	if _, ok := ids["Service/ns/external"]; ok {
		t.Error("a Service without a selector was judged by its endpoints")
	}
}

func TestReplicaFailureAndIngressBackend(t *testing.T) {
	in := &Input{
		ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "ns"}, Status: appsv1.ReplicaSetStatus{
			Conditions: []appsv1.ReplicaSetCondition{{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
				Message: `pods "web-1-" is forbidden: exceeded quota: compute, requested: cpu=2`}}}}},
		Services: []corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}}},
		Ingresses: []networkingv1.Ingress{{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "ns"}, Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web"}}},
					{Path: "/api", Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "api"}}}}}}}}}}},
	}
	got := byCategory(Detect(in))
	if f, ok := got["ReplicaFailure"]; !ok || !strings.Contains(f.Explanation, "exceeded quota") {
		t.Errorf("ReplicaFailure: %+v", f)
	}
	if f, ok := got["IngressBackendMissing"]; !ok || !strings.Contains(f.Explanation, "api") || strings.Contains(f.Explanation, "web") {
		t.Errorf("IngressBackendMissing: %+v", f)
	}
}
