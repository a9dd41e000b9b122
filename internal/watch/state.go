package watch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/timeline"
	"k8s.io/client-go/tools/cache"
)

// probe asks the API server whether it is ready and records the outages.
func (w *watcher) probe(ctx context.Context) {
	rc := w.cs.Discovery().RESTClient()
	if rc == nil || reflect.ValueOf(rc).IsNil() {
		return // a client without a REST endpoint (a fake): nothing to probe
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := rc.Get().AbsPath("/readyz").Do(pctx).Error()
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
	var deletions []bundle.Deletion
	if err := readJSONFile(br, bundle.WatchDeleted, &deletions); err != nil {
		return err
	}
	for _, d := range deletions {
		w.deleted[d.Namespace+"/"+d.Name] = d
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

// readJSONFile reads a JSON file of the bundle into v; a missing file leaves v as it is.
func readJSONFile(br *bundle.Reader, rel string, v any) error {
	b, err := br.ReadFile(rel, bundle.MaxJSON)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	return nil
}
