package collect_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/demo"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/testenv"
	"github.com/org/k8s-e2e-report/internal/timeline"
	"github.com/org/k8s-e2e-report/internal/watch"
)

// plantRunning creates a pod kwok leaves alone, running since start, with a log.
func plantRunning(t *testing.T, ctx context.Context, ns, name string, start time.Time, lines ...string) *corev1.Pod {
	t.Helper()
	pod := testenv.Plant(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}},
		Spec:       corev1.PodSpec{NodeName: scenario.Node, Containers: []corev1.Container{{Name: "tests", Image: "example.com/tests:1"}}},
	})
	pod, err := env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod, err = env.SetPodStatus(ctx, ns, name, testenv.RunningPodStatus(pod, start)); err != nil {
		t.Fatal(err)
	}
	if err := env.SetContainerLogs(ctx, ns, name, "tests", testenv.Lines(start, lines...), nil); err != nil {
		t.Fatal(err)
	}
	return pod
}

func waitFor(path, want string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func waitFile(t *testing.T, path, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never contained %q; it has:\n%s", path, want, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// `ci-report watch --background` runs while a test deletes a pod that logged a
// distinctive line and the event about it is garbage-collected; after `watch --stop` and
// `collect`, the line is in the bundle, the pod is in the report marked deleted, and the
// event is still there.
func TestIntegrationWatchKeepsADeletedPod(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := "watched"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bg := exec.Command(binary, "--kubeconfig", env.Kubeconfig, "watch", "-n", ns, "-o", dir, "--background")
	out, err := bg.CombinedOutput()
	if err != nil {
		t.Fatalf("watch --background: %v\n%s", err, out)
	}
	stopped := false
	defer func() {
		if !stopped {
			exec.Command(binary, "watch", "--stop", "-o", dir).Run()
		}
	}()
	marker := fmt.Sprintf("migration %d applied: DISTINCTIVE", time.Now().UnixNano())
	start := time.Now().Add(-30 * time.Second).Truncate(time.Second)
	plantRunning(t, ctx, ns, "migrate-job", start, "starting migration", marker, "done")
	if !waitFor(filepath.Join(dir, filepath.FromSlash(bundle.WatchLogPath(ns, "migrate-job", "tests"))), marker, 30*time.Second) {
		b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(bundle.WatchLog)))
		t.Fatalf("the watcher never streamed the line; its log:\n%s", b)
	}

	ev, err := env.CreateEvent(ctx, testenv.EventFor(corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "migrate-job"},
		corev1.EventTypeWarning, "MigrationSlow", "migration took 29s", "e2e", time.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(dir, filepath.FromSlash(bundle.WatchEvents)), "migration took 29s", 10*time.Second)
	if err := env.Client.CoreV1().Events(ns).Delete(ctx, ev.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	if err := env.Client.CoreV1().Pods(ns).Delete(ctx, "migrate-job", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(dir, filepath.FromSlash(bundle.WatchTimeline)), "pod deleted", 10*time.Second)

	if out, err := exec.Command(binary, "watch", "--stop", "-o", dir).CombinedOutput(); err != nil {
		t.Fatalf("watch --stop: %v\n%s", err, out)
	}
	stopped = true
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(bundle.WatchPID))); err == nil {
		t.Error("the pid file outlives the watcher")
	}
	if code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", ns, "-o", dir); code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	if log := read(t, dir, bundle.LogPath(ns, "migrate-job", "tests", false)); !strings.Contains(log, marker) {
		t.Errorf("the deleted pod's log lacks its line:\n%s", log)
	}
	if !strings.Contains(read(t, dir, bundle.EventsJSON), "migration took 29s") {
		t.Error("the deleted event is not in events.json")
	}
	r, err := model.Load(ctx, dir, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var row *model.PodRow
	for i := range r.Pods {
		if r.Pods[i].Name == "migrate-job" {
			row = &r.Pods[i]
		}
	}
	if row == nil || row.Deleted.IsZero() || !strings.HasPrefix(row.Reason, "deleted") {
		t.Fatalf("the deleted pod is not marked deleted in the report: %+v", row)
	}
	// The deletion is an explicit record (when watch saw it), not an annotation added
	// to the pod's object.
	var deletions []bundle.Deletion
	if err := json.Unmarshal([]byte(read(t, dir, bundle.DeletionsJSON)), &deletions); err != nil {
		t.Fatal(err)
	}
	if len(deletions) != 1 || deletions[0].Name != "migrate-job" || !deletions[0].Observed || !deletions[0].At.Equal(row.Deleted) {
		t.Errorf("deletions.json = %+v; want migrate-job, observed, at %v", deletions, row.Deleted)
	}
	if strings.Contains(read(t, dir, bundle.ResourcesJSON), bundle.DeletedAtAnnotation) {
		t.Error("resources.json still marks the pod with an annotation")
	}
	// What watch saw is a fact of the bundle of its own; the model derives the rest.
	if obs := read(t, dir, bundle.ObservedJSON); !strings.Contains(obs, "pod deleted") {
		t.Errorf("observed.json lacks the deletion watch saw:\n%s", obs)
	}
	found := false
	for _, lt := range r.Logs {
		for _, l := range lt.Lines {
			found = found || lt.Pod == "migrate-job" && strings.Contains(l.Text, marker)
		}
	}
	if !found {
		t.Error("the report's log tails lack the deleted pod's line")
	}
	deletedEntry := false
	for _, e := range r.Timeline {
		deletedEntry = deletedEntry || e.Object.String() == "Pod/"+ns+"/migrate-job" && strings.HasPrefix(e.Message, "pod deleted")
	}
	if !deletedEntry {
		t.Error("the timeline does not say when the pod was deleted")
	}
	if code, _, stderr := runOut(t, "render", dir, "-q"); code != 0 {
		t.Fatalf("render: %s", stderr)
	}
	if md := read(t, dir, "REPORT.md"); !strings.Contains(md, "| migrate-job | Running | 1/1 | 0 | deleted |") {
		t.Errorf("REPORT.md's pod table does not mark the pod deleted:\n%s", md)
	}
}

