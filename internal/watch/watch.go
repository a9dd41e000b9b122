// Package watch records what happens in the namespaces while the tests run, for what a
// snapshot at the end cannot see: pods deleted before `collect` (their logs and last
// state), events garbage-collected by then, and the order and time of every pod phase,
// container state and condition transition.
//
// It uses client-go informers (which re-list and resume by themselves after an API server
// restart or a watch expiry) and follows container logs. Everything goes under the
// bundle's watch/ directory; `collect` merges it. Timeline entries are deduplicated by
// their content, so a re-list after a restart adds nothing it already has.
package watch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	memory "k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// Options configure a watch.
type Options struct {
	Config        *rest.Config
	Namespaces    []string
	AllNamespaces bool
	Selector      string   // label selector for pods
	CRDs          []string // custom resource types whose conditions to follow (plural.group or Kind)
	Dir           string   // the bundle directory; watch writes under Dir/watch

	LogMaxBytes   int64 // per container (0: none)
	LogTotalBytes int64 // all containers together (0: none)
	MaxEntries    int   // timeline entries kept (default 200,000)
	MaxEvents     int   // events kept (default 20,000)

	Redactor *redact.Redactor
	Log      *slog.Logger
	Now      func() time.Time
	// Resync is how long a follower waits before following a log again after its stream
	// ended (default 1s).
	Resync time.Duration
}

func (o *Options) defaults() {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 200_000
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 20_000
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Redactor == nil {
		o.Redactor, _ = redact.New(nil)
	}
	if o.Resync <= 0 {
		o.Resync = time.Second
	}
}

// SourceWatch marks timeline entries only the watcher could see (when a pod was
// deleted, its phase changes, a container waiting).
const SourceWatch = "watch"

type watcher struct {
	o    Options
	cs   kubernetes.Interface
	dyn  dynamic.Interface
	root string // Dir/watch

	mu        sync.Mutex
	seen      map[string]bool // timeline entry keys
	timeline  *bufio.Writer
	tlFile    *os.File
	events    map[string]events.Event
	evDirty   bool
	pods      map[string]*corev1.Pod // ns/name -> last version
	followers map[string]context.CancelFunc
	selector  labels.Selector
	state     bundle.WatchStateFile
	logBytes  atomic.Int64
	wg        sync.WaitGroup
}

