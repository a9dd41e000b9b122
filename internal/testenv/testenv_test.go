package testenv_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/org/k8s-e2e-report/internal/testenv"
)

var env *testenv.Cluster

func TestMain(m *testing.M) {
	if os.Getenv("TESTENV_PANIC_CHILD") != "" {
		panicChild()
		return
	}
	os.Exit(testenv.Main(m, &env))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func poll(t *testing.T, what string, cond func(context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(ctx(t), 200*time.Millisecond, time.Minute, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v\n%s", what, err, env.ProcessLogs(20))
	}
}

func getLogs(t *testing.T, c kubernetes.Interface, ns, pod, container string, previous bool) string {
	t.Helper()
	rc, err := c.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous}).Stream(ctx(t))
	if err != nil {
		t.Fatalf("GetLogs %s/%s/%s previous=%v: %v", ns, pod, container, previous, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func TestIntegrationDeploymentPodLogsAndScheduling(t *testing.T) {
	c := ctx(t)
	ns := "it-deploy"
	if err := env.EnsureNamespace(c, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := env.CreateNode(c, "kwok-small", testenv.NodeOptions{CPU: "2", Memory: "4Gi"}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := env.SetNamespaceContainerLogs(c, ns, "web",
		testenv.Lines(start, "listening on :8080", "GET /healthz 200"),
		testenv.Lines(start.Add(-time.Minute), "starting", "panic: boom")); err != nil {
		t.Fatal(err)
	}

	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: "example.com/web:1",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
				}}},
			},
		},
	}
	if _, err := env.Client.AppsV1().Deployments(ns).Create(c, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The controller-manager creates the ReplicaSet and pod, the scheduler binds it,
	// kwok runs it.
	var pod corev1.Pod
	poll(t, "a running pod of the deployment", func(c context.Context) (bool, error) {
		pods, err := env.Client.CoreV1().Pods(ns).List(c, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(pods.Items) == 0 {
			return false, nil
		}
		pod = pods.Items[0]
		return pod.Status.Phase == corev1.PodRunning && pod.Spec.NodeName == "kwok-small", nil
	})
	if got := getLogs(t, env.Client, ns, pod.Name, "web", false); !strings.Contains(got, "GET /healthz 200") {
		t.Errorf("current log = %q, want the planted lines", got)
	}
	if got := getLogs(t, env.Client, ns, pod.Name, "web", true); !strings.HasSuffix(strings.TrimSpace(got), "panic: boom") {
		t.Errorf("previous log = %q, want it to end with the panic", got)
	}

	// An oversized pod: the scheduler reports FailedScheduling.
	big := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "too-big", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "big", Image: "example.com/big:1",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")}},
		}}},
	}
	if _, err := env.Client.CoreV1().Pods(ns).Create(c, big, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "a FailedScheduling event", func(c context.Context) (bool, error) {
		evs, err := env.Client.CoreV1().Events(ns).List(c, metav1.ListOptions{FieldSelector: "involvedObject.name=too-big"})
		if err != nil {
			return false, nil
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedScheduling" && strings.Contains(e.Message, "Insufficient cpu") {
				return true, nil
			}
		}
		// events.k8s.io is where the scheduler writes; core/v1 shows the same objects.
		return false, nil
	})
}

