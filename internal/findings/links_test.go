package findings

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/results"
)

func readyPod(name string, labels map[string]string) corev1.Pod {
	p := pod(name, corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "c", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}})
	p.Labels = labels
	return p
}

func service(name string, selector map[string]string) corev1.Service {
	return corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.ServiceSpec{Selector: selector, ClusterIP: "10.96.0.20"}}
}

// A failed test's own output that looks up a Service that does not exist raises the
// missing Service, which explains the test and names the nearest existing Service.
func TestTestOutputNamesMissingService(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := &Input{
		Pods:      []corev1.Pod{readyPod("ledger-0", map[string]string{"app": "ledger"})},
		Services:  []corev1.Service{service("ledger-api", map[string]string{"app": "ledger"})},
		Collected: Collected{Namespaces: []string{"ns"}},
		Tests: []results.Case{{Suite: "s", Name: "test_balance", Status: results.Failed, Start: at, Attempts: 1,
			Message: "requests.exceptions.ConnectionError", Details: `HTTPConnectionPool(host='ledger', port=8080): Failed to resolve 'ledger' ([Errno -2] Name or service not known)`}},
	}
	fs := Detect(in)
	if len(fs) != 2 || fs[0].Category != "ServiceMissing" || fs[1].Category != "TestFailed" {
		t.Fatalf("want the missing Service, then the test: %+v", fs)
	}
	if !slices.Contains(fs[1].CausedBy, fs[0].ID) || !strings.Contains(fs[0].Explanation, "did you mean Service ledger-api") {
		t.Errorf("missing Service: %s; test caused by %v", fs[0].Explanation, fs[1].CausedBy)
	}
}

// Quiet when nothing failed: a Ready pod that logged a refused connection and a failed
// lookup of an outside host, with every test passing, adds no finding.
func TestLogErrorsExplainingNothingStayQuiet(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := &Input{
		Pods:      []corev1.Pod{readyPod("api-0", map[string]string{"app": "api"}), readyPod("cache-0", map[string]string{"app": "cache"})},
		Services:  []corev1.Service{service("cache", map[string]string{"app": "cache"})},
		Collected: Collected{Namespaces: []string{"ns"}},
		Tests:     []results.Case{{Suite: "s", Name: "test_ok", Status: results.Passed, Start: at, Attempts: 1}},
		Logs: fakeLogs{lines: []LogLine{
			{Namespace: "ns", Pod: "api-0", Container: "c", Time: at, Text: "dial tcp cache:6379: connect: connection refused"},
			{Namespace: "ns", Pod: "api-0", Container: "c", Time: at, Text: "lookup telemetry.example.com on 10.96.0.10:53: no such host"},
		}},
	}
	if fs := Detect(in); len(fs) != 0 {
		t.Errorf("findings on a healthy run: %+v", fs)
	}
}

// Links never make a cycle, however the rules meet: the first link found wins.
func TestLinksMakeNoCycle(t *testing.T) {
	fs := []Finding{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	g := newGraph(fs)
	if !g.cause(0, 1) || !g.cause(1, 2) {
		t.Fatal("plain links refused")
	}
	if g.cause(2, 0) || g.cause(1, 0) || g.cause(0, 0) {
		t.Errorf("a cycle was linked: %+v", fs)
	}
}

// A Service's DNS names, and what is not one.
func TestInClusterName(t *testing.T) {
	known := func(ns string) bool { return ns == "shop" }
	for host, want := range map[string]string{
		"orders": "home/orders", "orders.shop": "shop/orders", "orders.shop.svc": "shop/orders",
		"orders.shop.svc.cluster.local": "shop/orders", "orders.other": "", "billing.example.net": "",
		"10.96.0.1": "", "Orders": "",
	} {
		name, ns, ok := inClusterName("home", host, known)
		got := ""
		if ok {
			got = ns + "/" + name
		}
		if got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
}

// A failed test links to at most maxTestCauses findings, however many its window holds.
func TestTestCausesBounded(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := &Input{Collected: Collected{Namespaces: []string{"ns"}},
		Tests: []results.Case{{Suite: "s", Name: "test_all", Status: results.Failed, Start: at, Duration: time.Minute, Attempts: 1}}}
	for i := range 50 {
		name := "probe-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		in.Events = append(in.Events, events.Event{Type: "Warning", Reason: "Unhealthy", Message: "Readiness probe failed: 503",
			Count: 1, FirstSeen: at.Add(time.Duration(i) * time.Second), LastSeen: at.Add(time.Duration(i) * time.Second),
			Object: events.Object{Kind: "Pod", Namespace: "ns", Name: name}})
	}
	var test Finding
	for _, f := range Detect(in) {
		if f.Category == "TestFailed" {
			test = f
		}
	}
	if n := len(test.CausedBy); n == 0 || n > maxTestCauses {
		t.Errorf("the test is linked to %d findings, want 1..%d", n, maxTestCauses)
	}
}

// A Service of the looked-up name in another namespace is suggested with its DNS name.
func TestMissingServiceSuggestsOtherNamespace(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ledger := service("ledger", map[string]string{"app": "ledger"})
	ledger.Namespace = "finance"
	in := &Input{
		Pods:      []corev1.Pod{readyPod("ledger-0", map[string]string{"app": "ledger"})},
		Services:  []corev1.Service{ledger},
		Collected: Collected{Namespaces: []string{"ns", "finance"}},
		Tests:     []results.Case{{Suite: "s", Name: "test_balance", Status: results.Failed, Start: at, Attempts: 1, Message: "lookup ledger.ns.svc on 10.96.0.10:53: no such host"}},
	}
	in.Pods[0].Namespace = "finance"
	fs := Detect(in)
	if len(fs) == 0 || fs[0].Category != "ServiceMissing" || !strings.Contains(fs[0].Explanation, "did you mean ledger.finance") {
		t.Fatalf("want the missing Service suggesting ledger.finance: %+v", fs)
	}
}

// The prefilters let through every line their expressions match (each alternative
// holds one of the words), so they change nothing but the time.
func TestPrefiltersCoverTheirExpressions(t *testing.T) {
	for _, c := range []struct {
		words lazyre.Words
		re    *regexp.Regexp
	}{{networkWords, networkFailure()}, {causeWords, noSuchHost()}, {causeWords, x509Error()}, {causeWords, tlsVerify()}} {
		if err := c.words.Covers(c.re.String()); err != nil {
			t.Error(err)
		}
	}
	if err := (lazyre.Words{"refused"}).Covers(networkFailure().String()); err == nil {
		t.Error("Covers passed words that miss most alternatives")
	}
}