// Run watches until ctx is done, then writes its state and returns. onReady (if set)
// is called once every informer has listed.
func Run(ctx context.Context, o Options, onReady func()) error {
	o.defaults()
	if o.Config == nil {
		return errors.New("watch: no cluster configuration")
	}
	cs, err := kubernetes.NewForConfig(o.Config)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(o.Config)
	if err != nil {
		return err
	}
	w := &watcher{o: o, cs: cs, dyn: dyn, root: filepath.Join(o.Dir, bundle.WatchDir), seen: map[string]bool{},
		events: map[string]events.Event{}, pods: map[string]*corev1.Pod{}, followers: map[string]context.CancelFunc{}}
	if o.Selector != "" {
		if w.selector, err = labels.Parse(o.Selector); err != nil {
			return fmt.Errorf("--selector %q: %w", o.Selector, err)
		}
	}
	w.state.StartedAt = o.Now().UTC()
	w.state.Namespaces = o.Namespaces
	if o.AllNamespaces {
		w.state.Namespaces = []string{""}
	}
	if err := os.MkdirAll(w.root, 0o755); err != nil {
		return err
	}
	os.Remove(filepath.Join(o.Dir, filepath.FromSlash(bundle.WatchReady)))
	if err := w.loadPrevious(); err != nil {
		o.Log.Warn("could not resume from an earlier watch", "err", err)
	}
	w.tlFile, err = os.OpenFile(filepath.Join(o.Dir, filepath.FromSlash(bundle.WatchTimeline)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	w.timeline = bufio.NewWriter(w.tlFile)

	ictx, stopInformers := context.WithCancel(ctx)
	defer stopInformers()
	var synced []cache.InformerSynced
	namespaces := o.Namespaces
	if o.AllNamespaces || len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	gvrs, err := w.resolveCRDs()
	if err != nil {
		w.errorf("%v", err)
	}
	for _, ns := range namespaces {
		f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns))
		pods := f.Core().V1().Pods().Informer()
		w.onWatchError(pods)
		pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.pod(ictx, nil, obj) },
			UpdateFunc: func(old, obj any) { w.pod(ictx, old, obj) },
			DeleteFunc: func(obj any) { w.podDeleted(obj) },
		})
		evs := f.Core().V1().Events().Informer()
		w.onWatchError(evs)
		evs.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.event(obj) },
			UpdateFunc: func(_, obj any) { w.event(obj) },
		})
		synced = append(synced, pods.HasSynced, evs.HasSynced)
		f.Start(ictx.Done())

		if len(gvrs) > 0 {
			df := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, ns, nil)
			for _, gvr := range gvrs {
				inf := df.ForResource(gvr).Informer()
				w.onWatchError(inf)
				inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
					AddFunc:    func(obj any) { w.object(obj) },
					UpdateFunc: func(_, obj any) { w.object(obj) },
					DeleteFunc: func(obj any) { w.objectDeleted(obj) },
				})
				synced = append(synced, inf.HasSynced)
			}
			df.Start(ictx.Done())
		}
	}
	if cache.WaitForCacheSync(ctx.Done(), synced...) {
		w.flush()
		os.WriteFile(filepath.Join(o.Dir, filepath.FromSlash(bundle.WatchReady)), []byte(o.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o644)
		o.Log.Info("watching", "namespaces", strings.Join(namespaces, ","), "custom resource types", len(gvrs))
		if onReady != nil {
			onReady()
		}
	}

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			w.flush()
			w.probe(ctx)
		}
	}
	stopInformers()
	w.mu.Lock()
	for _, stop := range w.followers {
		stop()
	}
	w.mu.Unlock()
	w.wg.Wait()
	w.flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.state.StoppedAt = o.Now().UTC()
	w.state.LogBytes = w.logBytes.Load()
	err = w.timeline.Flush()
	w.tlFile.Close()
	if werr := w.writeJSON(bundle.WatchState, w.state); err == nil {
		err = werr
	}
	o.Log.Info("watch stopped", "pods", w.state.Pods, "deleted", w.state.Deleted, "transitions", w.state.Transitions,
		"events", w.state.Events, "log bytes", w.state.LogBytes, "relists", w.state.Relists)
	return err
}

// probe asks the API server whether it is ready and records the outages.
func (w *watcher) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := w.cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(pctx).Error()
	if ctx.Err() != nil {
		return
	}
	now := w.o.Now().UTC()
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.state.Outages)
	open := n > 0 && w.state.Outages[n-1].To.IsZero()
	switch {
	case err != nil && !open && n < 1000:
		w.state.Outages = append(w.state.Outages, bundle.Outage{From: now})
		w.o.Log.Warn("the API server does not answer; the informers will re-list when it is back", "err", err)
	case err == nil && open:
		w.state.Outages[n-1].To = now
		w.o.Log.Info("the API server answers again", "down", now.Sub(w.state.Outages[n-1].From).Round(time.Second))
	}
}

// loadPrevious resumes an earlier watch of the same bundle (a restarted watcher): its
// timeline keys, so nothing is recorded twice, and its events.
func (w *watcher) loadPrevious() error {
	// Read like any bundle file: what lies in the directory may not be what we wrote (a
	// FIFO, a symlink, a huge file) and must not hang or mislead the watcher.
	br, err := bundle.OpenReader(w.o.Dir)
	if err != nil {
		return nil
	}
	defer br.Close()
	if b, err := br.ReadFile(bundle.WatchTimeline, bundle.MaxJSON); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			var e timeline.Entry
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				w.seen[e.Key()] = true
				w.state.Transitions++
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", bundle.WatchTimeline, err)
	}
	b, err := br.ReadFile(bundle.WatchEvents, bundle.MaxJSON)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", bundle.WatchEvents, err)
	}
	if err == nil {
		var evs []events.Event
		if err := json.Unmarshal(b, &evs); err != nil {
			return fmt.Errorf("%s: %w", bundle.WatchEvents, err)
		}
		for _, e := range evs {
			w.events[e.UID] = e
		}
	}
	return nil
}

