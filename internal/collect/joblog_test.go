package collect_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/cli"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/reportjson"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

// e2e tests run as a Job in the cluster and left no results file, only pytest's output in
// the pod's log: the report reads the tests from that log, counted as pytest counted
// them, and the failed Job is linked to (and explained by) its failed tests.
func TestIntegrationTestsFromAJobLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns, name = "pytest-in-cluster", "e2e-pytest"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{testenv.PlantedAnnotation: "true"}},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
			Name: "pytest", Image: "registry.example/e2e:1", Args: []string{"pytest", "tests/e2e"}}}},
	}
	zero := int32(0)
	if _, err := env.Client.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{BackoffLimit: &zero, Template: tmpl}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	for ctx.Err() == nil {
		l, err := env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + name})
		if err == nil && len(l.Items) > 0 && l.Items[0].Spec.NodeName != "" {
			pod = l.Items[0]
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, err := os.ReadFile("../../testdata/results/logs/pytest-quiet.log")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-2 * time.Minute)
	if err := env.SetContainerLogs(ctx, ns, pod.Name, "pytest", testenv.Lines(start, strings.Split(strings.TrimSpace(string(log)), "\n")...), nil); err != nil {
		t.Fatal(err)
	}
	started, finished := metav1.NewTime(start), metav1.NewTime(start.Add(time.Minute))
	if _, err := env.SetPodStatus(ctx, ns, pod.Name, corev1.PodStatus{Phase: corev1.PodFailed, StartTime: &started,
		ContainerStatuses: []corev1.ContainerStatus{{Name: "pytest", Image: "registry.example/e2e:1",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", StartedAt: started, FinishedAt: finished}}}}}); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		j, err := env.Client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && j.Status.Failed > 0 && len(j.Status.Conditions) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns)
	if r.TestCounts["failed"] != 2 || r.TestCounts["passed"] != 39 || r.TestCounts["skipped"] != 1 {
		t.Errorf("test counts %v, want pytest's: 2 failed, 39 passed, 1 skipped", r.TestCounts)
	}
	if len(r.Tests.Sources) != 1 || r.Tests.Sources[0].Format != "pytest-log" || !strings.Contains(r.Tests.Sources[0].Path, pod.Name) {
		t.Errorf("sources %+v: want the Job pod's log, marked pytest-log", r.Tests.Sources)
	}
	var job, test string
	var jobCausedBy []string
	for _, f := range r.Findings {
		switch {
		case f.Category == "JobFailed":
			job, jobCausedBy = f.ID, f.CausedBy
		case f.Category == "TestFailed" && strings.Contains(f.Title, "test_refund"):
			test = f.ID
			if !strings.Contains(strings.Join(f.Related, " "), "JobFailed-") {
				t.Errorf("test_refund's finding is not linked to the Job's: %+v", f.Related)
			}
		}
	}
	if job == "" || test == "" || !strings.Contains(strings.Join(jobCausedBy, " "), test) {
		t.Errorf("the failed Job (%q) is not explained by its failed test (%q): causedBy %v", job, test, jobCausedBy)
	}
}

// ci-report as a Job in the cluster: collect, then `bundle pack` to its log; outside,
// `kubectl logs` of that pod piped into `bundle unpack` recreates the bundle, through the
// real API server's pods/log.
func TestIntegrationBundleOutThroughKubectlLogs(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns, name = "ci-report-pack", "ci-report-collect-0"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pod := testenv.Plant(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "collect", Image: "ghcr.io/org/k8s-e2e-report:v1"}}}})
	if _, err := env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var packed bytes.Buffer
	var stderr bytes.Buffer
	if code := cli.Main([]string{"bundle", "pack", "../../testdata/bundles/demo"}, nil, &packed, &stderr); code != 0 {
		t.Fatalf("pack: exit %d\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace("collected 9 findings\n"+packed.String()), "\n")
	if err := env.SetContainerLogs(ctx, ns, name, "collect", testenv.Lines(time.Now().Add(-time.Minute), lines...), nil); err != nil {
		t.Fatal(err)
	}
	logs, err := exec.CommandContext(ctx, env.Binaries.Kubectl(), "--kubeconfig", env.Kubeconfig, "-n", ns, "logs", name).Output()
	if err != nil {
		t.Fatalf("kubectl logs: %v", err)
	}
	out := filepath.Join(t.TempDir(), "ci-report")
	var stdout bytes.Buffer
	stderr.Reset()
	if code := cli.Main([]string{"bundle", "unpack", "-o", out}, bytes.NewReader(logs), &stdout, &stderr); code != 0 {
		t.Fatalf("unpack: exit %d\n%s", code, stderr.String())
	}
	for _, f := range []string{bundle.ManifestFile, bundle.ResourcesJSON, bundle.EventsJSON} {
		want, _ := os.ReadFile(filepath.Join("../../testdata/bundles/demo", f))
		got, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs after kubectl logs and unpack: %v", f, err)
		}
	}
	// And it renders.
	if code, stderr := runCLI(t, env.Kubeconfig, "render", out, "-q"); code != 0 {
		t.Fatalf("render the unpacked bundle: exit %d\n%s", code, stderr)
	}
}

// collectAndRender collects into dir with args, renders it, and reads the report back.
func collectAndRender(t *testing.T, dir string, args ...string) *model.Report {
	t.Helper()
	if code, stderr := runCLI(t, env.Kubeconfig, append([]string{"collect", "-o", dir}, args...)...); code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	if code, stderr := runCLI(t, env.Kubeconfig, "render", dir, "-q"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	r, err := reportjson.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