// An API server restart while watching: the watcher resumes (re-lists), records what
// happened after the restart, and records nothing twice.
func TestIntegrationWatchResumesAfterAPIServerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := "restarted"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wctx, stop := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- watch.Run(wctx, watch.Options{Config: env.Config, Namespaces: []string{ns}, Dir: dir, Resync: 200 * time.Millisecond},
			func() { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("watch ended before it was ready: %v", err)
	case <-ctx.Done():
		t.Fatal("watch never got ready")
	}
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	pod := plantRunning(t, ctx, ns, "api", start, "serving")
	tl := filepath.Join(dir, filepath.FromSlash(bundle.WatchTimeline))
	waitFile(t, tl, `"object":{"kind":"Pod","namespace":"`+ns+`","name":"api"}`, 10*time.Second)

	env.StopAPIServer()
	time.Sleep(2 * time.Second)
	if err := env.StartAPIServer(ctx); err != nil {
		t.Fatalf("restart API server: %v", err)
	}
	// After the restart the container crashes: the watcher must see it.
	crashAt := time.Now().Truncate(time.Second)
	st := testenv.CrashLoopBackOff(testenv.RunningPodStatus(pod, start), "tests", 1, 3, start, crashAt)
	if _, err := env.SetPodStatus(ctx, ns, "api", st); err != nil {
		t.Fatal(err)
	}
	waitFile(t, tl, "container tests waiting: CrashLoopBackOff", 60*time.Second)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("watch: %v", err)
	}

	f, err := os.Open(tl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]int{}
	var entries []timeline.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e timeline.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
		seen[e.Source+"|"+e.Object.String()+"|"+e.Message+"|"+e.Time.String()]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("recorded %d times: %s", n, k)
		}
	}
	var before, after, observedOnce int
	for _, e := range entries {
		if e.Object.String() != "Pod/"+ns+"/api" {
			continue
		}
		switch {
		case strings.Contains(e.Message, "started") && e.Time.Equal(start):
			before++
		case strings.Contains(e.Message, "terminated: Error, exit code 3") && e.Time.Equal(crashAt):
			after++
		case strings.HasPrefix(e.Message, "pod observed"):
			observedOnce++
		}
	}
	if before == 0 || after == 0 || observedOnce != 1 {
		t.Errorf("before the restart %d, after %d, first observation %d (want ≥1, ≥1, 1):\n%+v", before, after, observedOnce, entries)
	}
	var state bundle.WatchStateFile
	if err := json.Unmarshal([]byte(read(t, dir, bundle.WatchState)), &state); err != nil {
		t.Fatal(err)
	}
	if len(state.Outages) != 1 || state.Outages[0].To.IsZero() || state.Outages[0].To.Sub(state.Outages[0].From) > time.Minute || state.StoppedAt.IsZero() {
		t.Errorf("state = %+v: want the one outage, closed", state)
	}
}

