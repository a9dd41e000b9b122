package collect_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

var (
	gatewaysGVR   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	httpRoutesGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

func condition(typ, status, reason, msg string, at time.Time) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg,
		"lastTransitionTime": at.UTC().Format(time.RFC3339), "observedGeneration": int64(1)}
}

// createWithStatus creates a Gateway API object and writes its status through the
// status subresource, validated by the real CRD schema.
func createWithStatus(t *testing.T, ctx context.Context, gvr schema.GroupVersionResource, obj map[string]any, status map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	c := env.Dynamic.Resource(gvr).Namespace(u.GetNamespace())
	got, err := c.Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s %s: %v", gvr.Resource, u.GetName(), err)
	}
	got.Object["status"] = status
	if _, err := c.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("status of %s %s: %v", gvr.Resource, u.GetName(), err)
	}
}

// Gateway API conditions nested per parent and per listener become findings that name
// the parent or listener; a Deployment unavailable because its pod fails readiness ranks
// below the probe failure, which quotes the probe and the log around its first failure.
// The healthy route and the healthy Gateway condition add nothing.
func TestIntegrationNestedConditionsAndReadinessCause(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, f := range []string{"gateway.networking.k8s.io_gateways.yaml", "gateway.networking.k8s.io_httproutes.yaml"} {
		b, err := os.ReadFile("../../testdata/crds/gateway-api-v1.4.0/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.InstallCRDYAML(ctx, b); err != nil {
			t.Fatalf("install %s: %v", f, err)
		}
	}
	ns := "causes"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-5 * time.Minute).Truncate(time.Second)

	gwMeta := map[string]any{"name": "public", "namespace": ns}
	createWithStatus(t, ctx, gatewaysGVR, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": gwMeta,
		"spec": map[string]any{"gatewayClassName": "example", "listeners": []any{
			map[string]any{"name": "https", "protocol": "HTTPS", "port": int64(443), "hostname": "shop.example.com",
				"tls": map[string]any{"certificateRefs": []any{map[string]any{"name": "shop-tls"}}}},
		}},
	}, map[string]any{
		"conditions": []any{condition("Accepted", "True", "Accepted", "accepted", t0), condition("Programmed", "True", "Programmed", "programmed", t0)},
		"listeners": []any{map[string]any{"name": "https", "attachedRoutes": int64(0),
			"supportedKinds": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}},
			"conditions":     []any{condition("ResolvedRefs", "False", "InvalidCertificateRef", "Secret causes/shop-tls does not exist", t0.Add(10*time.Second))},
		}},
	})
	route := func(name, host string) map[string]any {
		return map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{"hostnames": []any{host}, "parentRefs": []any{map[string]any{"name": "public", "sectionName": "https"}},
				"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": "web", "port": int64(8080)}}}}}}
	}
	parent := map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public", "namespace": ns, "sectionName": "https"}
	createWithStatus(t, ctx, httpRoutesGVR, route("store", "store.other.example"), map[string]any{"parents": []any{map[string]any{
		"parentRef": parent, "controllerName": "example.com/gateway-controller",
		"conditions": []any{condition("Accepted", "False", "NoMatchingParent", "no listener hostname matches store.other.example", t0.Add(20*time.Second)),
			condition("ResolvedRefs", "True", "ResolvedRefs", "resolved", t0.Add(20*time.Second))},
	}}})
	createWithStatus(t, ctx, httpRoutesGVR, route("cart", "shop.example.com"), map[string]any{"parents": []any{map[string]any{
		"parentRef": parent, "controllerName": "example.com/gateway-controller",
		"conditions": []any{condition("Accepted", "True", "Accepted", "accepted", t0), condition("ResolvedRefs", "True", "ResolvedRefs", "resolved", t0)},
	}}})

	// A Deployment whose only pod runs but fails its readiness probe.
	labels := map[string]string{"app.kubernetes.io/name": "web"}
	one, deadline := int32(1), int32(600)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &one, ProgressDeadlineSeconds: &deadline,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{testenv.PlantedAnnotation: "true"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.example/web:e2e",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					ReadinessProbe: &corev1.Probe{PeriodSeconds: 5, FailureThreshold: 3,
						ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz/ready", Port: intstr.FromString("http")}}},
				}}},
			}},
	}
	if _, err := env.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	if err := pollFor(ctx, func() bool {
		pods, err := env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=web"})
		if err != nil || len(pods.Items) == 0 || pods.Items[0].Spec.NodeName == "" {
			return false
		}
		pod = &pods.Items[0]
		return true
	}); err != nil {
		t.Fatalf("web pod not scheduled: %v", err)
	}
	firstFailure := t0.Add(40 * time.Second)
	if _, err := env.SetPodStatus(ctx, ns, pod.Name, testenv.NotReady(testenv.RunningPodStatus(pod, t0), "web", firstFailure)); err != nil {
		t.Fatal(err)
	}
	lines := []testenv.LogLine{{Time: t0, Text: "web starting on :8080"}}
	for i := range 10 {
		lines = append(lines, testenv.LogLine{Time: t0.Add(time.Duration(i+1) * time.Second), Text: "loading templates"})
	}
	if err := env.SetContainerLogs(ctx, ns, pod.Name, "web", append(lines, []testenv.LogLine{
		{Time: t0.Add(30 * time.Second), Text: "connecting to postgres at db:5432"},
		{Time: t0.Add(39 * time.Second), Text: "postgres not reachable: dial tcp 10.96.0.12:5432: connect: connection refused"},
		{Time: firstFailure, Text: "GET /healthz/ready 503 database not ready"},
		{Time: t0.Add(4 * time.Minute), Text: "GET /healthz/ready 503 database not ready"},
	}...), nil); err != nil {
		t.Fatal(err)
	}
	ev := testenv.EventFor(corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod.Name, FieldPath: "spec.containers{web}"},
		corev1.EventTypeWarning, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", "kubelet", t0.Add(4*time.Minute), 40)
	ev.FirstTimestamp = metav1.NewTime(firstFailure)
	if _, err := env.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	// The Deployment controller sees the unready pod.
	if err := pollFor(ctx, func() bool {
		d, err := env.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionFalse {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("Deployment web never became unavailable: %v", err)
	}

	dir := t.TempDir()
	if code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", ns, "-o", dir); code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	r, err := model.Load(ctx, dir, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range r.Findings {
		t.Logf("%d. %s [%s] %s", i+1, f.Category, f.ID, f.Title)
	}
	find := func(category, titlePart string) (int, findings.Finding) {
		for i, f := range r.Findings {
			if f.Category == category && strings.Contains(f.Title, titlePart) {
				return i, f
			}
		}
		t.Fatalf("no %s finding with %q", category, titlePart)
		return 0, findings.Finding{}
	}
	_, routeF := find("ResourceNotReady", "HTTPRoute store")
	if !strings.Contains(routeF.Title, "parent Gateway causes/public section https") || !strings.Contains(routeF.Title, "NoMatchingParent") {
		t.Errorf("route finding does not name its parent: %s", routeF.Title)
	}
	_, gwF := find("ResourceNotReady", "Gateway public")
	if !strings.Contains(gwF.Title, "listener https") || !strings.Contains(gwF.Explanation, "shop-tls") {
		t.Errorf("gateway finding does not name its listener: %s / %s", gwF.Title, gwF.Explanation)
	}
	probeAt, probe := find("ProbeFailing", pod.Name)
	depAt, depF := find("DeploymentUnavailable", "web")
	if probeAt > depAt {
		t.Errorf("the probe failure (#%d) ranks below the Deployment it explains (#%d)", probeAt+1, depAt+1)
	}
	if len(depF.CausedBy) != 1 || depF.CausedBy[0] != probe.ID || !strings.Contains(depF.Explanation, "caused by: Readiness probe") {
		t.Errorf("deployment finding does not link its cause: %+v", depF)
	}
	evidence := strings.Join(probe.Evidence, "\n")
	for _, want := range []string{"HTTP GET http://10.244.1.100:8080/healthz/ready (port http)", "postgres not reachable", "GET /healthz/ready 503 database not ready"} {
		if !strings.Contains(evidence, want) {
			t.Errorf("probe evidence lacks %q:\n%s", want, evidence)
		}
	}
	if strings.Contains(evidence, "web starting on :8080") {
		t.Errorf("probe evidence quotes lines far from the first failure:\n%s", evidence)
	}
	if probe.Count != 40 || !probe.Time.Equal(firstFailure) {
		t.Errorf("probe finding count %d at %v, want 40 at the first failure %v", probe.Count, probe.Time, firstFailure)
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Title, "cart") {
			t.Errorf("healthy route has a finding: %s", f.Title)
		}
	}
}

func pollFor(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
