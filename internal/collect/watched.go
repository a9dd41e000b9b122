package collect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// watched is what `ci-report watch` recorded in the bundle directory while the tests
// ran (nil when it did not run): the last state of every pod it saw, the events it saw,
// and the timeline entries it observed.
type watched struct {
	pods     []unstructured.Unstructured
	events   []events.Event
	timeline []timeline.Entry
	state    *bundle.WatchStateFile
	deleted  map[string]bundle.Deletion // ns/name -> when watch saw the pod go
}

const (
	maxWatchFile     = 256 << 20 // timeline.jsonl, events.json
	maxWatchPodFile  = 4 << 20
	maxWatchPodFiles = 20_000
)

// readWatched reads watch/ through the confined reader: it is a file tree like any
// other in a bundle, so a symlink or a FIFO there is skipped, not followed.
func (r *run) readWatched() *watched {
	br, err := bundle.OpenReader(r.opts.OutputDir)
	if err != nil {
		return nil
	}
	defer br.Close()
	if _, err := br.Stat(bundle.WatchDir); err != nil {
		return nil
	}
	rec := r.newRecord("watch")
	defer rec.done()
	w := &watched{}
	if b, err := br.ReadFile(bundle.WatchState, 1<<20); err == nil {
		var st bundle.WatchStateFile
		if json.Unmarshal(b, &st) == nil {
			w.state = &st
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		rec.errorf("%s is missing: the watcher did not stop cleanly (run `ci-report watch --stop` before collect); using what it wrote", bundle.WatchState)
	}
	if b, err := br.ReadFile(bundle.WatchEvents, maxWatchFile); err == nil {
		if err := json.Unmarshal(b, &w.events); err != nil {
			rec.errorf("%s: %v", bundle.WatchEvents, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		rec.errorf("%s: %v", bundle.WatchEvents, err)
	}
	if b, err := br.ReadFile(bundle.WatchTimeline, maxWatchFile); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		bad := 0
		for sc.Scan() {
			var e timeline.Entry
			if json.Unmarshal(sc.Bytes(), &e) != nil || e.Time.IsZero() {
				bad++
				continue
			}
			w.timeline = append(w.timeline, e)
		}
		if bad > 0 {
			rec.errorf("%s: %d malformed lines skipped", bundle.WatchTimeline, bad)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		rec.errorf("%s: %v", bundle.WatchTimeline, err)
	}
	var deletions []bundle.Deletion
	if b, err := br.ReadFile(bundle.WatchDeleted, maxWatchFile); err == nil {
		if err := json.Unmarshal(b, &deletions); err != nil {
			rec.errorf("%s: %v", bundle.WatchDeleted, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		rec.errorf("%s: %v", bundle.WatchDeleted, err)
	}
	w.deleted = map[string]bundle.Deletion{}
	for _, d := range deletions {
		w.deleted[d.Namespace+"/"+d.Name] = d
	}
	files, _ := br.Walk(func(rel string) bool { return !strings.HasPrefix(rel, bundle.WatchDir+"/pods/") })
	for _, f := range files {
		if len(w.pods) >= maxWatchPodFiles {
			rec.errorf("more than %d pods under %s/pods; the rest were skipped", maxWatchPodFiles, bundle.WatchDir)
			break
		}
		b, err := br.ReadFile(f.Path, maxWatchPodFile)
		if err != nil {
			rec.errorf("%s: %v", f.Path, err)
			continue
		}
		var u unstructured.Unstructured
		if err := json.Unmarshal(b, &u.Object); err != nil || u.GetKind() != "Pod" {
			rec.errorf("%s: not a pod", f.Path)
			continue
		}
		w.pods = append(w.pods, u)
	}
	rec.add(len(w.pods)+len(w.events)+len(w.timeline), 0)
	return w
}

func (r *run) inScope(ns string) bool {
	return r.opts.AllNamespaces || slices.Contains(r.opts.Namespaces, ns)
}

// deletedPods are the pods watch saw that are gone now, each with its last state, and
// when each was deleted (when watch saw it go, or, if it did not, when watch stopped).
func (r *run) deletedPods(live []unstructured.Unstructured) ([]unstructured.Unstructured, []bundle.Deletion) {
	if r.watch == nil {
		return nil, nil
	}
	alive := map[string]bool{}
	for i := range live {
		alive[string(live[i].GetUID())] = true
	}
	stopped := r.opts.Now().UTC()
	if r.watch.state != nil && !r.watch.state.StoppedAt.IsZero() {
		stopped = r.watch.state.StoppedAt
	}
	var out []unstructured.Unstructured
	var deletions []bundle.Deletion
	for _, p := range r.watch.pods {
		if alive[string(p.GetUID())] || !r.inScope(p.GetNamespace()) {
			continue
		}
		d, ok := r.watch.deleted[p.GetNamespace()+"/"+p.GetName()]
		if !ok {
			d = bundle.Deletion{Kind: "Pod", Namespace: p.GetNamespace(), Name: p.GetName(), UID: string(p.GetUID()), At: stopped}
		}
		out = append(out, p)
		deletions = append(deletions, d)
	}
	return out, deletions
}

// copyWatchedLogs puts what watch streamed from a deleted pod's containers where its
// logs belong in the bundle.
func (r *run) copyWatchedLogs(rec *record, pods []corev1.Pod) {
	br, err := bundle.OpenReader(r.opts.OutputDir)
	if err != nil {
		return
	}
	defer br.Close()
	for i := range pods {
		p := &pods[i]
		if !r.res.isGone(p) {
			continue
		}
		for _, ctr := range bundle.ContainerNames(p) {
			b, err := br.ReadFile(bundle.WatchLogPath(p.Namespace, p.Name, ctr), r.opts.LogMaxBytes)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				rec.errorf("log of deleted pod %s/%s container %s: %v", p.Namespace, p.Name, ctr, err)
				continue
			}
			rel := bundle.LogPath(p.Namespace, p.Name, ctr, false)
			n, err := r.dir.WriteFile(rel, b)
			if err != nil {
				rec.errorf("write %s: %v", rel, err)
				continue
			}
			rec.add(1, n, rel)
		}
	}
}

// mergeEvents adds the events watch saw that the API server no longer has.
func mergeEvents(live, observed []events.Event) []events.Event {
	have := map[string]bool{}
	for _, e := range live {
		have[e.UID] = true
	}
	for _, e := range observed {
		if e.UID != "" && !have[e.UID] {
			have[e.UID] = true
			live = append(live, e)
		}
	}
	events.Sort(live)
	return live
}
