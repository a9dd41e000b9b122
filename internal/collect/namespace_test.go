package collect_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The cleanup race: a test's namespace is deleted with --wait=false while an object in it
// keeps a finalizer, so it stays Terminating, and the next test that creates something
// there fails with "because it is being terminated". Collected for another namespace, the
// report names the stuck namespace and its blocking finalizer first, above the failure.
func TestIntegrationNamespaceStuckTerminating(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "xdist-gw1-orders"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "fixture-lock", Finalizers: []string{"e2e.example.com/hold"}}}
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.CoreV1().ConfigMaps(ns).Patch(context.Background(), "fixture-lock", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})
	if err := env.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The namespace controller says what remains.
	var created error
	for ctx.Err() == nil {
		n, err := env.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err == nil && hasTrue(n, corev1.NamespaceFinalizersRemaining) {
			_, created = env.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "order-1"}}, metav1.CreateOptions{})
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if created == nil || !strings.Contains(created.Error(), "because it is being terminated") {
		t.Fatalf("creating in the terminating namespace: %v", created)
	}
	work := t.TempDir()
	junit := filepath.Join(work, "junit.xml")
	os.WriteFile(junit, []byte(`<testsuites><testsuite name="tests.e2e"><testcase classname="tests.e2e.test_orders" name="test_create_order">`+
		`<failure message="kubernetes.client.exceptions.ApiException: (403)">Reason: Forbidden: `+created.Error()+`</failure></testcase>`+
		`<testcase classname="tests.e2e.test_orders" name="test_list_orders"/></testsuite></testsuites>`), 0o644)
	dir := filepath.Join(work, "bundle")
	// The suite's main namespace is healthy; the stuck one is not among those collected.
	if err := env.EnsureNamespace(ctx, "xdist-main"); err != nil {
		t.Fatal(err)
	}
	r := collectAndRender(t, dir, "-n", "xdist-main", "--results", junit)
	if len(r.Findings) == 0 || r.Findings[0].Category != "NamespaceTerminating" || r.Findings[0].Subject.Name != ns {
		t.Fatalf("first finding is not the stuck namespace: %+v", r.Findings[:min(3, len(r.Findings))])
	}
	stuck := r.Findings[0]
	if !strings.Contains(stuck.Explanation, "e2e.example.com/hold") || stuck.Severity != "error" {
		t.Errorf("the stuck namespace's finding does not name the finalizer or is not an error: %s (%s)", stuck.Explanation, stuck.Severity)
	}
	linked := false
	for _, f := range r.Findings {
		if f.Category == "TestFailed" && strings.Contains(f.Title, "test_create_order") {
			for _, id := range f.CausedBy {
				linked = linked || id == stuck.ID
			}
		}
	}
	if !linked {
		t.Error("the failed test is not linked to the stuck namespace that caused it")
	}
}

func hasTrue(n *corev1.Namespace, t corev1.NamespaceConditionType) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
