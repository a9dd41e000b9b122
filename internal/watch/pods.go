package watch

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/timeline"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
)

func podOf(obj any) *corev1.Pod {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	p, _ := obj.(*corev1.Pod)
	return p
}

func ref(p *corev1.Pod) kube.ObjectRef { return kube.Ref("Pod", p.Namespace, p.Name) }

// pod records a pod's new version: the timeline entries its status dates itself (the
// same ones collect derives, so they merge without duplicates), the changes only an
// observer sees (phase, waiting reasons), its last state, and log followers.
func (w *watcher) pod(ctx context.Context, oldObj, obj any) {
	p := podOf(obj)
	if p == nil || !w.matches(p) {
		return
	}
	now := w.o.Now().UTC()
	var b timeline.Builder
	b.Pods([]corev1.Pod{*p})
	entries := b.Entries()
	old := podOf(oldObj)
	w.mu.Lock()
	prev, known := w.pods[p.Namespace+"/"+p.Name]
	if !known {
		w.state.Pods++
	}
	w.pods[p.Namespace+"/"+p.Name] = p
	w.mu.Unlock()
	if old == nil {
		old = prev
	}
	entries = append(entries, observed(old, p, now)...)
	w.record(entries)
	w.savePod(p)
	w.follow(ctx, p)
}

func (w *watcher) matches(p *corev1.Pod) bool {
	return w.selector == nil || w.selector.Matches(labels.Set(p.Labels))
}

// observed are the transitions that carry no timestamp of their own: the time is when
// the watcher saw them.
func observed(old, p *corev1.Pod, now time.Time) []timeline.Entry {
	var out []timeline.Entry
	obj := ref(p)
	add := func(sev, format string, args ...any) {
		out = append(out, timeline.Entry{Time: now, Source: SourceWatch, Object: obj, Message: fmt.Sprintf(format, args...), Severity: sev})
	}
	if old == nil {
		add("", "pod observed: phase %s", p.Status.Phase)
	} else if old.Status.Phase != p.Status.Phase {
		sev := ""
		if p.Status.Phase == corev1.PodFailed {
			sev = "error"
		}
		add(sev, "phase %s -> %s", old.Status.Phase, p.Status.Phase)
	}
	waiting := func(pod *corev1.Pod) map[string]string {
		m := map[string]string{}
		if pod == nil {
			return m
		}
		for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
			if w := cs.State.Waiting; w != nil {
				m[cs.Name] = w.Reason
			}
		}
		return m
	}
	was, is := waiting(old), waiting(p)
	names := make([]string, 0, len(is))
	for n := range is {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if is[n] != was[n] && is[n] != "" {
			sev := ""
			switch is[n] {
			case "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CreateContainerError", "InvalidImageName":
				sev = "error"
			}
			add(sev, "container %s waiting: %s", n, is[n])
		}
	}
	if p.DeletionTimestamp != nil && (old == nil || old.DeletionTimestamp == nil) {
		add("", "pod deletion requested (grace period %ds)", ptrVal(p.DeletionGracePeriodSeconds))
	}
	return out
}

func ptrVal(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (w *watcher) podDeleted(obj any) {
	p := podOf(obj)
	if p == nil || !w.matches(p) {
		return
	}
	now := w.o.Now().UTC()
	w.record([]timeline.Entry{{Time: now, Source: SourceWatch, Object: ref(p), Message: fmt.Sprintf("pod deleted (last phase %s)", p.Status.Phase), Severity: "warning"}})
	w.mu.Lock()
	w.state.Deleted++
	w.pods[p.Namespace+"/"+p.Name] = p
	w.deleted[p.Namespace+"/"+p.Name] = bundle.Deletion{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: string(p.UID), At: now, Observed: true}
	deletions := make([]bundle.Deletion, 0, len(w.deleted))
	for _, d := range w.deleted {
		deletions = append(deletions, d)
	}
	prefix := p.Namespace + "/" + p.Name + "/"
	var stops []context.CancelFunc
	for k, stop := range w.followers {
		if strings.HasPrefix(k, prefix) {
			stops = append(stops, stop)
		}
	}
	w.mu.Unlock()
	w.savePod(p)
	sort.Slice(deletions, func(i, j int) bool { return deletions[i].At.Before(deletions[j].At) })
	if err := w.writeJSON(bundle.WatchDeleted, deletions); err != nil {
		w.errorf("record deletion of pod %s/%s: %v", p.Namespace, p.Name, err)
	}
	// The log stream ends by itself when the container goes; give it a moment to drain.
	go func() {
		time.Sleep(2 * w.o.Resync)
		for _, stop := range stops {
			stop()
		}
	}()
}

// savePod keeps the pod's last version (redacted) for collect.
func (w *watcher) savePod(p *corev1.Pod) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
	if err != nil {
		return
	}
	m["apiVersion"], m["kind"] = "v1", "Pod"
	unstructured.RemoveNestedField(m, "metadata", "managedFields")
	w.o.Redactor.Object(m)
	if err := w.writeJSON(bundle.WatchPodPath(p.Namespace, p.Name), m); err != nil {
		w.errorf("save pod %s/%s: %v", p.Namespace, p.Name, err)
	}
}
