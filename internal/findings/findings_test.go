package findings

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/metrics"
	"github.com/org/k8s-e2e-report/internal/results"
)

func pod(name string, st corev1.PodStatus) corev1.Pod {
	return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec:   corev1.PodSpec{NodeName: "n", Containers: []corev1.Container{{Name: "c", Image: "registry.example/app:v1"}}},
		Status: st}
}

func waiting(reason, msg string) corev1.PodStatus {
	return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "c",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}}}
}

func byCategory(fs []Finding) map[string]Finding {
	m := map[string]Finding{}
	for _, f := range fs {
		m[f.Category] = f
	}
	return m
}

func TestDetectors(t *testing.T) {
	threshold := 30.0
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := &Input{
		Pods: []corev1.Pod{
			pod("pull", waiting("ImagePullBackOff", `Back-off pulling image "registry.example/app:v1"`)),
			pod("config", waiting("CreateContainerConfigError", `secret "db" not found`)),
			pod("evicted", corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "The node was low on resource: memory."}),
			pod("restarty", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "c", RestartCount: 7,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}),
		},
		Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
			Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "web-1" has timed out progressing.`}}}}},
		PVCs: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "ns"}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}},
		Objects: []unstructured.Unstructured{{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": map[string]any{"name": "gw", "namespace": "ns"},
			"status": map[string]any{"conditions": []any{
				map[string]any{"type": "Accepted", "status": "True"},
				map[string]any{"type": "Programmed", "status": "False", "reason": "AddressNotAssigned", "message": "no LoadBalancer", "lastTransitionTime": "2026-01-01T00:00:00Z"}}}}}},
		Events: []events.Event{
			{Type: "Warning", Reason: "FailedMount", Message: `MountVolume.SetUp failed for volume "cfg"`, Count: 4, LastSeen: at,
				Object: events.Object{Kind: "Pod", Namespace: "ns", Name: "other"}},
			{Type: "Warning", Reason: "Failed", Message: "Error: ImagePullBackOff", Count: 2, LastSeen: at,
				Object: events.Object{Kind: "Pod", Namespace: "ns", Name: "pull"}},
			{Type: "Warning", Reason: "Unhealthy", Message: "Liveness probe failed: connection refused", Count: 9, LastSeen: at,
				Object: events.Object{Kind: "Pod", Namespace: "ns", Name: "restarty"}},
		},
		Tests: []results.Case{
			{Suite: "s", Name: "TestA", Status: results.Failed, Message: "boom", Attempts: 1},
			{Suite: "s", Name: "TestB", Status: results.Flaky, Attempts: 2},
			{Suite: "s", Name: "TestC", Status: results.Passed, Attempts: 1},
		},
		Metrics: []metrics.Metric{{Name: "setup", Value: 41, Unit: "s", Threshold: &threshold, Breached: true}},
	}
	fs := Detect(in)
	got := byCategory(fs)
	for _, c := range []string{"ImagePullBackOff", "CreateContainerConfigError", "Evicted", "HighRestarts", "DeploymentUnavailable",
		"PVCPending", "ResourceNotReady", "WarningEvent", "ProbeFailing", "TestFailed", "TestFlaky", "MetricBreach"} {
		if _, ok := got[c]; !ok {
			t.Errorf("no %s finding", c)
		}
	}
	if f := got["ResourceNotReady"]; f.Subject.Kind != "Gateway" || !strings.Contains(f.Title, "Programmed") {
		t.Errorf("Gateway finding = %+v", f)
	}
	if f := got["WarningEvent"]; f.Subject.Name != "other" || f.Count != 4 {
		t.Errorf("only the unexplained FailedMount should stay a WarningEvent: %+v", f)
	}
	if f := got["ProbeFailing"]; !strings.HasPrefix(f.Title, "Liveness probe") || f.Count != 9 {
		t.Errorf("probe finding = %+v", f)
	}
	if f := got["ImagePullBackOff"]; !strings.Contains(f.Title, "registry.example/app:v1") {
		t.Errorf("image pull finding = %+v", f)
	}
	// Ranked: errors before warnings, and a pod problem before a failed test.
	for i := 1; i < len(fs); i++ {
		if fs[i-1].Severity.weight() < fs[i].Severity.weight() {
			t.Errorf("%s (%s) ranked before %s (%s)", fs[i-1].Category, fs[i-1].Severity, fs[i].Category, fs[i].Severity)
		}
	}
}

func TestDeploymentCausedByPodIsDemoted(t *testing.T) {
	crash := pod("web-1-abc", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "c", RestartCount: 5,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}}}})
	crash.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1"}}
	in := &Input{
		Pods:        []corev1.Pod{crash},
		ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "ns", OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "web"}}}}},
		Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
			Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse}}}}},
		Logs: fakeLogs{tail: func(ns, p, c string, prev bool, n int) []string {
			return []string{"starting", "panic: runtime error: invalid memory address", "goroutine 1 [running]:"}
		}},
	}
	fs := Detect(in)
	if len(fs) != 2 || fs[0].Category != "CrashLoopBackOff" || fs[1].Category != "DeploymentUnavailable" {
		t.Fatalf("findings = %+v", fs)
	}
	if fs[1].Severity != Warning || len(fs[1].Related) != 1 || fs[1].Related[0] != fs[0].ID {
		t.Errorf("deployment finding not linked to its cause: %+v", fs[1])
	}
	if !strings.Contains(fs[0].Explanation, "panic: runtime error") {
		t.Errorf("crash explanation does not quote the panic: %s", fs[0].Explanation)
	}
}

func TestPageFindings(t *testing.T) {
	in := &Input{Pages: []bundle.Page{{
		Name: "dashboard", URL: "service ns/console:3000/", File: "screenshots/dashboard.png", Status: 200,
		ConsoleErrors: []bundle.ConsoleMessage{
			{Type: "error", Text: "Failed to load resource: the server responded with a status of 500"},
			{Type: "error", Text: "failed to load APIGraph orders"},
		},
		FailedRequests: []bundle.FailedRequest{
			{URL: "service ns/console:3000/api/graphs/orders", Method: "GET", Status: 500},
			{URL: "https://analytics.example/collect", Method: "POST", Status: 503},
		},
	}, {Name: "slow", URL: "http://127.0.0.1:8080/slow", Error: "page did not load within 30s (--page-timeout)"}}}
	fs := Detect(in)
	byTitle := map[string]Finding{}
	for _, f := range fs {
		byTitle[f.Title] = f
	}
	if f, ok := byTitle["Browser errors on console page dashboard"]; !ok || f.Explanation[:29] != "failed to load APIGraph order" || f.Count != 2 {
		t.Errorf("console errors finding: %+v", f)
	}
	if f, ok := byTitle["Console page dashboard: 1 request(s) failed"]; !ok || !strings.Contains(f.Explanation, "/api/graphs/orders: HTTP 500") {
		t.Errorf("failed API call finding (the third-party call must not count): %+v", byTitle)
	}
	if f, ok := byTitle["Console page slow could not be captured"]; !ok || f.Severity != Warning {
		t.Errorf("page error finding: %+v", f)
	}
	if got := pageOrigin("http://127.0.0.1:8080/a/b"); got != "http://127.0.0.1:8080/" {
		t.Errorf("pageOrigin = %q", got)
	}
}

// A Deployment unavailable because its pod fails readiness: the probe failure (the
// cause) comes first, the Deployment says "caused by" and links to it, and the probe
// finding quotes the probe's target and the log around the first failure.
func TestReadinessProbeCausesDeployment(t *testing.T) {
	first := time.Date(2026, 1, 1, 0, 0, 41, 0, time.UTC)
	p := pod("web-1-abc", corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.7",
		ContainerStatuses: []corev1.ContainerStatus{{Name: "c", Ready: false, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}})
	p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{PeriodSeconds: 5, ProbeHandler: corev1.ProbeHandler{
		HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}}}
	p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-1"}}
	var asked time.Time
	in := &Input{
		Pods:        []corev1.Pod{p},
		ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "ns", OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "web"}}}}},
		Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
			Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable"}}}}},
		Events: []events.Event{
			{Type: "Warning", Reason: "Unhealthy", Object: events.Object{Kind: "Pod", Namespace: "ns", Name: "web-1-abc", FieldPath: "spec.containers{c}"},
				Message: "Readiness probe failed: HTTP probe failed with statuscode: 503", Count: 4, FirstSeen: first.Add(time.Minute), LastSeen: first.Add(2 * time.Minute)},
			{Type: "Warning", Reason: "Unhealthy", Object: events.Object{Kind: "Pod", Namespace: "ns", Name: "web-1-abc", FieldPath: "spec.containers{c}"},
				Message: "Readiness probe failed: Get \"http://10.0.0.7:8080/ready\": context deadline exceeded", Count: 2, FirstSeen: first, LastSeen: first.Add(30 * time.Second)},
		},
		Logs: fakeLogs{around: func(ns, pod, ctr string, at time.Time, before, after int) []string {
			asked = at
			return []string{"2026-01-01T00:00:40Z cache warming", "2026-01-01T00:00:41Z GET /ready 503 upstream orders not ready"}
		}},
	}
	fs := Detect(in)
	if len(fs) != 2 {
		t.Fatalf("findings = %+v", fs)
	}
	probe, dep := fs[0], fs[1]
	if probe.Category != "ProbeFailing" || dep.Category != "DeploymentUnavailable" {
		t.Fatalf("order: %s then %s; the cause must come first", probe.Category, dep.Category)
	}
	if len(dep.CausedBy) != 1 || dep.CausedBy[0] != probe.ID || !strings.Contains(dep.Explanation, "caused by: Readiness probe of web-1-abc failing") {
		t.Errorf("deployment not linked to its cause: %+v", dep)
	}
	if probe.Count != 6 || !asked.Equal(first) || !probe.Time.Equal(first) {
		t.Errorf("probe count %d, time %v, log asked around %v; want 6 and the first failure %v", probe.Count, probe.Time, asked, first)
	}
	ev := strings.Join(probe.Evidence, "\n")
	for _, want := range []string{"HTTP GET http://10.0.0.7:8080/ready (port http), every 5s", "GET /ready 503 upstream orders not ready", "around the first failure"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	// Ranking survives a round trip through report.json (merge re-ranks without ranks).
	again := []Finding{dep, probe}
	for i := range again {
		again[i].rank = 0
	}
	Rank(again)
	if again[0].ID != probe.ID {
		t.Errorf("after re-ranking, %s comes first", again[0].Category)
	}
}

func TestNestedRouteConditionFinding(t *testing.T) {
	route := unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "store", "namespace": "shop"},
		"status": map[string]any{"parents": []any{map[string]any{
			"parentRef":  map[string]any{"name": "public", "namespace": "infra"},
			"conditions": []any{map[string]any{"type": "Accepted", "status": "False", "reason": "NoMatchingParent", "message": "no listener matches"}},
		}}},
	}}
	healthy := route.DeepCopy()
	healthy.SetName("ok")
	unstructured.SetNestedSlice(healthy.Object, []any{map[string]any{"parentRef": map[string]any{"name": "public"},
		"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted"}}}}, "status", "parents")
	fs := Detect(&Input{Objects: []unstructured.Unstructured{route, *healthy}})
	if len(fs) != 1 {
		t.Fatalf("findings = %+v", fs)
	}
	f := fs[0]
	if f.Category != "ResourceNotReady" || f.Subject.String() != "HTTPRoute/shop/store" ||
		!strings.Contains(f.Title, "parent Gateway infra/public") || !strings.Contains(f.Title, "NoMatchingParent") ||
		!strings.Contains(f.Explanation, "status.parents[0].conditions") {
		t.Errorf("finding = %+v", f)
	}
}

// fakeLogs serves container logs from functions.
type fakeLogs struct {
	lines  []LogLine
	tail   func(ns, pod, ctr string, previous bool, n int) []string
	around func(ns, pod, ctr string, at time.Time, before, after int) []string
}

func (f fakeLogs) Lines() []LogLine { return f.lines }

func (f fakeLogs) Tail(ns, pod, ctr string, previous bool, n int) []string {
	if f.tail == nil {
		return nil
	}
	return f.tail(ns, pod, ctr, previous, n)
}

func (f fakeLogs) Around(ns, pod, ctr string, at time.Time, before, after int) []string {
	if f.around == nil {
		return nil
	}
	return f.around(ns, pod, ctr, at, before, after)
}

// Every category has a name of its own and a rank; merge's among them.
func TestCategoriesRanked(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Categories() {
		if c.Name == "" || c.Rank <= 0 || seen[c.Name] {
			t.Errorf("category %+v: empty, unranked or declared twice", c)
		}
		seen[c.Name] = true
	}
	if rankOf("ReportUnreadable") != 27 || rankOf("CrashLoopBackOff") != 100 || rankOf("FromANewerVersion") != 0 {
		t.Errorf("rankOf: %d %d %d", rankOf("ReportUnreadable"), rankOf("CrashLoopBackOff"), rankOf("FromANewerVersion"))
	}
}

// A custom resource's finding cites the file the reader says holds its kind, and
// resources.json (where every object is) when the reader knows none; never a guess.
func TestConditionFindingCitesReaderFile(t *testing.T) {
	node := unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "n1"},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}}}}}
	fs := Detect(&Input{Objects: []unstructured.Unstructured{node}})
	if len(fs) != 1 || fs[0].Refs[0] != bundle.ResourcesJSON {
		t.Fatalf("refs = %+v; want resources.json first", fs)
	}
	fs = Detect(&Input{Objects: []unstructured.Unstructured{node}, ObjectFile: func(apiVersion, kind string) string {
		if apiVersion == "v1" && kind == "Node" {
			return "k8s/crs/nodes.yaml"
		}
		return ""
	}})
	if len(fs) != 1 || fs[0].Refs[0] != "k8s/crs/nodes.yaml" {
		t.Fatalf("refs = %+v; want the reader's file", fs)
	}
}

// A status is stale only when its observedGeneration is set and behind (kube.Stale, the
// rule investigate and the model use too): 0 is a controller that does not track it.
func TestStaleStatusRule(t *testing.T) {
	cr := func(gen, observed int64) unstructured.Unstructured {
		return unstructured.Unstructured{Object: map[string]any{"apiVersion": "turboengine.io/v1", "kind": "APIGraph",
			"metadata": map[string]any{"name": "orders", "namespace": "e2e", "generation": gen},
			"status":   map[string]any{"observedGeneration": observed, "conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "DependencyNotReady"}}}}}
	}
	for _, c := range []struct {
		gen, observed int64
		stale         bool
	}{{3, 0, false}, {3, 2, true}, {3, 3, false}} {
		fs := Detect(&Input{Objects: []unstructured.Unstructured{cr(c.gen, c.observed)}})
		if len(fs) != 1 {
			t.Fatalf("generation %d observed %d: %d findings", c.gen, c.observed, len(fs))
		}
		if got := strings.Contains(fs[0].Explanation, "status is stale"); got != c.stale {
			t.Errorf("generation %d observed %d: stale=%v, want %v (%s)", c.gen, c.observed, got, c.stale, fs[0].Explanation)
		}
	}
}

// The one owner index: a pod's owners are its owner references and, through a
// ReplicaSet, the ReplicaSet's own owners, whatever their kind (a Deployment, a Rollout).
func TestOwnerIndex(t *testing.T) {
	rs := func(name, ownerKind, owner string) appsv1.ReplicaSet {
		return appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", OwnerReferences: []metav1.OwnerReference{{Kind: ownerKind, Name: owner}}}}
	}
	pod := func(name, ownerKind, owner string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", OwnerReferences: []metav1.OwnerReference{{Kind: ownerKind, Name: owner}}}}
	}
	s := &Scope{Input: &Input{
		ReplicaSets: []appsv1.ReplicaSet{rs("web-5d4f", "Deployment", "web"), rs("canary-77aa", "Rollout", "canary")},
		Pods:        []corev1.Pod{pod("web-5d4f-a", "ReplicaSet", "web-5d4f"), pod("canary-77aa-b", "ReplicaSet", "canary-77aa"), pod("db-0", "StatefulSet", "db")},
	}}
	x := s.idx()
	if got := x.ownersOf(&s.Pods[1]); len(got) != 2 || got[0].String() != "ReplicaSet/ns/canary-77aa" || got[1].String() != "Rollout/ns/canary" {
		t.Errorf("owners of the canary pod: %v", got)
	}
	for owner, want := range map[Subject]string{
		{Kind: "Deployment", Namespace: "ns", Name: "web"}:      "web-5d4f-a",
		{Kind: "Rollout", Namespace: "ns", Name: "canary"}:      "canary-77aa-b",
		{Kind: "StatefulSet", Namespace: "ns", Name: "db"}:      "db-0",
		{Kind: "ReplicaSet", Namespace: "ns", Name: "web-5d4f"}: "web-5d4f-a",
	} {
		if got := x.ownedPods(owner); len(got) != 1 || got[0].Name != want {
			t.Errorf("pods of %s: %v, want %s", owner, got, want)
		}
	}
	if got := x.ownedPods(Subject{Kind: "Deployment", Namespace: "other", Name: "web"}); len(got) != 0 {
		t.Errorf("a Deployment of the same name in another namespace owns %v", got)
	}
}

// The API server's repair loop says what it repaired itself (a Service created while it
// took its snapshot): such a Warning is information, not a problem of the run.
func TestSelfRepairedWarningIsInfo(t *testing.T) {
	ev := func(reason string) events.Event {
		return events.Event{Type: corev1.EventTypeWarning, Reason: reason, Message: "Cluster IP [IPv4]: 10.0.0.7 is not allocated; repairing",
			Object: events.Object{Kind: "Service", Namespace: "ns", Name: "mailer-svc"}, Count: 1}
	}
	fs := Detect(&Input{Events: []events.Event{ev("ClusterIPNotAllocated"), ev("ClusterIPAlreadyAllocated")}})
	got := map[string]Severity{}
	for _, f := range fs {
		got[f.Title] = f.Severity
	}
	if got["Warning ClusterIPNotAllocated on Service mailer-svc"] != Info || got["Warning ClusterIPAlreadyAllocated on Service mailer-svc"] != Warning {
		t.Errorf("severities %v: a repaired allocation is info, a doubly assigned IP still a warning", got)
	}
}
