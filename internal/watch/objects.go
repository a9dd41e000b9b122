package watch

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/timeline"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

func (w *watcher) resolveCRDs() ([]schema.GroupVersionResource, error) {
	if len(w.o.CRDs) == 0 {
		return nil, nil
	}
	lists, err := w.cs.Discovery().ServerPreferredResources()
	if len(lists) == 0 && err != nil {
		return nil, err // partial discovery (an aggregated API down) still gives the rest
	}
	named, unknown := kube.Resolve(w.o.CRDs, kube.Listable(lists))
	var out []schema.GroupVersionResource
	for _, r := range named {
		out = append(out, r.GVR)
	}
	if len(unknown) > 0 {
		return out, fmt.Errorf("--crd %s: no such resource type on the server (use plural.group, e.g. apigraphs.turboengine.io, or the Kind)", strings.Join(unknown, ", "))
	}
	return out, nil
}

// record appends entries not seen before.
func (w *watcher) writeJSON(rel string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(w.o.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return bundle.WriteFileAtomic(path, append(b, '\n'))
}

func (w *watcher) event(obj any) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return
	}
	ev := events.FromCore(e)
	ev.Message, _ = w.o.Redactor.String(ev.Message)
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.events[ev.UID]; !ok {
		if len(w.events) >= w.o.MaxEvents {
			return
		}
		w.state.Events++
	}
	w.events[ev.UID] = ev
	w.evDirty = true
}

// object records a custom resource's condition transitions.
func (w *watcher) object(obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	var b timeline.Builder
	b.Conditions([]unstructured.Unstructured{*u})
	w.record(b.Entries())
}

func (w *watcher) objectDeleted(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	w.record([]timeline.Entry{{Time: w.o.Now().UTC(), Source: SourceWatch, Object: kube.Ref(u.GetKind(), u.GetNamespace(), u.GetName()), Message: "deleted"}})
}

// flush writes buffered timeline entries and, if changed, the events.
func (w *watcher) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.timeline.Flush(); err != nil {
		w.noteLocked("timeline: " + err.Error())
	}
	if !w.evDirty {
		return
	}
	evs := make([]events.Event, 0, len(w.events))
	for _, e := range w.events {
		evs = append(evs, e)
	}
	events.Sort(evs)
	if err := w.writeJSON(bundle.WatchEvents, evs); err != nil {
		w.noteLocked("events: " + err.Error())
	}
	w.evDirty = false
}

// follow starts a log follower for each container of the pod that has run and has none.
