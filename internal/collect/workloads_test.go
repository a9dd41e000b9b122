package collect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	for ctx.Err() == nil {
		if p, err := env.Client.CoreV1().Pods(ns).Get(ctx, "db-0", metav1.GetOptions{}); err == nil && p.Spec.NodeName != "" {
			pod = p
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if pod == nil {
		t.Fatal("the StatefulSet's pod never appeared")
	}
	now := time.Now()
	st := testenv.CrashLoopBackOff(testenv.RunningPodStatus(pod, now.Add(-5*time.Minute)), "postgres", 4, 1, now.Add(-time.Minute), now.Add(-50*time.Second))
	if _, err := env.SetPodStatus(ctx, ns, "db-0", st); err != nil {
		t.Fatal(err)
	}
	if err := env.SetContainerLogs(ctx, ns, "db-0", "postgres", nil, testenv.Lines(now.Add(-time.Minute),
		`FATAL:  could not open configuration file "/etc/postgresql/postgresql.conf": No such file or directory`)); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil { // the StatefulSet controller has seen it
		s, err := env.Client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
		if err == nil && s.Status.ObservedGeneration > 0 && s.Status.Replicas == 1 && s.Status.ReadyReplicas == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
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
