// Package bench measures `ci-report collect` and `render` against the kubectl-based
// baselines on the local cluster: a workload generator, the contenders, and the table.
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/org/k8s-e2e-report/internal/demo"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

// Size is one workload.
type Size struct {
	Namespace string
	Pods      int   // each with containers app and sidecar; every third restarted once (a previous log)
	Events    int   // spread over the pods
	CRs       int   // APIGraph objects
	LogBytes  int64 // per container log (the previous log is a quarter of it)
}

// Containers is the number of container logs a collector fetches (current and previous).
func (s Size) Containers() int { return s.Pods*2 + (s.Pods+2)/3*2 }

const node = "bench-node"

// Seed creates the workload: a node big enough, the namespace, every pod's log (through
// kwok's ClusterLogs: one file per container name serves every pod of the namespace),
// planted running pods, Deployments, ReplicaSets, Services, ConfigMaps, suspended Jobs,
// events and custom resources.
func Seed(ctx context.Context, c *testenv.Cluster, s Size) error {
	// The cluster's own client is limited to 200 requests per second, which made 10,000
	// events alone take 50 s; seeding is bounded by the API server instead.
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst = 5000, 5000
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if _, err := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err != nil {
		if _, err := c.CreateNode(ctx, node, testenv.NodeOptions{CPU: "10000", Memory: "64Ti", Pods: "20000"}); err != nil {
			return fmt.Errorf("node: %w", err)
		}
	}
	if err := c.EnsureNamespace(ctx, s.Namespace); err != nil {
		return err
	}
	if err := demo.InstallAPIGraphCRD(ctx, c); err != nil {
		return err
	}
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	phase := time.Now()
	done := func(what string) {
		slog.Info("seeded", "namespace", s.Namespace, "what", what, "took", time.Since(phase).Round(time.Millisecond))
		phase = time.Now()
	}
	for _, ctr := range []string{"app", "sidecar"} {
		if err := c.SetNamespaceContainerLogs(ctx, s.Namespace, ctr, LogLines(start, ctr, s.LogBytes), LogLines(start.Add(-time.Hour), ctr, s.LogBytes/4)); err != nil {
			return fmt.Errorf("logs: %w", err)
		}
	}
	done("logs")
	ns := s.Namespace
	err = parallel(ctx, s.Pods, func(i int) error {
		name := fmt.Sprintf("svc-%03d-%d", i/10, i)
		p := testenv.Plant(&corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/name": fmt.Sprintf("svc-%03d", i/10)}},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{
				{Name: "app", Image: "registry.example/app:bench", Env: []corev1.EnvVar{{Name: "MODE", Value: "bench"}}},
				{Name: "sidecar", Image: "registry.example/proxy:bench"},
			}},
		})
		p, err := client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		st := testenv.RunningPodStatus(p, start)
		if i%3 == 0 {
			st = testenv.OOMKilledRestart(st, "app", 1, start.Add(-time.Hour), start.Add(-time.Minute), start)
			st = testenv.OOMKilledRestart(st, "sidecar", 1, start.Add(-time.Hour), start.Add(-time.Minute), start)
		}
		_, err = c.SetPodStatus(ctx, ns, name, st)
		return err
	})
	if err != nil {
		return fmt.Errorf("pods: %w", err)
	}
	done("pods")
	zero, suspend := int32(0), true
	err = parallel(ctx, max(s.Pods/10, 1), func(i int) error {
		name := fmt.Sprintf("svc-%03d", i)
		l := map[string]string{"app.kubernetes.io/name": name}
		tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:bench"}}}}
		if _, err := client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
			Spec: appsv1.DeploymentSpec{Replicas: &zero, Selector: &metav1.LabelSelector{MatchLabels: l}, Template: tmpl}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
			Spec: corev1.ServiceSpec{Selector: l, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name + "-config", Labels: l},
			Data: map[string]string{"config.yaml": strings.Repeat("key: value\n", 50)}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if i%3 == 0 {
			if _, err := client.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name + "-migrate"},
				Spec: batchv1.JobSpec{Suspend: &suspend, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{Name: "migrate", Image: "registry.example/migrate:bench"}}}}}}, metav1.CreateOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("workloads: %w", err)
	}
	done("deployments, services, configmaps, jobs")
	err = parallel(ctx, s.Events, func(i int) error {
		pod := fmt.Sprintf("svc-%03d-%d", (i%s.Pods)/10, i%s.Pods)
		typ, reason, msg := corev1.EventTypeNormal, "Pulled", "Container image \"registry.example/app:bench\" already present on machine"
		if i%7 == 0 {
			typ, reason, msg = corev1.EventTypeWarning, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"
		}
		ev := testenv.EventFor(corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod, APIVersion: "v1"}, typ, reason, msg, "kubelet", start.Add(time.Duration(i)*time.Second), 1)
		ev.Name = fmt.Sprintf("%s.%x", pod, i)
		_, err := client.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	done("events")
	res := dyn.Resource(demo.APIGraphGVR).Namespace(ns)
	err = parallel(ctx, s.CRs, func(i int) error {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "turboengine.io/v1alpha1", "kind": "APIGraph",
			"metadata": map[string]any{"name": fmt.Sprintf("graph-%04d", i)},
			"spec":     map[string]any{"image": "registry.example/graph:bench", "replicas": int64(1), "routes": []any{map[string]any{"path": "/api/x", "port": int64(8080)}}},
		}}
		created, err := res.Create(ctx, obj, metav1.CreateOptions{})
		if err != nil || i%10 != 0 {
			return err
		}
		_ = unstructured.SetNestedField(created.Object, map[string]any{"observedGeneration": int64(1), "conditions": []any{map[string]any{
			"type": "Ready", "status": "True", "reason": "Reconciled", "message": "ok", "lastTransitionTime": start.Format(time.RFC3339)}}}, "status")
		_, err = res.UpdateStatus(ctx, created, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("custom resources: %w", err)
	}
	done("custom resources")
	return nil
}

// LogLines makes about n bytes of a realistic log: klog-style request lines with an
// error every 50 lines.
func LogLines(start time.Time, ctr string, n int64) []testenv.LogLine {
	var out []testenv.LogLine
	var size int64
	for i := 0; size < n; i++ {
		t := start.Add(time.Duration(i) * 10 * time.Millisecond)
		text := fmt.Sprintf("I%s %d handler.go:42] %s GET /api/orders/%d 200 %d.%dms user=bench-%d", t.Format("0102 15:04:05.000000"), 1, ctr, i, i%17, i%10, i%23)
		if i%50 == 49 {
			text = fmt.Sprintf("E%s %d handler.go:88] %s GET /api/orders/%d: upstream connect error: connection refused", t.Format("0102 15:04:05.000000"), 1, ctr, i)
		}
		out = append(out, testenv.LogLine{Time: t, Text: text})
		size += int64(len(text)) + 44 // CRI timestamp, stream and tag
	}
	return out
}

// parallel runs f(0..n-1) on 8 workers and returns the first error.
func parallel(ctx context.Context, n int, f func(int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