func (w *watcher) onWatchError(inf cache.SharedIndexInformer) {
	_ = inf.SetWatchErrorHandler(func(r *cache.Reflector, err error) {
		w.mu.Lock()
		w.state.Relists++
		w.mu.Unlock()
		cache.DefaultWatchErrorHandler(context.Background(), r, err)
	})
}

func (w *watcher) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.o.Log.Warn("watch", "err", msg)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.noteLocked(msg)
}

// noteLocked keeps an error for state.json (the first 100); w.mu is held.
func (w *watcher) noteLocked(msg string) {
	if len(w.state.Errors) < 100 {
		w.state.Errors = append(w.state.Errors, msg)
	}
}

// resolveCRDs maps each --crd to its resource.
func (w *watcher) resolveCRDs() ([]schema.GroupVersionResource, error) {
	if len(w.o.CRDs) == 0 {
		return nil, nil
	}
	dc, err := discovery.NewDiscoveryClientForConfig(w.o.Config)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	var out []schema.GroupVersionResource
	var bad []string
	for _, c := range w.o.CRDs {
		// plural.version.group, plural.group, plural, or a Kind.
		var gvr schema.GroupVersionResource
		var err error
		res, gr := schema.ParseResourceArg(c)
		if res != nil {
			gvr, err = mapper.ResourceFor(*res)
		}
		if res == nil || err != nil {
			gvr, err = mapper.ResourceFor(gr.WithVersion(""))
		}
		if err != nil {
			if mappings, merr := mapper.RESTMappings(schema.GroupKind{Kind: c}); merr == nil && len(mappings) > 0 {
				gvr, err = mappings[0].Resource, nil
			}
		}
		if err != nil {
			bad = append(bad, c)
			continue
		}
		out = append(out, gvr)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("--crd %s: no such resource type on the server (use plural.group or the Kind)", strings.Join(bad, ", "))
	}
	return out, nil
}

// record appends entries not seen before.
func (w *watcher) record(entries []timeline.Entry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range entries {
		k := e.Key()
		if w.seen[k] {
			continue
		}
		if len(w.seen) >= w.o.MaxEntries {
			w.noteLocked(fmt.Sprintf("timeline: more than %d entries; later ones were not recorded", w.o.MaxEntries))
			return
		}
		w.seen[k] = true
		b, _ := json.Marshal(e)
		w.timeline.Write(b)
		w.timeline.WriteByte('\n')
		w.state.Transitions++
	}
}

func podOf(obj any) *corev1.Pod {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	p, _ := obj.(*corev1.Pod)
	return p
}

func ref(p *corev1.Pod) string { return "Pod/" + p.Namespace + "/" + p.Name }

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
	if p.Annotations == nil {
		p = p.DeepCopy()
		p.Annotations = map[string]string{}
	} else {
		p = p.DeepCopy()
	}
	p.Annotations[bundle.DeletedAtAnnotation] = now.Format(time.RFC3339Nano)
	w.mu.Lock()
	w.state.Deleted++
	w.pods[p.Namespace+"/"+p.Name] = p
	prefix := p.Namespace + "/" + p.Name + "/"
	var stops []context.CancelFunc
	for k, stop := range w.followers {
		if strings.HasPrefix(k, prefix) {
			stops = append(stops, stop)
		}
	}
	w.mu.Unlock()
	w.savePod(p)
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
	o := u.GetKind() + "/" + u.GetName()
	if u.GetNamespace() != "" {
		o = u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
	}
	w.record([]timeline.Entry{{Time: w.o.Now().UTC(), Source: SourceWatch, Object: o, Message: "deleted"}})
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
func (w *watcher) follow(ctx context.Context, p *corev1.Pod) {
	if p.Annotations[bundle.DeletedAtAnnotation] != "" {
		return
	}
	for _, group := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range group {
			if cs.State.Running == nil && cs.State.Terminated == nil {
				continue
			}
			k := p.Namespace + "/" + p.Name + "/" + cs.Name + "/" + string(p.UID)
			w.mu.Lock()
			_, running := w.followers[k]
			if running {
				w.mu.Unlock()
				continue
			}
			fctx, stop := context.WithCancel(ctx)
			w.followers[k] = stop
			w.wg.Add(1)
			w.mu.Unlock()
			go func(ns, pod, ctr string) {
				defer w.wg.Done()
				w.followLog(fctx, ns, pod, ctr)
				// Done (the pod went away): a later version of the pod may start it again.
				w.mu.Lock()
				delete(w.followers, k)
				w.mu.Unlock()
			}(p.Namespace, p.Name, cs.Name)
		}
	}
}

