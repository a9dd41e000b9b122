package demo_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/demo"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

var env *testenv.Cluster

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

func TestIntegrationSeed(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	s, err := demo.Seed(ctx, env)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, env.ProcessLogs(20))
	}
	ns := s.Namespace
	core := env.Client.CoreV1()

	for _, name := range demo.Services {
		if _, err := env.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("deployment %s: %v", name, err)
		}
		if _, err := core.Services(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("service %s: %v", name, err)
		}
	}
	for _, get := range []func() error{
		func() error {
			_, err := env.Client.AppsV1().Deployments(ns).Get(ctx, "deploy-users", metav1.GetOptions{})
			return err
		},
		func() error { _, err := core.Services(ns).Get(ctx, "svc-users", metav1.GetOptions{}); return err },
		func() error { _, err := core.ConfigMaps(ns).Get(ctx, "cm-users", metav1.GetOptions{}); return err },
	} {
		if err := get(); err != nil {
			t.Errorf("operator-created object: %v", err)
		}
	}

	crash, err := core.Pods(ns).Get(ctx, s.CrashLoopPod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w := crash.Status.ContainerStatuses[0].State.Waiting; w == nil || w.Reason != "CrashLoopBackOff" {
		t.Errorf("builder state = %+v, want CrashLoopBackOff", crash.Status.ContainerStatuses[0].State)
	}
	prev := logs(t, ctx, ns, s.CrashLoopPod, s.CrashLoopContainer, true)
	if !strings.Contains(prev, "panic: assignment to entry in nil map") {
		t.Errorf("builder previous log lacks the panic:\n%s", prev)
	}

	oom, err := core.Pods(ns).Get(ctx, s.OOMKilledPod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sawOOM bool
	for _, cs := range oom.Status.ContainerStatuses {
		if term := cs.LastTerminationState.Terminated; term != nil && term.Reason == "OOMKilled" && cs.RestartCount > 0 {
			sawOOM = true
		}
	}
	if !sawOOM {
		t.Errorf("envmanager has no OOMKilled last state: %+v", oom.Status.ContainerStatuses)
	}
	if len(oom.Spec.InitContainers) == 0 {
		t.Error("envmanager has no init container")
	}

	lg, err := core.Pods(ns).Get(ctx, s.UnschedulablePod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lg.Spec.NodeName != "" || lg.Status.Phase != corev1.PodPending {
		t.Errorf("load-generator was placed: node=%q phase=%s", lg.Spec.NodeName, lg.Status.Phase)
	}

	ag, err := env.Dynamic.Resource(demo.APIGraphGVR).Namespace(ns).Get(ctx, s.NotReadyAPIGraph, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conds, _, _ := unstructured.NestedSlice(ag.Object, "status", "conditions")
	if len(conds) != 1 || conds[0].(map[string]any)["status"] != "False" || conds[0].(map[string]any)["reason"] != s.NotReadyReason {
		t.Errorf("orders conditions = %v", conds)
	}

	job, err := env.Client.BatchV1().Jobs(ns).Get(ctx, s.FailedJob, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var failed bool
	for _, c := range job.Status.Conditions {
		failed = failed || (c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue)
	}
	if !failed {
		t.Errorf("job %s not failed: %+v", s.FailedJob, job.Status.Conditions)
	}

	evs, err := core.Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, e := range evs.Items {
		reasons[e.Reason] = true
	}
	for _, r := range []string{"FailedScheduling", "BackOff", "Unhealthy", "ReconcileError", "BackoffLimitExceeded"} {
		if !reasons[r] {
			t.Errorf("no Warning event %s; have %v", r, reasons)
		}
	}
	if reasons["FailedToUpdateEndpoint"] || reasons["FailedToUpdateEndpointSlices"] {
		t.Errorf("pods got loopback IPs: %v", reasons)
	}

	op, err := core.Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=operator"})
	if err != nil || len(op.Items) != 1 {
		t.Fatalf("operator pod: %v %d", err, len(op.Items))
	}
	if l := logs(t, ctx, ns, op.Items[0].Name, "operator", false); !strings.Contains(l, `"reconcileID":"7c2e9d44`) || !strings.Contains(l, `"msg":"Reconciler error"`) {
		t.Errorf("operator log lacks structured reconcile errors:\n%s", l)
	}
}

func logs(t *testing.T, ctx context.Context, ns, pod, container string, previous bool) string {
	t.Helper()
	rc, err := env.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous}).Stream(ctx)
	if err != nil {
		t.Fatalf("logs %s/%s previous=%v: %v", pod, container, previous, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}
