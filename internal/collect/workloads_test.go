package collect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

// On the real control plane: a StatefulSet whose pod crash-loops is not ready, and the
// Service in front of it has no ready endpoint; both are consequences of the crash,
// which ranks first and which both name as their cause.
func TestIntegrationStatefulSetAndServiceCausedByTheirPod(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "sts-e2e"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	one := int32(1)
	labels := map[string]string{"app": "db"}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: appsv1.StatefulSetSpec{
		Replicas: &one, ServiceName: "db", Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{testenv.PlantedAnnotation: "true"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "postgres", Image: "postgres:16"}}}}}}
	if _, err := env.Client.AppsV1().StatefulSets(ns).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: corev1.ServiceSpec{Selector: labels,
		Ports: []corev1.ServicePort{{Port: 5432}}}}
	if _, err := env.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitUntil(ctx, t, "the StatefulSet's pod", func() bool {
		p, err := env.Client.CoreV1().Pods(ns).Get(ctx, "db-0", metav1.GetOptions{})
		pod = p
		return err == nil && p.Spec.NodeName != ""
	})
	now := time.Now()
	st := testenv.CrashLoopBackOff(testenv.RunningPodStatus(pod, now.Add(-5*time.Minute)), "postgres", 4, 1, now.Add(-time.Minute), now.Add(-50*time.Second))
	if _, err := env.SetPodStatus(ctx, ns, "db-0", st); err != nil {
		t.Fatal(err)
	}
	if err := env.SetContainerLogs(ctx, ns, "db-0", "postgres", nil, testenv.Lines(now.Add(-time.Minute),
		`FATAL:  could not open configuration file "/etc/postgresql/postgresql.conf": No such file or directory`)); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "the StatefulSet controller to see it", func() bool {
		s, err := env.Client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
		return err == nil && s.Status.ObservedGeneration > 0 && s.Status.Replicas == 1 && s.Status.ReadyReplicas == 0
	})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns)
	if len(r.Findings) == 0 || r.Findings[0].Category != "CrashLoopBackOff" {
		t.Fatalf("the crash is not first: %+v", r.Findings)
	}
	crash := r.Findings[0].ID
	for _, want := range []string{"WorkloadUnavailable", "ServiceNoEndpoints"} {
		found := false
		for _, f := range r.Findings {
			if f.Category == want {
				found = true
				if strings.Join(f.CausedBy, ",") != crash {
					t.Errorf("%s caused by %v, want the crash %s", want, f.CausedBy, crash)
				}
			}
		}
		if !found {
			t.Errorf("no %s finding: %+v", want, r.Findings)
		}
	}
}

