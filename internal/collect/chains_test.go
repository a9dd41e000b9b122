package collect_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

// Failures whose loudest symptom is not their cause, planted on the real control plane
// (issue 29): each test fails on a ranking by severity alone.

// plantPod creates a pod kwok leaves alone, waits for the scheduler to place it, and
// gives it the status status returns.
func plantPod(ctx context.Context, t *testing.T, ns, name string, labels map[string]string, spec corev1.PodSpec, status func(*corev1.Pod) corev1.PodStatus) *corev1.Pod {
	t.Helper()
	p := testenv.Plant(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}, Spec: spec})
	if _, err := env.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	waitUntil(ctx, t, "pod "+name+" scheduled", func() bool {
		got, err := env.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			p = got
		}
		return err == nil && got.Spec.NodeName != ""
	})
	if status != nil {
		got, err := env.SetPodStatus(ctx, ns, name, status(p))
		if err != nil {
			t.Fatalf("status of pod %s: %v", name, err)
		}
		p = got
	}
	return p
}

func containers(names ...string) corev1.PodSpec {
	var spec corev1.PodSpec
	for _, n := range names {
		spec.Containers = append(spec.Containers, corev1.Container{Name: n, Image: "registry.example/" + n + ":e2e"})
	}
	return spec
}

func createService(ctx context.Context, t *testing.T, ns, name string, selector map[string]string, port int32) *corev1.Service {
	t.Helper()
	svc, err := env.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Port: port}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create Service %s: %v", name, err)
	}
	return svc
}

func setLogs(ctx context.Context, t *testing.T, ns, pod, ctr string, current, previous []testenv.LogLine) {
	t.Helper()
	if err := env.SetContainerLogs(ctx, ns, pod, ctr, current, previous); err != nil {
		t.Fatalf("logs of %s/%s: %v", pod, ctr, err)
	}
}

func warnEvent(ctx context.Context, t *testing.T, obj corev1.ObjectReference, reason, msg string, at time.Time, count int32) {
	t.Helper()
	ev := testenv.EventFor(obj, corev1.EventTypeWarning, reason, msg, "kubelet", at, count)
	ev.FirstTimestamp = metav1.NewTime(at)
	if _, err := env.CreateEvent(ctx, ev); err != nil {
		t.Fatalf("event %s: %v", reason, err)
	}
}

// junitCase is one pytest-style test case: failed when failure is set.
type junitCase struct {
	name, failure, output string
	start                 time.Time
	seconds               float64
}

