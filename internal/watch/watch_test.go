package watch

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// The watcher against fake clients (the seam Options.Kube/Dynamic): a pod that starts,
// crashes and is deleted leaves its transitions in the timeline, its last state, and a
// deletion record; nothing is written into the pod itself.
func TestWatchRecordsAPodsLife(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kube := fake.NewClientset()
	dir := t.TempDir()
	ready := make(chan struct{})
	done := make(chan error, 1)
	wctx, stop := context.WithCancel(ctx)
	go func() {
		done <- Run(wctx, Options{Kube: kube, Dynamic: dynamicfake.NewSimpleDynamicClient(runtime.NewScheme()),
			Namespaces: []string{"ns"}, Dir: dir, Resync: 50 * time.Millisecond}, func() { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("watch ended: %v", err)
	case <-ctx.Done():
		t.Fatal("watch never got ready")
	}
	start := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "ns", UID: "u1"},
		Spec: corev1.PodSpec{NodeName: "n", Containers: []corev1.Container{{Name: "app", Image: "x"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: start}}}}}}
	if _, err := kube.CoreV1().Pods("ns").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crashed := pod.DeepCopy()
	crashed.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "app", RestartCount: 1,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}
	waitFor(t, ctx, filepath.Join(dir, bundle.WatchPodPath("ns", "api")))
	if _, err := kube.CoreV1().Pods("ns").UpdateStatus(ctx, crashed, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitContains(t, ctx, filepath.Join(dir, bundle.WatchTimeline), "CrashLoopBackOff")
	if err := kube.CoreV1().Pods("ns").Delete(ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, filepath.Join(dir, bundle.WatchDeleted))
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var deletions []bundle.Deletion
	readJSON(t, filepath.Join(dir, bundle.WatchDeleted), &deletions)
	if len(deletions) != 1 || deletions[0].Name != "api" || deletions[0].UID != "u1" || !deletions[0].Observed || deletions[0].At.IsZero() {
		t.Errorf("deletions = %+v", deletions)
	}
	var last map[string]any
	readJSON(t, filepath.Join(dir, bundle.WatchPodPath("ns", "api")), &last)
	if b, _ := json.Marshal(last); strings.Contains(string(b), bundle.DeletedAtAnnotation) || !strings.Contains(string(b), "CrashLoopBackOff") {
		t.Errorf("last state of the pod: %s", b)
	}
	var st bundle.WatchStateFile
	readJSON(t, filepath.Join(dir, bundle.WatchState), &st)
	if st.Pods != 1 || st.Deleted != 1 || st.StoppedAt.IsZero() {
		t.Errorf("state = %+v", st)
	}
	tl, _ := os.ReadFile(filepath.Join(dir, bundle.WatchTimeline))
	for _, want := range []string{"pod deleted", "CrashLoopBackOff"} {
		if !strings.Contains(string(tl), want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
}

func waitFor(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never appeared", path)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func waitContains(t *testing.T, ctx context.Context, path, want string) {
	t.Helper()
	for {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never said %q", path, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
