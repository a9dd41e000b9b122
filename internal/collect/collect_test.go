package collect_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/cli"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/demo"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

var (
	env      *testenv.Cluster
	scenario *demo.Scenario
	binary   string // a built ci-report, for tests that measure the process
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, func(ctx context.Context, c *testenv.Cluster) error {
		var err error
		if scenario, err = demo.Seed(ctx, c); err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "ci-report-bin-")
		if err != nil {
			return err
		}
		binary = filepath.Join(dir, "ci-report")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/org/k8s-e2e-report/cmd/ci-report").CombinedOutput()
		if err != nil {
			return fmt.Errorf("build ci-report: %v\n%s", err, out)
		}
		return nil
	}))
}

// runCLI runs ci-report in-process against the test cluster and returns its exit code
// and stderr.
func runCLI(t *testing.T, kubeconfig string, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(append([]string{"--kubeconfig", kubeconfig}, args...), nil, &stdout, &stderr)
	return code, stderr.String()
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("bundle file %s: %v", rel, err)
	}
	return string(b)
}

func manifest(t *testing.T, dir string) *bundle.Manifest {
	t.Helper()
	m, err := bundle.ReadManifest(dir)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return m
}

func TestIntegrationDemoBundle(t *testing.T) {
	dir := t.TempDir()
	code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir)
	if code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	m := manifest(t, dir)
	if len(m.Gaps) != 0 {
		t.Errorf("gaps on the admin identity: %+v", m.Gaps)
	}
	if !m.Cluster.Reachable || m.Cluster.Version != "v1.36.3" && !strings.HasPrefix(m.Cluster.Version, "v") {
		t.Errorf("cluster info = %+v", m.Cluster)
	}
	for _, c := range m.Collectors {
		if c.Status != bundle.StatusOK {
			t.Errorf("collector %s: %s %v", c.Name, c.Status, c.Errors)
		}
	}
	for _, rel := range []string{bundle.ManifestFile, bundle.ResourcesJSON, bundle.ResourcesText, bundle.PodDescriptions, bundle.EventsText,
		bundle.EventsJSON, bundle.OperatorActionsJSON, bundle.TimelineText, bundle.CustomResourcePath("apigraphs"),
		bundle.LogPath(demo.Namespace, scenario.CrashLoopPod, "builder", false),
		bundle.LogPath(demo.Namespace, scenario.OOMKilledPod, "wait-for-registry", false)} {
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			t.Errorf("missing %s: %v", rel, err)
		}
	}

	prev := read(t, dir, bundle.LogPath(demo.Namespace, scenario.CrashLoopPod, "builder", true))
	if !strings.Contains(prev, "panic: assignment to entry in nil map") {
		t.Errorf("CrashLoopBackOff previous log lacks the panic:\n%s", prev)
	}
	if _, err := os.Stat(filepath.Join(dir, bundle.LogPath(demo.Namespace, scenario.OOMKilledPod, "envmanager", true))); err != nil {
		t.Errorf("OOMKilled container's previous log: %v", err)
	}

	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(read(t, dir, bundle.ResourcesJSON)), &list); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var oom bool
	for _, it := range list.Items {
		kinds[it["kind"].(string)]++
		md := it["metadata"].(map[string]any)
		if _, has := md["managedFields"]; has {
			t.Errorf("%s/%s kept managedFields", it["kind"], md["name"])
		}
		if it["kind"] == "Pod" && md["name"] == scenario.OOMKilledPod {
			b, _ := json.Marshal(it["status"])
			oom = strings.Contains(string(b), `"reason":"OOMKilled"`)
		}
	}
	if !oom {
		t.Error("resources.json lacks the OOMKilled last state")
	}
	for _, k := range []string{"Pod", "Deployment", "Service", "ConfigMap", "Job", "APIGraph", "Node", "Secret"} {
		if kinds[k] == 0 {
			t.Errorf("resources.json has no %s (kinds: %v)", k, kinds)
		}
	}

	txt := read(t, dir, bundle.ResourcesText)
	for _, want := range []string{"NOMINATED NODE", "READINESS GATES", "DependencyNotReady", "=== apigraphs.turboengine.io"} {
		if !strings.Contains(txt, want) {
			t.Errorf("resources.txt lacks %q (wide columns and CR printer columns)", want)
		}
	}
	desc := read(t, dir, bundle.PodDescriptions)
	if !strings.Contains(desc, "CrashLoopBackOff") || !strings.Contains(desc, "OOMKilled") || !strings.Contains(desc, "Events:") {
		t.Errorf("pod descriptions lack kubectl describe content")
	}

	evs := read(t, dir, bundle.EventsText)
	if !strings.Contains(evs, "FailedScheduling") || !strings.Contains(evs, "Insufficient cpu") {
		t.Errorf("events.txt lacks the scheduler's FailedScheduling:\n%s", evs)
	}
	ag := read(t, dir, bundle.CustomResourcePath("apigraphs"))
	if !strings.Contains(ag, "name: orders") || !strings.Contains(ag, "status: \"False\"") || !strings.Contains(ag, "reason: DependencyNotReady") {
		t.Errorf("apigraphs.yaml lacks orders Ready=False:\n%s", ag)
	}
	// The manifest says which file holds each custom resource type, so findings cite it.
	if types := manifest(t, dir).Types; !slices.Contains(types, bundle.TypeFile{APIVersion: "turboengine.io/v1alpha1", Kind: "APIGraph", File: bundle.CustomResourcePath("apigraphs")}) {
		t.Errorf("manifest types = %+v; want APIGraph in %s", types, bundle.CustomResourcePath("apigraphs"))
	}
	// And how to read the operator's logs, so render parses them with its own parser.
	if op := manifest(t, dir).Operator; op == nil || len(op.Fields.Message) == 0 {
		t.Errorf("manifest operator = %+v; want collect's operator fields", op)
	}
	tl := read(t, dir, bundle.TimelineText)
	for _, want := range []string{
		"APIGraph/turbo-engine-e2e/orders  ! Ready=False DependencyNotReady",
		"!! JOB FAILED BackoffLimitExceeded",
		"terminated: OOMKilled, exit code 137",
		"Reconciler error [reconcileID 7c2e9d44",
		"FailedScheduling",
	} {
		if !strings.Contains(strings.Join(strings.Fields(tl), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	var actions []map[string]any
	if err := json.Unmarshal([]byte(read(t, dir, bundle.OperatorActionsJSON)), &actions); err != nil {
		t.Fatal(err)
	}
	var withErr, withID int
	for _, a := range actions {
		if a["reconcileID"] != nil {
			withID++
		}
		if a["error"] != nil && strings.Contains(a["error"].(string), "admission webhook") {
			withErr++
		}
	}
	if withID < 5 || withErr != 3 {
		t.Errorf("operator actions: %d with reconcile IDs, %d with the webhook error; want >=5 and 3", withID, withErr)
	}
}

const canary = "CANARYc4n4ry7731"

func TestIntegrationCanaryNeverReachesBundle(t *testing.T) {
	ctx := t.Context()
	ns := "canary"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	_, err := env.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds", Annotations: map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","kind":"Secret","stringData":{"token":"` + canary + `"}}`}},
		StringData: map[string]string{"token": canary, "url": "https://bot:" + canary + "@git.example.com"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := testenv.Plant(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns, Annotations: map[string]string{"example.com/api-token": canary}},
		Spec: corev1.PodSpec{NodeName: scenario.Node, Containers: []corev1.Container{{
			Name: "app", Image: "example.com/app:1",
			Env: []corev1.EnvVar{{Name: "API_TOKEN", Value: canary}, {Name: "MODE", Value: "e2e"}},
		}}},
	})
	if pod, err = env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.SetPodStatus(ctx, ns, "app", testenv.RunningPodStatus(pod, time.Now().Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI" + canary + "In0.sig" + canary
	if err := env.SetContainerLogs(ctx, ns, "app", "app", testenv.Lines(time.Now().Add(-time.Minute),
		"starting with token "+jwt,
		"GET /api Authorization: Bearer "+canary,
		"cloning https://ci:"+canary+"@github.com/org/repo.git",
		`{"level":"info","msg":"config","password":"`+canary+`"}`,
		"-----BEGIN PRIVATE KEY-----",
		"MIIB"+canary,
		"-----END PRIVATE KEY-----",
		"ready",
	), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := env.CreateEvent(ctx, testenv.EventFor(corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "app"}, "Warning", "Leak",
		"pulling with Bearer "+canary, "kubelet", time.Now(), 1)); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", ns, "-o", dir)
	if code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	// grep -r canary dir
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(canary)) {
			for i, l := range strings.Split(string(b), "\n") {
				if strings.Contains(l, canary) {
					t.Errorf("%s:%d leaks the canary: %s", path, i+1, l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	log := read(t, dir, bundle.LogPath(ns, "app", "app", false))
	if !strings.Contains(log, "ready") || !strings.Contains(log, "[REDACTED]") {
		t.Errorf("log lost its harmless lines or shows no redaction:\n%s", log)
	}
	if !strings.Contains(read(t, dir, bundle.ResourcesJSON), `"token": "[REDACTED] (16 bytes)"`) {
		t.Error("secret key names and sizes missing from resources.json")
	}
	m := manifest(t, dir)
	total := 0
	for _, n := range m.Redactions {
		total += n
	}
	if total < 6 {
		t.Errorf("manifest counts %d redactions (%v), want at least 6", total, m.Redactions)
	}
}

func TestIntegrationRestrictedIdentity(t *testing.T) {
	ctx := t.Context()
	id, err := env.CreateIdentity(ctx, "ci-identities", "pods-only", nil, map[string][]rbacv1.PolicyRule{
		demo.Namespace: {
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "events"}, Verbs: []string{"get", "list"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, stderr := runCLI(t, id.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir)
	if code != 0 {
		t.Fatalf("collect as a restricted identity: exit %d, want 0\n%s", code, stderr)
	}
	m := manifest(t, dir)
	var forbidden []string
	for _, g := range m.Gaps {
		if strings.Contains(g.Error, "forbidden") {
			forbidden = append(forbidden, g.Error)
		}
	}
	joined := strings.Join(forbidden, "\n")
	for _, want := range []string{"list deployments.apps in namespace turbo-engine-e2e: forbidden"} {
		if !strings.Contains(joined, want) {
			t.Errorf("gaps lack %q; forbidden gaps:\n%s", want, joined)
		}
	}
	// Secrets and custom resources the identity was not granted are left out by design:
	// noted by name, not gaps.
	if strings.Contains(joined, "list secrets") || strings.Contains(joined, "apigraphs") {
		t.Errorf("unreadable Secrets or ungranted custom resources counted as gaps:\n%s", joined)
	}
	var note string
	for _, c := range m.Collectors {
		if c.Name == "not-readable" {
			note = strings.Join(c.Errors, " ")
		}
	}
	if !strings.Contains(note, "secrets") || !strings.Contains(note, "apigraphs.turboengine.io") {
		t.Errorf("the note does not name what was left out: %q", note)
	}
	// Asked for by --crd, an unreadable type is a gap.
	dir2 := t.TempDir()
	if code, stderr := runCLI(t, id.Kubeconfig, "collect", "-n", demo.Namespace, "--crd", "apigraphs.turboengine.io", "-o", dir2); code != 0 {
		t.Fatalf("collect --crd as a restricted identity: exit %d\n%s", code, stderr)
	}
	if gaps := fmt.Sprint(manifest(t, dir2).Gaps); !strings.Contains(gaps, "list apigraphs.turboengine.io in namespace turbo-engine-e2e: forbidden") {
		t.Errorf("a --crd type the identity may not list is not a gap: %s", gaps)
	}
	// What is allowed is all there.
	if prev := read(t, dir, bundle.LogPath(demo.Namespace, scenario.CrashLoopPod, "builder", true)); !strings.Contains(prev, "panic:") {
		t.Error("restricted identity lost the pod logs it may read")
	}
	if !strings.Contains(read(t, dir, bundle.EventsText), "FailedScheduling") {
		t.Error("restricted identity lost the events it may read")
	}
	if !strings.Contains(read(t, dir, bundle.ResourcesJSON), scenario.CrashLoopPod) {
		t.Error("restricted identity lost the pods it may list")
	}
}

func TestIntegrationInClusterTemplateIdentity(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	kubectl := func(args ...string) (string, error) {
		out, err := exec.Command(env.Binaries.Kubectl(), append([]string{"--kubeconfig", env.Kubeconfig}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	for _, tc := range []struct {
		template string
		args     []string
		omitted  string // what the note says this identity may not read
	}{
		{"rbac.yaml", []string{"-n", demo.Namespace, "--crd", "nodes"}, "secrets"},
		{"rbac-namespaced.yaml", []string{"-n", demo.Namespace}, "secrets"},
	} {
		t.Run(tc.template, func(t *testing.T) {
			if out, err := kubectl("apply", "-f", filepath.Join(root, "templates/k8s", tc.template)); err != nil {
				t.Fatalf("apply %s: %v\n%s", tc.template, err, out)
			}
			t.Cleanup(func() {
				kubectl("delete", "--ignore-not-found", "-f", filepath.Join(root, "templates/k8s", tc.template))
			})
			if out, err := kubectl("apply", "--dry-run=server", "-f", filepath.Join(root, "templates/k8s/job.yaml")); err != nil {
				t.Fatalf("server dry-run of job.yaml: %v\n%s", err, out)
			}
			// Least privilege: the identity may read pods but no Secret, and write nothing.
			as := "--as=system:serviceaccount:ci-report:ci-report"
			for check, want := range map[string]string{"get secrets -n " + demo.Namespace: "no", "list pods -n " + demo.Namespace: "yes",
				"delete pods -n " + demo.Namespace: "no", "get pods/log -n " + demo.Namespace: "yes"} {
				if got, _ := kubectl(append([]string{"auth", "can-i", as}, strings.Fields(check)...)...); got != want {
					t.Errorf("can-i %s: %q, want %q", check, got, want)
				}
			}
			// The token the Job's pod would get, from the template's service account.
			tok, err := kubectl("-n", "ci-report", "create", "token", "ci-report")
			if err != nil {
				t.Fatalf("create token: %v %s", err, tok)
			}
			kc := filepath.Join(t.TempDir(), "kubeconfig")
			if err := env.WriteKubeconfig(kc, "ci-report", tok, ""); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			code, stderr := runCLI(t, kc, append([]string{"collect", "-o", dir}, tc.args...)...)
			if code != 0 {
				t.Fatalf("collect as the template identity: exit %d\n%s", code, stderr)
			}
			m := manifest(t, dir)
			if len(m.Gaps) != 0 {
				t.Errorf("the read-only template identity left gaps: %+v", m.Gaps)
			}
			note := ""
			for _, c := range m.Collectors {
				if c.Name == "not-readable" && c.Status == bundle.StatusSkipped {
					note = strings.Join(c.Errors, " ")
				}
			}
			if !strings.Contains(note, tc.omitted) {
				t.Errorf("no note that %s are left out by design: %q", tc.omitted, note)
			}
			res := read(t, dir, bundle.ResourcesJSON)
			if strings.Contains(res, `"kind": "Secret"`) {
				t.Error("resources.json has Secrets although the identity may not read them")
			}
			if !strings.Contains(res, demo.Namespace) || !strings.Contains(res, "APIGraph") {
				t.Error("the template identity lost pods or custom resources it may read")
			}
		})
	}
}

func TestIntegrationUnreachableFailsFast(t *testing.T) {
	// A server that accepts connections and never answers, and a closed port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	for _, addr := range []string{l.Addr().String(), closedAddr} {
		dir := t.TempDir()
		start := time.Now()
		var stdout, stderr bytes.Buffer
		code := cli.Main([]string{"--server", "https://" + addr, "--insecure-skip-tls-verify", "--kubeconfig", "/dev/null", "collect", "-n", "x", "-o", dir, "--connect-timeout", "2s"}, nil, &stdout, &stderr)
		took := time.Since(start)
		if code != cli.ExitNothingCollected {
			t.Errorf("%s: exit %d, want %d\n%s", addr, code, cli.ExitNothingCollected, stderr.String())
		}
		if took > 10*time.Second {
			t.Errorf("%s: took %s to give up", addr, took)
		}
		if !strings.Contains(stderr.String(), "cannot reach the Kubernetes API server") {
			t.Errorf("%s: unclear error:\n%s", addr, stderr.String())
		}
		m := manifest(t, dir)
		if m.Cluster.Reachable || len(m.Gaps) == 0 {
			t.Errorf("%s: manifest does not record the gap: %+v", addr, m)
		}
	}
}

var (
	bigOnce sync.Once
	bigErr  error
)

const bigNS, bigPod, bigSize = "biglog", "chatty", 200 << 20

// bigLogPod creates a running pod whose container log is 200 MiB.
func bigLogPod(t *testing.T) {
	t.Helper()
	bigOnce.Do(func() {
		ctx := context.Background()
		if bigErr = env.EnsureNamespace(ctx, bigNS); bigErr != nil {
			return
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: bigPod, Namespace: bigNS},
			Spec: corev1.PodSpec{NodeName: scenario.Node, Containers: []corev1.Container{{Name: "app", Image: "example.com/chatty:1"}}}}
		if _, bigErr = env.Client.CoreV1().Pods(bigNS).Create(ctx, pod, metav1.CreateOptions{}); bigErr != nil {
			return
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if bigErr = env.SetContainerLogs(ctx, bigNS, bigPod, "app", testenv.Lines(start, "line 0"), nil); bigErr != nil {
			return
		}
		f, err := os.Create(env.LogFilePath(bigNS, bigPod, "app"))
		if err != nil {
			bigErr = err
			return
		}
		w := bufio.NewWriterSize(f, 1<<20)
		written := 0
		for i := 0; written < bigSize; i++ {
			n, _ := fmt.Fprintf(w, "2026-01-01T00:00:00Z stdout F line %d %s\n", i, strings.Repeat("x", 100))
			written += n
		}
		w.Flush()
		bigErr = f.Close()
		if bigErr == nil {
			bigErr = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
				p, err := env.Client.CoreV1().Pods(bigNS).Get(ctx, bigPod, metav1.GetOptions{})
				return err == nil && p.Status.Phase == corev1.PodRunning, nil
			})
		}
	})
	if bigErr != nil {
		t.Fatal(bigErr)
	}
}

// collectProcess runs the built binary and returns its peak RSS in MiB.
func collectProcess(t *testing.T, dir string, args ...string) float64 {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--kubeconfig", env.Kubeconfig, "collect", "-o", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("collect %v: %v\n%s", args, err, out)
	}
	return float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
}

func TestIntegrationHugeLogCappedAndStreamed(t *testing.T) {
	bigLogPod(t)
	capped := t.TempDir()
	rssCapped := collectProcess(t, capped, "-n", bigNS, "--log-max-bytes", "1Mi")
	info, err := os.Stat(filepath.Join(capped, bundle.LogPath(bigNS, bigPod, "app", false)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 1<<20+4096 || info.Size() < 1<<20-4096 {
		t.Errorf("capped log is %d bytes, want about 1 MiB", info.Size())
	}
	m := manifest(t, capped)
	var noted bool
	for _, c := range m.Collectors {
		for _, tr := range c.Truncations {
			noted = noted || strings.Contains(tr.Reason, "--log-max-bytes")
		}
	}
	if !noted {
		t.Error("truncation by --log-max-bytes not recorded in the manifest")
	}

	// Uncapped: all 200 MiB flow through collect, which must stream them.
	full := t.TempDir()
	rssFull := collectProcess(t, full, "-n", bigNS, "--log-max-bytes", "0", "--log-total-bytes", "0")
	info, err = os.Stat(filepath.Join(full, bundle.LogPath(bigNS, bigPod, "app", false)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() < bigSize*9/10 {
		t.Errorf("uncapped log is %d bytes, want about %d", info.Size(), bigSize)
	}
	t.Logf("peak RSS of collect: %.1f MiB with a 1 MiB cap on a 200 MiB log, %.1f MiB streaming all %d MiB", rssCapped, rssFull, info.Size()>>20)
	if rssFull > rssCapped+16 {
		t.Errorf("peak RSS grew from %.1f MiB to %.1f MiB when streaming the whole log: not flat", rssCapped, rssFull)
	}
}

func TestIntegrationTotalLogBudget(t *testing.T) {
	dir := t.TempDir()
	code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir, "--log-total-bytes", "1500", "--parallel", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var logBytes int64
	filepath.Walk(filepath.Join(dir, bundle.LogsDir), func(_ string, info os.FileInfo, _ error) error {
		if info != nil && !info.IsDir() {
			logBytes += info.Size()
		}
		return nil
	})
	if logBytes > 1500+200 { // markers may add a little
		t.Errorf("logs take %d bytes, over the 1500-byte budget", logBytes)
	}
	var skipped bool
	for _, c := range manifest(t, dir).Collectors {
		for _, tr := range c.Truncations {
			skipped = skipped || strings.Contains(tr.Reason, "--log-total-bytes")
		}
	}
	if !skipped {
		t.Error("budget exhaustion not recorded")
	}
}

// Runs last among the cluster tests (alphabetical order is not relied on: it restores
// the API server before returning).
func TestIntegrationZAPIServerKilledMidCollection(t *testing.T) {
	bigLogPod(t)
	dir := t.TempDir()
	done := make(chan error, 1)
	timeout := 20 * time.Second
	start := time.Now()
	go func() {
		_, err := collect.Run(context.Background(), collect.Options{
			Config: env.Config, Namespaces: []string{bigNS, demo.Namespace}, OutputDir: dir, Timeout: timeout,
			LogMaxBytes: 0, LogTotalBytes: 0,
		})
		done <- err
	}()
	// Kill the API server while the 200 MiB log is streaming.
	logDir := filepath.Join(dir, bundle.LogsDir, bigNS, bigPod)
	_ = wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		entries, _ := os.ReadDir(logDir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Size() > 4<<20 {
				return true, nil
			}
		}
		return false, nil
	})
	env.KillAPIServer()
	defer func() {
		if err := env.StartAPIServer(context.Background()); err != nil {
			t.Fatalf("restart API server: %v", err)
		}
	}()
	select {
	case err := <-done:
		t.Logf("collect returned after %s: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(timeout + 5*time.Second):
		t.Fatalf("collect did not return within --timeout + 5s")
	}
	m := manifest(t, dir)
	var broke bool
	for _, g := range m.Gaps {
		broke = broke || strings.Contains(g.Error, bigPod)
	}
	if !broke {
		t.Errorf("the broken log stream is not a recorded gap: %+v", m.Gaps)
	}
	if _, err := os.Stat(filepath.Join(dir, bundle.ResourcesJSON)); err != nil {
		t.Errorf("resources.json missing after the kill: %v", err)
	}
}

// The console in the cluster is reached through a port-forward that collect opens
// itself (kwok sends the forwarded connection to a real HTTP server on loopback), and a
// real Chromium captures it: the screenshot shows that server's page, and the browser's
// error and the failed API call are recorded, then become findings.
func TestIntegrationConsoleScreenshotsThroughPortForward(t *testing.T) {
	if err := demo.StartConsole(t.Context(), env, scenario); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir,
		"--console-service", scenario.ConsoleService, "--page", "/=dashboard", "--viewport", "1024x700")
	if code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	for _, c := range manifest(t, dir).Collectors {
		if c.Name == "screenshots" && c.Status != bundle.StatusOK {
			t.Errorf("screenshots collector: %s %v", c.Status, c.Errors)
		}
	}
	f, err := os.Open(filepath.Join(dir, bundle.ScreenshotPath("dashboard")))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1024 || b.Dy() != 700 {
		t.Errorf("screenshot is %dx%d, want 1024x700", b.Dx(), b.Dy())
	}
	// The console's header bar (#1f3a5f) is at the top: the page really came through.
	if r, g, b, _ := img.At(500, 10).RGBA(); r>>8 > 60 || g>>8 < 40 || g>>8 > 90 || b>>8 < 70 {
		t.Errorf("pixel at the header is %d,%d,%d: not the console's page", r>>8, g>>8, b>>8)
	}
	var pages []bundle.Page
	if err := json.Unmarshal([]byte(read(t, dir, bundle.PagesJSON)), &pages); err != nil || len(pages) != 1 {
		t.Fatalf("pages.json: %v %+v", err, pages)
	}
	p := pages[0]
	if p.Status != 200 || p.Via == "" || !strings.HasPrefix(p.URL, "service "+scenario.ConsoleService) {
		t.Errorf("page = %+v", p)
	}
	found := false
	for _, m := range p.ConsoleErrors {
		found = found || strings.Contains(m.Text, "failed to load APIGraph orders")
	}
	if !found {
		t.Errorf("console errors: %+v", p.ConsoleErrors)
	}
	if len(p.FailedRequests) == 0 || p.FailedRequests[0].Status != 500 || !strings.HasSuffix(p.FailedRequests[0].URL, "/api/graphs/orders") {
		t.Errorf("failed requests: %+v", p.FailedRequests)
	}

	if code, stderr := runCLI(t, env.Kubeconfig, "render", dir); code != 0 {
		t.Fatalf("render exit %d\n%s", code, stderr)
	}
	report := read(t, dir, "REPORT.md")
	for _, want := range []string{"Browser errors on console page dashboard", "Console page dashboard: 1 request(s) failed", "## Screenshots", "](./screenshots/dashboard.png)"} {
		if !strings.Contains(report, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	if !strings.Contains(read(t, dir, "REPORT.html"), "data:image/png;base64,") {
		t.Error("REPORT.html does not embed the screenshot")
	}
}

// No browser: a gap that says how to install one; the bundle and exit code are fine.
func TestIntegrationScreenshotsWithoutBrowser(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir, "--console-url", "http://127.0.0.1:1")
	if code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	m := manifest(t, dir)
	found := false
	for _, g := range m.Gaps {
		found = found || g.Collector == "screenshots" && strings.Contains(g.Error, "apt-get install -y chromium")
	}
	if !found {
		t.Errorf("gaps = %+v, want the screenshots gap naming how to install a browser", m.Gaps)
	}
	if _, err := os.Stat(filepath.Join(dir, bundle.ResourcesJSON)); err != nil {
		t.Error("the rest of the bundle is missing")
	}
}

// Traces from a real Jaeger fed by the OpenTelemetry SDK: directly, through the cluster
// (the demo namespace's jaeger Service, port-forwarded by collect itself), and with
// Jaeger stopped (a gap, nothing else lost).
func TestIntegrationTracesFromJaeger(t *testing.T) {
	if err := demo.StartJaeger(t.Context(), env, scenario); err != nil {
		t.Fatal(err)
	}
	jaegerURL := scenario.JaegerURL

	// Directly.
	dir := t.TempDir()
	code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir, "--jaeger-url", jaegerURL, "--since", "1h")
	if code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	var doc struct {
		Data []struct {
			TraceID string `json:"traceID"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(read(t, dir, collect.TracesFile)), &doc); err != nil || len(doc.Data) != 4 {
		t.Fatalf("traces.json: %v, %d traces", err, len(doc.Data))
	}
	if gaps := manifest(t, dir).Gaps; len(gaps) > 0 { // the jaeger pod's log too: make demo shows no gap
		t.Errorf("gaps in the demo with Jaeger: %+v", gaps)
	}
	if code, stderr := runCLI(t, env.Kubeconfig, "render", dir, "--jaeger-ui-url", "https://jaeger.example.com"); code != 0 {
		t.Fatalf("render exit %d\n%s", code, stderr)
	}
	report := read(t, dir, "REPORT.md")
	for _, want := range []string{"## Traces", "| db | 1 | 1 |", "SELECT orders", "connection refused: db-0.db:5432",
		"**Slowest operations**", "| users | ListUsers | 3 |", "Critical path of the slowest trace", "Critical path of the failing trace",
		"](https://jaeger.example.com/trace/", "Error spans in db: SELECT orders"} {
		if !strings.Contains(report, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}

	// Over gRPC (jaeger-idl's QueryService client), the same traces; with the gRPC
	// address down, over HTTP, the problem recorded. Through the cluster: the demo's jaeger
	// Service, whose pod kwok forwards to the real Jaeger, its HTTP port and its gRPC port
	// (port-forwarded by collect itself).
	for _, c := range []struct {
		api  string
		args []string
	}{
		{"api_v2 gRPC", []string{"--jaeger-grpc", scenario.JaegerGRPC}},
		{"api_v3", []string{"--jaeger-grpc", "127.0.0.1:1", "--jaeger-url", jaegerURL}},
		{"api_v3", []string{"--jaeger-service", scenario.JaegerService}},
		{"api_v2 gRPC", []string{"--jaeger-grpc-service", scenario.JaegerGRPCService}},
	} {
		dir := t.TempDir()
		code, stderr := runCLI(t, env.Kubeconfig, append([]string{"collect", "-n", demo.Namespace, "-o", dir, "--since", "1h"}, c.args...)...)
		if code != 0 {
			t.Fatalf("collect %v exit %d\n%s", c.args, code, stderr)
		}
		if err := json.Unmarshal([]byte(read(t, dir, collect.TracesFile)), &doc); err != nil || len(doc.Data) != 4 {
			t.Fatalf("collect %v: traces.json: %v, %d traces", c.args, err, len(doc.Data))
		}
		if !strings.Contains(stderr, c.api) {
			t.Errorf("collect %v: the log does not say %s answered:\n%s", c.args, c.api, stderr)
		}
	}

	// Jaeger down, and Jaeger that stops answering mid-run: a gap, exit 0, the rest collected.
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v3/services" {
			w.Write([]byte(`{"services":["gateway","orders"]}`))
			return
		}
		<-r.Context().Done() // hangs until the client gives up
	}))
	defer stuck.Close()
	for _, u := range []string{"http://127.0.0.1:1", stuck.URL} {
		dir = t.TempDir()
		start := time.Now()
		code, stderr = runCLI(t, env.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir, "--jaeger-url", u, "--collector-timeout", "3s")
		if code != 0 {
			t.Fatalf("collect with Jaeger at %s: exit %d\n%s", u, code, stderr)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("Jaeger at %s: collect took %s", u, took)
		}
		gap := false
		for _, g := range manifest(t, dir).Gaps {
			gap = gap || g.Collector == "traces"
		}
		if !gap {
			t.Errorf("Jaeger at %s: no traces gap", u)
		}
		if _, err := os.Stat(filepath.Join(dir, bundle.ResourcesJSON)); err != nil {
			t.Errorf("Jaeger at %s: the rest of the bundle is missing", u)
		}
	}
}
