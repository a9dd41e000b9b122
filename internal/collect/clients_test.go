package collect

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/model"
)

// collect through given clients (the seam Options.Clients), with client-go's fakes: a
// crash-looping pod and its event become a bundle that renders the crash, and what
// needs a REST config (server-side tables) is skipped, saying so.
func TestCollectThroughGivenClients(t *testing.T) {
	now := time.Now()
	p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "api-7d4b9c8f6d-x2k9z", Namespace: "shop", UID: "u1", CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "api", Image: "registry.example/api:1"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "api", RestartCount: 7,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}}}}}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "api.1", Namespace: "shop"}, Type: "Warning", Reason: "BackOff",
		Message: "Back-off restarting failed container api", InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: p.Name, UID: "u1"},
		Count: 12, FirstTimestamp: metav1.NewTime(now.Add(-30 * time.Minute)), LastTimestamp: metav1.NewTime(now)}
	kube := fake.NewClientset(p, ev)
	kube.Resources = []*metav1.APIResourceList{{GroupVersion: "v1", APIResources: []metav1.APIResource{
		{Name: "pods", Namespaced: true, Kind: "Pod", Verbs: metav1.Verbs{"get", "list"}},
		{Name: "events", Namespaced: true, Kind: "Event", Verbs: metav1.Verbs{"get", "list"}},
	}}}
	kube.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.36.3"}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
	if err != nil {
		t.Fatal(err)
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		{Version: "v1", Resource: "pods"}: "PodList", {Version: "v1", Resource: "events"}: "EventList",
		{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}: "CustomResourceDefinitionList",
	}, &unstructured.Unstructured{Object: u})
	dir := t.TempDir()
	m, err := Run(context.Background(), Options{Clients: &Clients{Kube: kube, Dynamic: dyn}, Namespaces: []string{"shop"}, OutputDir: dir,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("collect: %v (gaps %+v)", err, m.Gaps)
	}
	if m.Cluster.Version != "v1.36.3" || !m.Cluster.Reachable {
		t.Errorf("cluster %+v", m.Cluster)
	}
	res, _ := os.ReadFile(filepath.Join(dir, bundle.ResourcesJSON))
	if !strings.Contains(string(res), p.Name) {
		t.Errorf("resources.json lacks the pod: %s; collectors %+v", res, m.Collectors)
	}
	skipped := false
	for _, c := range m.Collectors {
		skipped = skipped || c.Name == "tables" && c.Status == bundle.StatusSkipped && strings.Contains(strings.Join(c.Errors, ""), "REST config")
	}
	if !skipped {
		t.Errorf("tables not skipped with a reason: %+v", m.Collectors)
	}
	r, err := model.Load(context.Background(), dir, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || r.Findings[0].Category != "CrashLoopBackOff" {
		t.Errorf("the bundle from fake clients does not render the crash: %+v", r.Findings)
	}
}