// writeJUnit writes cases as one JUnit suite, each with its own timestamp.
func writeJUnit(t *testing.T, cases ...junitCase) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<testsuites><testsuite name="e2e" tests="` + fmt.Sprint(len(cases)) + `">`)
	for _, c := range cases {
		fmt.Fprintf(&b, `<testcase classname="tests.e2e" name="%s" time="%.1f" timestamp="%s">`, c.name, c.seconds, c.start.UTC().Format(time.RFC3339))
		if c.failure != "" {
			fmt.Fprintf(&b, `<failure message="%s">%s</failure>`, xmlEscape(c.failure), xmlEscape(c.output))
		}
		b.WriteString(`</testcase>`)
	}
	b.WriteString(`</testsuite></testsuites>`)
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// rankOf is a finding's place (0-based) and the finding, by category and a part of its
// title; the test fails when there is none.
func rankOf(t *testing.T, r *model.Report, category, titlePart string) (int, findings.Finding) {
	t.Helper()
	for i, f := range r.Findings {
		if f.Category == category && strings.Contains(f.Title, titlePart) {
			return i, f
		}
	}
	t.Fatalf("no %s finding with %q in:\n%s", category, titlePart, listFindings(r))
	return -1, findings.Finding{}
}

func listFindings(r *model.Report) string {
	var b strings.Builder
	for i, f := range r.Findings {
		fmt.Fprintf(&b, "  %d. [%s] %s %s: %s (caused by %v)\n", i+1, f.Severity, f.Category, f.ID, f.Title, f.CausedBy)
	}
	return b.String()
}

// causedBy: effect names cause among its causes, and cause names effect among what it causes.
func causedBy(t *testing.T, effect, cause findings.Finding) {
	t.Helper()
	if !slices.Contains(effect.CausedBy, cause.ID) || !slices.Contains(cause.Causes, effect.ID) {
		t.Errorf("%s is not linked as caused by %s: causedBy %v, causes %v", effect.ID, cause.ID, effect.CausedBy, cause.Causes)
	}
}

func reportMD(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Class 1: two services downstream of a pod that cannot start. orders-api lacks a
// ConfigMap key; checkout crash-loops on connection refused to the orders-api Service
// (by name); frontend crash-loops on connection refused to checkout's ClusterIP. The
// config error ranks first, the crash loops below it, each saying what caused it.
func TestIntegrationChainServiceDownstream(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "chain-svc"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	start := now.Add(-10 * time.Minute)
	plantPod(ctx, t, ns, "orders-api-7d9f", map[string]string{"app": "orders-api"}, containers("api"), func(p *corev1.Pod) corev1.PodStatus {
		st := testenv.RunningPodStatus(p, start)
		st = testenv.NotReady(st, "api", start)
		st.Phase = corev1.PodPending
		st.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError",
			Message: "couldn't find key DB_URL in ConfigMap chain-svc/orders-config"}}
		st.ContainerStatuses[0].Ready = false
		return st
	})
	createService(ctx, t, ns, "orders-api", map[string]string{"app": "orders-api"}, 8080)
	checkoutSvc := createService(ctx, t, ns, "checkout", map[string]string{"app": "checkout"}, 80)
	crash := func(p *corev1.Pod) corev1.PodStatus {
		return testenv.CrashLoopBackOff(testenv.RunningPodStatus(p, start), p.Spec.Containers[0].Name, 6, 1, now.Add(-70*time.Second), now.Add(-60*time.Second))
	}
	plantPod(ctx, t, ns, "checkout-5c4b", map[string]string{"app": "checkout"}, containers("checkout"), crash)
	plantPod(ctx, t, ns, "frontend-6f7a", map[string]string{"app": "frontend"}, containers("web"), crash)
	setLogs(ctx, t, ns, "checkout-5c4b", "checkout", nil, testenv.Lines(now.Add(-70*time.Second),
		"checkout starting",
		"error: orders client: Get \"http://orders-api:8080/v1/orders\": dial tcp orders-api:8080: connect: connection refused",
		"fatal: cannot reach orders, exiting"))
	setLogs(ctx, t, ns, "frontend-6f7a", "web", nil, testenv.Lines(now.Add(-70*time.Second),
		"frontend listening on :3000",
		fmt.Sprintf("panic: checkout backend unavailable: dial tcp %s:80: connect: connection refused", checkoutSvc.Spec.ClusterIP)))

	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns)
	t.Logf("findings:\n%s", listFindings(r))
	cfgAt, cfg := rankOf(t, r, "CreateContainerConfigError", "orders-api-7d9f")
	if cfgAt != 0 {
		t.Errorf("the ConfigMap key error is #%d, want #1", cfgAt+1)
	}
	_, ordersSvc := rankOf(t, r, "ServiceNoEndpoints", "orders-api")
	_, checkoutNoEP := rankOf(t, r, "ServiceNoEndpoints", "checkout")
	checkoutAt, checkout := rankOf(t, r, "CrashLoopBackOff", "checkout-5c4b")
	frontendAt, frontend := rankOf(t, r, "CrashLoopBackOff", "frontend-6f7a")
	causedBy(t, ordersSvc, cfg)
	causedBy(t, checkout, ordersSvc)
	causedBy(t, checkoutNoEP, checkout)
	causedBy(t, frontend, checkoutNoEP)
	if checkoutAt > frontendAt {
		t.Errorf("checkout's crash (#%d) ranks below frontend's (#%d), which it causes", checkoutAt+1, frontendAt+1)
	}
	md := reportMD(t, dir)
	if !strings.Contains(md, "caused by \\#") || !strings.Contains(md, "causes \\#") {
		t.Errorf("REPORT.md does not say which finding causes which")
	}
}

// Classes 2 and 3: a failed test outranks the probe failure and stuck rollout that
// explain it, and its output names the reason. payments' pods never turn Ready (a
// readiness probe fails) and its Deployment stops progressing; the test waiting for it
// times out naming the Deployment. Both rank above the test, which says so.
func TestIntegrationChainTestExplainedByRollout(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "chain-rollout"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "payments"}
	one, deadline := int32(1), int32(1)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "payments", Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: &one, ProgressDeadlineSeconds: &deadline, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{testenv.PlantedAnnotation: "true"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "payments", Image: "registry.example/payments:e2e",
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}}}}}}}}
	if _, err := env.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitUntil(ctx, t, "the payments pod", func() bool {
		ps, err := env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=payments"})
		if err != nil || len(ps.Items) == 0 || ps.Items[0].Spec.NodeName == "" {
			return false
		}
		pod = &ps.Items[0]
		return true
	})
	now := time.Now().Truncate(time.Second)
	testStart := now.Add(-3 * time.Minute)
	firstFailure := testStart.Add(20 * time.Second)
	if _, err := env.SetPodStatus(ctx, ns, pod.Name, testenv.NotReady(testenv.RunningPodStatus(pod, testStart), "payments", firstFailure)); err != nil {
		t.Fatal(err)
	}
	warnEvent(ctx, t, corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod.Name, FieldPath: "spec.containers{payments}"},
		"Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", firstFailure, 30)
	waitUntil(ctx, t, "the rollout to pass its progress deadline", func() bool {
		d, err := env.Client.AppsV1().Deployments(ns).Get(ctx, "payments", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
				return true
			}
		}
		return false
	})
	junit := writeJUnit(t,
		junitCase{name: "test_checkout_pays", failure: "TimeoutError: timed out after 120s",
			output: "TimeoutError: timed out after 120s waiting for deployment payments to become available\nlast status: 0/1 replicas ready",
			start:  testStart, seconds: 120},
		junitCase{name: "test_catalog_lists", start: testStart, seconds: 2})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns, "--results", junit)
	t.Logf("findings:\n%s", listFindings(r))
	probeAt, probe := rankOf(t, r, "ProbeFailing", pod.Name)
	depAt, depF := rankOf(t, r, "DeploymentUnavailable", "payments")
	testAt, test := rankOf(t, r, "TestFailed", "test_checkout_pays")
	if probeAt > testAt || depAt > testAt {
		t.Errorf("the test (#%d) ranks above the probe (#%d) or the rollout (#%d) that explain it", testAt+1, probeAt+1, depAt+1)
	}
	causedBy(t, test, depF)
	causedBy(t, test, probe)
	if depF.Severity != findings.Error {
		t.Errorf("the Deployment the test names is %s, want error", depF.Severity)
	}
}

// Classes 3 and 4: a node drain times out because a PodDisruptionBudget allows no
// disruption (minAvailable equal to the replicas); the test's output holds the API
// server's refusal. The budget ranks first and explains the test. Another budget that
// blocks nothing the run tried stays an info line.
func TestIntegrationChainDisruptionBudget(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "chain-pdb"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	for _, app := range []string{"web", "cache"} {
		for i := range 2 {
			plantPod(ctx, t, ns, fmt.Sprintf("%s-%d", app, i), map[string]string{"app": app}, containers(app), func(p *corev1.Pod) corev1.PodStatus {
				return testenv.RunningPodStatus(p, now.Add(-10*time.Minute))
			})
		}
		two := intstr.FromInt32(2)
		pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: app + "-pdb"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &two, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}}
		if _, err := env.Client.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(ctx, t, "the disruption controller's status", func() bool {
		l, err := env.Client.PolicyV1().PodDisruptionBudgets(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(l.Items) != 2 {
			return false
		}
		for _, p := range l.Items {
			if p.Status.ObservedGeneration == 0 || p.Status.ExpectedPods != 2 {
				return false
			}
		}
		return true
	})
	// The API server itself refuses the eviction: what the test's drain saw.
	err := env.Client.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: ns}})
	if err == nil || !strings.Contains(err.Error(), "disruption budget") {
		t.Fatalf("eviction of web-1: %v, want a refusal by the disruption budget", err)
	}
	junit := writeJUnit(t, junitCase{name: "test_node_drain_reschedules", failure: "AssertionError: drain did not finish within 300s",
		output: fmt.Sprintf("kubectl drain kwok-node-0 --ignore-daemonsets\nevicting pod %s/web-1\nerror when evicting pods/\"web-1\" -n \"%s\" (will retry after 5s): %v\nAssertionError: drain did not finish within 300s", ns, ns, err),
		start:  now.Add(-6 * time.Minute), seconds: 300})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns, "--results", junit)
	t.Logf("findings:\n%s", listFindings(r))
	pdbAt, pdb := rankOf(t, r, "DisruptionBlocked", "web-pdb")
	_, test := rankOf(t, r, "TestFailed", "test_node_drain_reschedules")
	if pdbAt != 0 || pdb.Severity != findings.Error {
		t.Errorf("the blocking budget is #%d (%s), want #1 and an error", pdbAt+1, pdb.Severity)
	}
	causedBy(t, test, pdb)
	if !strings.Contains(pdb.Explanation, "minAvailable 2") {
		t.Errorf("the budget's finding does not say why it blocks: %s", pdb.Explanation)
	}
	_, cache := rankOf(t, r, "DisruptionBlocked", "cache-pdb")
	if cache.Severity != findings.Info || len(cache.Causes) > 0 {
		t.Errorf("the budget nothing tried to evict is %s causing %v, want info causing nothing", cache.Severity, cache.Causes)
	}
}

// Class 5: causes only a log line gives, in pods that are Ready and never restart. The
// notifier looks up a Service that does not exist (one with a similar name does); the
// reporter's calls fail on an expired certificate. Both fall in the failed test's window
// and rank above it; the missing Service names the one that exists.
func TestIntegrationChainLogOnlyCauses(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "chain-logs"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	testStart := now.Add(-4 * time.Minute)
	ready := func(p *corev1.Pod) corev1.PodStatus { return testenv.RunningPodStatus(p, now.Add(-20*time.Minute)) }
	plantPod(ctx, t, ns, "notifier-8c1d", map[string]string{"app": "notifier"}, containers("notifier"), ready)
	plantPod(ctx, t, ns, "reporter-2b3e", map[string]string{"app": "reporter"}, containers("reporter"), ready)
	plantPod(ctx, t, ns, "mailer-0", map[string]string{"app": "mailer"}, containers("smtp"), ready)
	createService(ctx, t, ns, "mailer-svc", map[string]string{"app": "mailer"}, 25)
	setLogs(ctx, t, ns, "notifier-8c1d", "notifier", testenv.Lines(testStart.Add(30*time.Second),
		"sending invoice mail for order 1042",
		"level=error msg=\"send failed\" err=\"dial tcp: lookup mailer on 10.96.0.10:53: no such host\"",
		"level=error msg=\"send failed\" err=\"dial tcp: lookup mailer on 10.96.0.10:53: no such host\""), nil)
	setLogs(ctx, t, ns, "reporter-2b3e", "reporter", testenv.Lines(testStart.Add(190*time.Second),
		"exporting report to billing",
		"ERROR export failed: Post \"https://billing.example.net:8443/v1/reports\": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-12-06T06:00:00Z is after 2026-12-01T00:00:00Z"), nil)
	junit := writeJUnit(t,
		junitCase{name: "test_invoice_is_mailed", failure: "AssertionError: no invoice mail after 60s", output: "AssertionError: no invoice mail after 60s\nassert 0 == 1", start: testStart, seconds: 90},
		junitCase{name: "test_report_exported", failure: "AssertionError: report not found in billing", output: "AssertionError: report not found in billing", start: testStart.Add(3 * time.Minute), seconds: 50})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns, "--results", junit)
	t.Logf("findings:\n%s", listFindings(r))
	missAt, miss := rankOf(t, r, "ServiceMissing", "mailer")
	tlsAt, tls := rankOf(t, r, "TLSCertificateError", "billing.example.net")
	mailAt, mail := rankOf(t, r, "TestFailed", "test_invoice_is_mailed")
	reportAt, report := rankOf(t, r, "TestFailed", "test_report_exported")
	if missAt > mailAt || tlsAt > reportAt {
		t.Errorf("a test ranks above its log-only cause: missing Service #%d, mail test #%d, TLS #%d, report test #%d", missAt+1, mailAt+1, tlsAt+1, reportAt+1)
	}
	causedBy(t, mail, miss)
	causedBy(t, report, tls)
	if !strings.Contains(miss.Explanation, "did you mean Service mailer-svc") {
		t.Errorf("the missing Service does not suggest the one that exists: %s", miss.Explanation)
	}
	for _, f := range r.Findings {
		// The API server's repair loop may flag the new Service (ClusterIPNotAllocated), as
		// information: it repaired it.
		if (f.Subject.Name == "mailer-0" || f.Subject.Name == "mailer-svc") && f.Severity != findings.Info {
			t.Errorf("a finding on the healthy mailer: %s (%s)", f.Title, f.Severity)
		}
	}
}

// Class 6: a custom resource not Ready because another is Degraded: the one the
// condition names is the deeper cause and ranks first, though the title order would put
// the other first.
func TestIntegrationChainCustomResources(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "chain-crs"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"Application", "Database"} {
		plural := strings.ToLower(kind) + "s"
		preserve := true
		crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: plural + ".platform.example.com"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "platform.example.com", Scope: apiextensionsv1.NamespaceScoped,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Singular: strings.ToLower(kind), Kind: kind, ListKind: kind + "List"},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
					Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
					Schema:       &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &preserve}}}}}}
		if err := env.InstallCRD(ctx, crd); err != nil {
			t.Fatalf("install %s: %v", kind, err)
		}
	}
	at := time.Now().Add(-5 * time.Minute)
	gvr := func(plural string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: "platform.example.com", Version: "v1", Resource: plural}
	}
	createWithStatus(t, ctx, gvr("applications"), map[string]any{"apiVersion": "platform.example.com/v1", "kind": "Application",
		"metadata": map[string]any{"name": "shop", "namespace": ns}, "spec": map[string]any{"database": "orders-pg"}},
		map[string]any{"conditions": []any{condition("Ready", "False", "DependencyNotReady", "dependency Database/orders-pg not ready", at)}})
	createWithStatus(t, ctx, gvr("databases"), map[string]any{"apiVersion": "platform.example.com/v1", "kind": "Database",
		"metadata": map[string]any{"name": "orders-pg", "namespace": ns}, "spec": map[string]any{"storage": "1Gi"}},
		map[string]any{"conditions": []any{condition("Ready", "False", "VolumeFull", "volume data-orders-pg-0 is 100% full; writes refused", at),
			condition("Degraded", "True", "VolumeFull", "volume data-orders-pg-0 is 100% full; writes refused", at)}})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns, "--crd", "applications.platform.example.com", "--crd", "databases.platform.example.com")
	t.Logf("findings:\n%s", listFindings(r))
	appAt, app := rankOf(t, r, "ResourceNotReady", "Application shop")
	dbAt, db := rankOf(t, r, "ResourceNotReady", "Database orders-pg")
	if dbAt > appAt {
		t.Errorf("the Database (#%d) ranks below the Application (#%d) whose condition names it", dbAt+1, appAt+1)
	}
	causedBy(t, app, db)
}

// Class 7: the pull fails because the pod's imagePullSecrets entry does not exist. The
// pull finding says so and names the pull Secrets that do exist (never their data); the
// kubelet's FailedToRetrieveImagePullSecret warning is not a finding of its own.
func TestIntegrationChainPullSecret(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "chain-pull"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	const token = "ghp_Zx81kQ2vN4mT7pL0aB3cD5eF6gH8iJ9kL1mN"
	auth := `{"auths":{"ghcr.io":{"username":"ci","password":"` + token + `"}}}`
	if _, err := env.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred-v2"},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(auth)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "ghcr.io/example/private-app:1.4.2"}},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}}
	p := plantPod(ctx, t, ns, "private-app-1", map[string]string{"app": "private-app"}, spec, func(p *corev1.Pod) corev1.PodStatus {
		st := testenv.NotReady(testenv.RunningPodStatus(p, now.Add(-5*time.Minute)), "app", now.Add(-5*time.Minute))
		st.Phase = corev1.PodPending
		st.ContainerStatuses[0].Ready = false
		st.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
			Message: `Back-off pulling image "ghcr.io/example/private-app:1.4.2": ErrImagePull: failed to pull and unpack image: 401 Unauthorized`}}
		return st
	})
	warnEvent(ctx, t, corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name}, "FailedToRetrieveImagePullSecret",
		"Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.", now.Add(-4*time.Minute), 12)
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns)
	t.Logf("findings:\n%s", listFindings(r))
	_, pull := rankOf(t, r, "ImagePullBackOff", "private-app-1")
	if !strings.Contains(pull.Title, "regcred does not exist") || !strings.Contains(pull.Explanation, "regcred-v2") {
		t.Errorf("the pull finding does not name its cause and the Secret that exists: %s / %s", pull.Title, pull.Explanation)
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Title, "FailedToRetrieveImagePullSecret") {
			t.Errorf("the missing pull Secret is a finding of its own, apart from the pull it causes: %s", f.Title)
		}
	}
	if md := reportMD(t, dir); strings.Contains(md, token) {
		t.Error("REPORT.md holds the pull Secret's data")
	}
}

// Class 8: recovered noise stays quiet. An operator lost its leader election once, long
// before the run's tests, and has been Ready with a clean log since; an HPA cannot read
// metrics because no metrics API is installed (the real HPA controller says so). Neither
// is more than an info line while every test passes.
func TestIntegrationChainRecoveredIsQuiet(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const ns = "chain-recovered"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	restarted := now.Add(-30 * time.Minute)
	plantPod(ctx, t, ns, "shop-operator-5d8c", map[string]string{"app.kubernetes.io/name": "shop-operator", "control-plane": "controller-manager"}, containers("manager"), func(p *corev1.Pod) corev1.PodStatus {
		st := testenv.OOMKilledRestart(testenv.RunningPodStatus(p, now.Add(-time.Hour)), "manager", 1, now.Add(-time.Hour), restarted.Add(-time.Second), restarted)
		last := st.ContainerStatuses[0].LastTerminationState.Terminated
		last.Reason, last.ExitCode = "Error", 1 // it exited on losing the lease
		return st
	})
	prev := []testenv.LogLine{
		{Time: restarted.Add(-2 * time.Minute), Text: `{"level":"info","ts":"` + restarted.Add(-2*time.Minute).UTC().Format(time.RFC3339) + `","msg":"Starting workers","controller":"shop"}`},
		{Time: restarted.Add(-2 * time.Second), Text: `{"level":"error","ts":"` + restarted.Add(-2*time.Second).UTC().Format(time.RFC3339) + `","msg":"leader election lost","error":"context deadline exceeded"}`},
	}
	cur := []testenv.LogLine{{Time: restarted.Add(time.Second), Text: `{"level":"info","ts":"` + restarted.Add(time.Second).UTC().Format(time.RFC3339) + `","msg":"successfully acquired lease chain-recovered/shop-operator"}`}}
	setLogs(ctx, t, ns, "shop-operator-5d8c", "manager", cur, prev)

	labels := map[string]string{"app": "catalog"}
	one := int32(1)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "catalog", Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "catalog", Image: "registry.example/catalog:e2e",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}}}}}
	if _, err := env.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	util := int32(70)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "catalog"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 3,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "catalog"},
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}}}}
	if _, err := env.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "the HPA controller to find no metrics API", func() bool {
		h, err := env.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "catalog", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range h.Status.Conditions {
			if c.Type == autoscalingv2.ScalingActive && c.Status == corev1.ConditionFalse {
				t.Logf("HPA: %s %s: %s", c.Reason, c.Type, c.Message)
				return true
			}
		}
		return false
	})
	waitUntil(ctx, t, "catalog available", func() bool {
		d, err := env.Client.AppsV1().Deployments(ns).Get(ctx, "catalog", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 1
	})
	junit := writeJUnit(t, junitCase{name: "test_catalog_lists", start: now.Add(-2 * time.Minute), seconds: 3})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns, "--results", junit)
	t.Logf("findings:\n%s", listFindings(r))
	t.Logf("gaps: %+v", r.Gaps)
	for _, f := range r.Findings {
		if f.Severity != findings.Info {
			t.Errorf("a recovered or informational state is a %s finding: %s: %s", f.Severity, f.Title, f.Explanation)
		}
	}
	if r.Status.Level == "failed" {
		t.Errorf("the run is %q: %s", r.Status.Level, r.Status.Detail)
	}
	_, hpaF := rankOf(t, r, "ResourceNotReady", "HorizontalPodAutoscaler catalog")
	if !strings.Contains(hpaF.Explanation, "no metrics API") {
		t.Errorf("the HPA's finding does not say why it is informational: %s", hpaF.Explanation)
	}
}

// Class 9: a namespace stuck Terminating elsewhere in the cluster, since before the run
// and named by none of its tests, is an info line below the run's own warnings.
func TestIntegrationChainUnrelatedTerminatingNamespace(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const stuck, ns = "legacy-tenant-42", "chain-scope"
	for _, n := range []string{stuck, ns} {
		if err := env.EnsureNamespace(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Client.CoreV1().ConfigMaps(stuck).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "lock", Finalizers: []string{"tenants.example.com/hold"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.CoreV1().ConfigMaps(stuck).Patch(context.Background(), "lock", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})
	if err := env.Client.CoreV1().Namespaces().Delete(ctx, stuck, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "the namespace to be stuck", func() bool {
		n, err := env.Client.CoreV1().Namespaces().Get(ctx, stuck, metav1.GetOptions{})
		return err == nil && hasTrue(n, corev1.NamespaceFinalizersRemaining)
	})
	time.Sleep(1100 * time.Millisecond) // the run starts after the deletion, to the second
	now := time.Now().Truncate(time.Second).Add(time.Second)
	p := plantPod(ctx, t, ns, "search-0", map[string]string{"app": "search"}, corev1.PodSpec{Containers: []corev1.Container{{Name: "search", Image: "registry.example/search:e2e",
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9200)}}}}}}, func(p *corev1.Pod) corev1.PodStatus {
		return testenv.NotReady(testenv.RunningPodStatus(p, now), "search", now.Add(10*time.Second))
	})
	warnEvent(ctx, t, corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name, FieldPath: "spec.containers{search}"},
		"Unhealthy", "Readiness probe failed: dial tcp 10.244.1.100:9200: connect: connection refused", now.Add(10*time.Second), 5)
	junit := writeJUnit(t, junitCase{name: "test_search_indexes", start: now, seconds: 5})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns, "--results", junit)
	t.Logf("findings:\n%s", listFindings(r))
	probeAt, _ := rankOf(t, r, "ProbeFailing", "search-0")
	nsAt, nsF := rankOf(t, r, "NamespaceTerminating", stuck)
	if nsF.Severity != findings.Info || nsAt < probeAt {
		t.Errorf("the unrelated stuck namespace is %s at #%d, above the run's own probe failure (#%d)", nsF.Severity, nsAt+1, probeAt+1)
	}
}