func TestIntegrationPlantedStatusSurvives(t *testing.T) {
	c := ctx(t)
	ns := "it-planted"
	if err := env.EnsureNamespace(c, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := env.CreateNode(c, "kwok-planted", testenv.NodeOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := testenv.Plant(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "crasher", Namespace: ns},
		Spec:       corev1.PodSpec{NodeName: "kwok-planted", Containers: []corev1.Container{{Name: "app", Image: "example.com/app:1"}}},
	})
	pod, err := env.Client.CoreV1().Pods(ns).Create(c, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	st := testenv.CrashLoopBackOff(testenv.RunningPodStatus(pod, now.Add(-time.Minute)), "app", 4, 2, now.Add(-20*time.Second), now.Add(-10*time.Second))
	if _, err := env.SetPodStatus(c, ns, "crasher", st); err != nil {
		t.Fatal(err)
	}
	if err := env.SetContainerLogs(c, ns, "crasher", "app", testenv.Lines(now, "starting again"), testenv.Lines(now.Add(-time.Minute), "panic: nil map")); err != nil {
		t.Fatal(err)
	}
	// Give kwok time to act; the planted status must still be there.
	time.Sleep(2 * time.Second)
	got, err := env.Client.CoreV1().Pods(ns).Get(c, "crasher", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs := got.Status.ContainerStatuses
	if len(cs) != 1 || cs[0].State.Waiting == nil || cs[0].State.Waiting.Reason != "CrashLoopBackOff" || cs[0].RestartCount != 4 {
		t.Fatalf("planted status was overwritten: %+v", cs)
	}
	if got := getLogs(t, env.Client, ns, "crasher", "app", true); !strings.Contains(got, "panic: nil map") {
		t.Errorf("previous log = %q", got)
	}
}

func TestIntegrationRestrictedIdentityIsForbidden(t *testing.T) {
	c := ctx(t)
	ns := "it-rbac"
	id, err := env.CreateIdentity(c, ns, "reader", nil, map[string][]rbacv1.PolicyRule{
		ns: {{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(id.Config)
	if _, err := client.CoreV1().Pods(ns).List(c, metav1.ListOptions{}); err != nil {
		t.Errorf("list pods with the granted role: %v", err)
	}
	_, err = client.CoreV1().Secrets(ns).List(c, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("list secrets: err = %v, want Forbidden", err)
	}
	// The static restricted users have no permissions at all.
	kc, err := env.UserKubeconfig("restricted-0")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(env.Binaries.Kubectl(), "--kubeconfig", kc, "get", "pods", "-n", ns).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Forbidden") {
		t.Errorf("kubectl as restricted-0: err=%v out=%s, want Forbidden", err, out)
	}
}

func TestIntegrationAPIServerStopAndStart(t *testing.T) {
	c := ctx(t)
	env.KillAPIServer()
	short, cancel := context.WithTimeout(c, 2*time.Second)
	_, err := env.Client.CoreV1().Namespaces().List(short, metav1.ListOptions{})
	cancel()
	if err == nil {
		t.Fatal("list namespaces succeeded with the API server killed")
	}
	if err := env.StartAPIServer(c); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.CoreV1().Namespaces().List(c, metav1.ListOptions{}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// panicChild starts a cluster, writes its directory to a file, and panics: the
// cluster's processes must die with it.
func panicChild() {
	c, err := testenv.Start(context.Background(), testenv.Options{Dir: os.Getenv("TESTENV_PANIC_CHILD")})
	if err != nil {
		os.Exit(3)
	}
	_ = c
	panic("child panics with a running cluster")
}

func TestIntegrationNoLeakAfterPanic(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TESTENV_PANIC_CHILD="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if !strings.Contains(out.String(), "child panics with a running cluster") {
		t.Fatalf("child did not reach its panic (err=%v):\n%s", err, out.String())
	}
	// Every process the child started ran with its working directory in dir.
	poll(t, "the child's cluster processes to exit", func(context.Context) (bool, error) {
		return len(processesIn(dir)) == 0, nil
	})
}

// processesIn lists pids whose working directory is dir.
func processesIn(dir string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

func TestIntegrationKubeletProtocol(t *testing.T) {
	if p, err := env.KubeletProtocol(); err != nil || p != "h2" {
		t.Errorf("default kubelet protocol = %q, %v; want h2, as a real kubelet", p, err)
	}
	c, err := testenv.Start(ctx(t), testenv.Options{KubeletHTTP1: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if p, err := c.KubeletProtocol(); err != nil || p != "http/1.1" {
		t.Errorf("KubeletHTTP1 kubelet protocol = %q, %v; want http/1.1", p, err)
	}
	// Logs still flow through the API server over HTTP/1.1.
	cx := ctx(t)
	if _, err := c.CreateNode(cx, "h1-node", testenv.NodeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureNamespace(cx, "h1"); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := c.SetNamespaceContainerLogs(cx, "h1", "web", testenv.Lines(start, "served over http/1.1"), nil); err != nil {
		t.Fatal(err)
	}
	pod := testenv.Plant(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "h1"},
		Spec: corev1.PodSpec{NodeName: "h1-node", Containers: []corev1.Container{{Name: "web", Image: "example.com/web:1"}}}})
	if pod, err = c.Client.CoreV1().Pods("h1").Create(cx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetPodStatus(cx, "h1", "web", testenv.RunningPodStatus(pod, start)); err != nil {
		t.Fatal(err)
	}
	if got := getLogs(t, c.Client, "h1", "web", "web", false); !strings.Contains(got, "served over http/1.1") {
		t.Errorf("log = %q", got)
	}
}
