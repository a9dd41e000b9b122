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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// Options configure a watch.
type Options struct {
	Config *rest.Config
	// Kube and Dynamic are the clients to watch through; nil: made from Config.
	Kube          kubernetes.Interface
	Dynamic       dynamic.Interface
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
	o.Redactor = redact.OrDefault(o.Redactor)
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
	pods      map[string]*corev1.Pod     // ns/name -> last version
	deleted   map[string]bundle.Deletion // ns/name -> when watch saw the pod go
	followers map[string]context.CancelFunc
	selector  labels.Selector
	state     bundle.WatchStateFile
	logBytes  atomic.Int64
	wg        sync.WaitGroup
}

// Run watches until ctx is done, then writes its state and returns. onReady (if set)
// is called once every informer has listed.
func Run(ctx context.Context, o Options, onReady func()) error {
	w, err := newWatcher(o)
	if err != nil {
		return err
	}
	ictx, stopInformers := context.WithCancel(ctx)
	defer stopInformers()
	synced, namespaces, gvrs := w.startInformers(ictx)
	if cache.WaitForCacheSync(ctx.Done(), synced...) {
		w.flush()
		os.WriteFile(filepath.Join(w.o.Dir, filepath.FromSlash(bundle.WatchReady)), []byte(w.o.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o644)
		w.o.Log.Info("watching", "namespaces", strings.Join(namespaces, ","), "custom resource types", len(gvrs))
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
	return w.stop()
}

// newWatcher checks the options, makes the clients (unless given) and resumes from
// what an earlier watch of the same directory wrote.
func newWatcher(o Options) (*watcher, error) {
	o.defaults()
	cs, dyn := o.Kube, o.Dynamic
	if cs == nil || dyn == nil {
		if o.Config == nil {
			return nil, errors.New("watch: no cluster configuration")
		}
		var err error
		if cs, err = kubernetes.NewForConfig(o.Config); err != nil {
			return nil, err
		}
		if dyn, err = dynamic.NewForConfig(o.Config); err != nil {
			return nil, err
		}
	}
	w := &watcher{o: o, cs: cs, dyn: dyn, root: filepath.Join(o.Dir, bundle.WatchDir), seen: map[string]bool{},
		events: map[string]events.Event{}, pods: map[string]*corev1.Pod{}, deleted: map[string]bundle.Deletion{}, followers: map[string]context.CancelFunc{}}
	if o.Selector != "" {
		var err error
		if w.selector, err = labels.Parse(o.Selector); err != nil {
			return nil, fmt.Errorf("--selector %q: %w", o.Selector, err)
		}
	}
	w.state.StartedAt = o.Now().UTC()
	w.state.Namespaces = o.Namespaces
	if o.AllNamespaces {
		w.state.Namespaces = []string{""}
	}
	if err := os.MkdirAll(w.root, 0o755); err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(o.Dir, filepath.FromSlash(bundle.WatchReady)))
	if err := w.loadPrevious(); err != nil {
		o.Log.Warn("could not resume from an earlier watch", "err", err)
	}
	f, err := os.OpenFile(filepath.Join(o.Dir, filepath.FromSlash(bundle.WatchTimeline)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	w.tlFile, w.timeline = f, bufio.NewWriter(f)
	return w, nil
}

// startInformers starts the pod, event and custom resource informers of each namespace.
func (w *watcher) startInformers(ctx context.Context) (synced []cache.InformerSynced, namespaces []string, gvrs []schema.GroupVersionResource) {
	namespaces = w.o.Namespaces
	if w.o.AllNamespaces || len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	gvrs, err := w.resolveCRDs()
	if err != nil {
		w.errorf("%v", err)
	}
	for _, ns := range namespaces {
		f := informers.NewSharedInformerFactoryWithOptions(w.cs, 0, informers.WithNamespace(ns))
		pods := f.Core().V1().Pods().Informer()
		w.onWatchError(pods)
		pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.pod(ctx, nil, obj) },
			UpdateFunc: func(old, obj any) { w.pod(ctx, old, obj) },
			DeleteFunc: func(obj any) { w.podDeleted(obj) },
		})
		evs := f.Core().V1().Events().Informer()
		w.onWatchError(evs)
		evs.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.event(obj) },
			UpdateFunc: func(_, obj any) { w.event(obj) },
		})
		synced = append(synced, pods.HasSynced, evs.HasSynced)
		f.Start(ctx.Done())
		if len(gvrs) == 0 {
			continue
		}
		df := dynamicinformer.NewFilteredDynamicSharedInformerFactory(w.dyn, 0, ns, nil)
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
		df.Start(ctx.Done())
	}
	return synced, namespaces, gvrs
}

// stop ends the log followers, flushes and writes the watcher's state.
func (w *watcher) stop() error {
	w.mu.Lock()
	for _, stop := range w.followers {
		stop()
	}
	w.mu.Unlock()
	w.wg.Wait()
	w.flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.state.StoppedAt = w.o.Now().UTC()
	w.state.LogBytes = w.logBytes.Load()
	err := w.timeline.Flush()
	w.tlFile.Close()
	if werr := w.writeJSON(bundle.WatchState, w.state); err == nil {
		err = werr
	}
	w.o.Log.Info("watch stopped", "pods", w.state.Pods, "deleted", w.state.Deleted, "transitions", w.state.Transitions,
		"events", w.state.Events, "log bytes", w.state.LogBytes, "relists", w.state.Relists)
	return err
}

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