// On the real control plane, k8sgpt's ReplicaSet, Ingress and DaemonSet cases: a
// ResourceQuota that admits no pod makes the controller's ReplicaSet fail to create its
// pod (condition ReplicaFailure, FailedCreate); an Ingress routes to a Service that does
// not exist; a DaemonSet's pod crash-loops, so the DaemonSet is short of ready pods and
// names the crash as its cause.
func TestIntegrationReplicaFailureIngressAndDaemonSet(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const quotaNS, dsNS = "quota-e2e", "ds-e2e"
	for _, ns := range []string{quotaNS, dsNS} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "no-pods"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}}}
	must(env.Client.CoreV1().ResourceQuotas(quotaNS).Create(ctx, quota, metav1.CreateOptions{}))
	waitUntil(ctx, t, "the quota's status", func() bool {
		q, err := env.Client.CoreV1().ResourceQuotas(quotaNS).Get(ctx, "no-pods", metav1.GetOptions{})
		return err == nil && q.Status.Hard != nil
	})
	one := int32(1)
	api := map[string]string{"app": "api"}
	must(env.Client.AppsV1().Deployments(quotaNS).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api"}, Spec: appsv1.DeploymentSpec{
		Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: api},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: api},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "api:e2e"}}}}}}, metav1.CreateOptions{}))
	must(env.Client.CoreV1().Services(quotaNS).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: corev1.ServiceSpec{Selector: api, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}))
	prefix := networkingv1.PathTypePrefix
	must(env.Client.NetworkingV1().Ingresses(quotaNS).Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "storefront", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}},
		metav1.CreateOptions{}))
	waitUntil(ctx, t, "the ReplicaSet's ReplicaFailure", func() bool {
		rss, err := env.Client.AppsV1().ReplicaSets(quotaNS).List(ctx, metav1.ListOptions{})
		if err != nil || len(rss.Items) == 0 {
			return false
		}
		for _, c := range rss.Items[0].Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	})

	agent := map[string]string{"app": "agent"}
	must(env.Client.AppsV1().DaemonSets(dsNS).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"}, Spec: appsv1.DaemonSetSpec{
		Selector: &metav1.LabelSelector{MatchLabels: agent},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: agent, Annotations: map[string]string{testenv.PlantedAnnotation: "true"}},
			Spec: corev1.PodSpec{NodeSelector: map[string]string{"kubernetes.io/hostname": scenario.Node},
				Containers: []corev1.Container{{Name: "agent", Image: "agent:e2e"}}}}}}, metav1.CreateOptions{}))
	var pod *corev1.Pod
	waitUntil(ctx, t, "the DaemonSet's pod", func() bool {
		pods, err := env.Client.CoreV1().Pods(dsNS).List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
		if err != nil || len(pods.Items) == 0 {
			return false
		}
		pod = &pods.Items[0]
		return true
	})
	now := time.Now()
	st := testenv.CrashLoopBackOff(testenv.RunningPodStatus(pod, now.Add(-5*time.Minute)), "agent", 3, 1, now.Add(-time.Minute), now.Add(-50*time.Second))
	must(env.SetPodStatus(ctx, dsNS, pod.Name, st))
	waitUntil(ctx, t, "the DaemonSet controller to see it", func() bool {
		ds, err := env.Client.AppsV1().DaemonSets(dsNS).Get(ctx, "agent", metav1.GetOptions{})
		return err == nil && ds.Status.ObservedGeneration > 0 && ds.Status.DesiredNumberScheduled == 1 && ds.Status.NumberReady == 0
	})

	r := collectAndRender(t, t.TempDir(), "-n", quotaNS+","+dsNS)
	byCategory := map[string]findings.Finding{}
	for _, f := range r.Findings {
		if _, ok := byCategory[f.Category]; !ok {
			byCategory[f.Category] = f
		}
	}
	if f, ok := byCategory["ReplicaFailure"]; !ok || f.Subject.Kind != "ReplicaSet" || !strings.Contains(f.Explanation, "exceeded quota") {
		t.Errorf("ReplicaFailure: %+v (all: %v)", f, categories(r.Findings))
	}
	if f, ok := byCategory["IngressBackendMissing"]; !ok || f.Subject.Name != "web" || !strings.Contains(f.Explanation, "storefront") {
		t.Errorf("IngressBackendMissing: %+v (all: %v)", f, categories(r.Findings))
	}
	crash, ok := byCategory["CrashLoopBackOff"]
	if !ok {
		t.Fatalf("no crash finding: %v", categories(r.Findings))
	}
	ds, ok := byCategory["WorkloadUnavailable"]
	if !ok || ds.Subject.Kind != "DaemonSet" || strings.Join(ds.CausedBy, ",") != crash.ID {
		t.Errorf("WorkloadUnavailable: %+v, want the DaemonSet caused by %s", ds, crash.ID)
	}
	if rank := func(id string) int {
		for i, f := range r.Findings {
			if f.ID == id {
				return i
			}
		}
		return -1
	}; rank(crash.ID) > rank(ds.ID) {
		t.Errorf("the DaemonSet's finding ranks above its cause: %v", categories(r.Findings))
	}
}

func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func categories(fs []findings.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Category+" "+f.Subject.Kind+"/"+f.Subject.Name)
	}
	return out
}