// collect stops a background watcher of its bundle directory before it merges.
func TestIntegrationCollectStopsTheWatcher(t *testing.T) {
	ns := "watched-stop"
	if err := env.EnsureNamespace(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if out, err := exec.Command(binary, "--kubeconfig", env.Kubeconfig, "watch", "-n", ns, "-o", dir, "--background").CombinedOutput(); err != nil {
		t.Fatalf("watch --background: %v\n%s", err, out)
	}
	if out, err := exec.Command(binary, "--kubeconfig", env.Kubeconfig, "collect", "-n", ns, "-o", dir, "-q").CombinedOutput(); err != nil {
		t.Fatalf("collect: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(bundle.WatchPID))); err == nil {
		exec.Command(binary, "watch", "--stop", "-o", dir).Run()
		t.Fatal("collect left the watcher running")
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(bundle.WatchState))); err != nil {
		t.Errorf("the watcher did not finish writing before collect merged: %v", err)
	}
	for _, g := range manifest(t, dir).Gaps {
		if g.Collector == "watch" {
			t.Errorf("gap: %+v", g)
		}
	}
}

// With --crd, the condition transitions of custom resources are recorded as they happen,
// and a deleted custom resource is noted.
func TestIntegrationWatchCustomResourceConditions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := "watched-crs"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wctx, stop := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- watch.Run(wctx, watch.Options{Config: env.Config, Namespaces: []string{ns}, Dir: dir, CRDs: []string{"apigraphs.turboengine.io"}},
			func() { close(ready) })
	}()
	<-ready
	res := env.Dynamic.Resource(demo.APIGraphGVR).Namespace(ns)
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "turboengine.io/v1alpha1", "kind": "APIGraph",
		"metadata": map[string]any{"name": "payments"}, "spec": map[string]any{"image": "x", "replicas": int64(1)}}}
	created, err := res.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	for i, st := range []string{"False", "True"} {
		unstructured.SetNestedField(created.Object, map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": st,
			"reason": "Step" + st, "message": "m", "lastTransitionTime": at.Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339)}}}, "status")
		if created, err = res.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if !waitFor(filepath.Join(dir, filepath.FromSlash(bundle.WatchTimeline)), "Ready="+st+" Step"+st, 10*time.Second) {
			stop()
			<-done
			t.Fatalf("not recorded; state: %s", read(t, dir, bundle.WatchState))
		}
		waitFile(t, filepath.Join(dir, filepath.FromSlash(bundle.WatchTimeline)), "Ready="+st+" Step"+st, 10*time.Second)
	}
	if err := res.Delete(ctx, "payments", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(dir, filepath.FromSlash(bundle.WatchTimeline)), `"object":{"kind":"APIGraph","namespace":"`+ns+`","name":"payments"},"message":"deleted"`, 10*time.Second)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