// followLog streams a container's log into watch/logs, reconnecting (from the last
// timestamp it wrote, skipping what it has) whenever the stream ends, until the pod is
// gone or ctx is done.
func (w *watcher) followLog(ctx context.Context, ns, pod, ctr string) {
	path := filepath.Join(w.o.Dir, filepath.FromSlash(bundle.WatchLogPath(ns, pod, ctr)))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.errorf("log %s/%s/%s: %v", ns, pod, ctr, err)
		return
	}
	last, atLast, size := lastTimestamp(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.errorf("log %s/%s/%s: %v", ns, pod, ctr, err)
		return
	}
	defer f.Close()
	scrub := w.o.Redactor.NewLines()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		opts := &corev1.PodLogOptions{Container: ctr, Follow: true, Timestamps: true}
		if !last.IsZero() {
			t := metav1.NewTime(last)
			opts.SinceTime = &t
		}
		stream, err := w.cs.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
		w.o.Log.Debug("follow log", "pod", ns+"/"+pod, "container", ctr, "since", last, "err", err)
		if err != nil {
			if apierrors.IsNotFound(err) {
				if _, gerr := w.cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{}); apierrors.IsNotFound(gerr) {
					return // the pod is gone
				}
			}
			if !sleep(ctx, w.o.Resync) {
				return
			}
			continue
		}
		skip := atLast // lines at the last timestamp already written
		sc := bufio.NewScanner(stream)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			ts, _ := opactions.SplitTimestamp(line)
			if !ts.IsZero() && !last.IsZero() {
				if ts.Before(last) {
					continue
				}
				if ts.Equal(last) && skip > 0 {
					skip--
					continue
				}
			}
			if w.o.LogMaxBytes > 0 && size >= w.o.LogMaxBytes || w.o.LogTotalBytes > 0 && w.logBytes.Load() >= w.o.LogTotalBytes {
				continue // over the cap: keep reading (the stream must drain) but write nothing
			}
			// Each line reaches the file at once: a follow stream may not end for hours,
			// and a pod deleted meanwhile must not lose what it wrote.
			line = scrub.Line(line)
			n, _ := f.WriteString(line + "\n")
			size += int64(n)
			w.logBytes.Add(int64(n))
			if !ts.IsZero() {
				if ts.Equal(last) {
					atLast++
				} else {
					last, atLast = ts, 1
				}
			}
		}
		stream.Close()
		if !sleep(ctx, w.o.Resync) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// lastTimestamp reads the end of a log written earlier (a restarted watcher): its last
// timestamp, how many lines carry it, and its size.
func lastTimestamp(path string) (time.Time, int, int64) {
	// Not a regular file of ours (a FIFO, a symlink): nothing to resume from.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return time.Time{}, 0, 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return time.Time{}, 0, 0
	}
	start := max(0, st.Size()-64*1024)
	f.Seek(start, io.SeekStart)
	b, _ := io.ReadAll(f)
	var last time.Time
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		ts, _ := opactions.SplitTimestamp(l)
		if ts.IsZero() {
			continue
		}
		if ts.Equal(last) {
			n++
		} else if ts.After(last) {
			last, n = ts, 1
		}
	}
	return last, n, st.Size()
}
