package collect

import (
	"bytes"
	"context"

	eventsv1 "k8s.io/api/events/v1"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/kube"
)

// collectEvents lists core/v1 and events.k8s.io/v1 events, merges them and writes
// events.json and events.txt, sorted by time.
func (r *run) collectEvents(ctx context.Context) {
	rec := r.newRecord("events")
	defer rec.done()
	defer r.podEvents.done()
	var core, v1 []events.Event
	for _, ns := range r.namespaces() {
		items, err := pages(ctx, r.client.CoreV1().Events(ns).List, func(l *corev1.EventList) []corev1.Event { return l.Items })
		if err != nil {
			rec.errorf("%s", describeListError(resourceType{Resource: kube.Resource{GVR: eventsGVR("")}}, ns, err))
		} else {
			r.podEvents.add(ns, items)
		}
		for i := range items {
			core = append(core, events.FromCore(&items[i]))
		}
		newer, err := pages(ctx, r.client.EventsV1().Events(ns).List, func(l *eventsv1.EventList) []eventsv1.Event { return l.Items })
		if err != nil {
			rec.errorf("%s", describeListError(resourceType{Resource: kube.Resource{GVR: eventsGVR("events.k8s.io")}}, ns, err))
		}
		for i := range newer {
			v1 = append(v1, events.FromEventsV1(&newer[i]))
		}
	}
	all := r.keepEvents(events.Merge(core, v1))
	redactions := 0
	for i := range all {
		var n int
		all[i].Message, n = r.opts.Redactor.String(all[i].Message)
		redactions += n
	}
	rec.redacted("event-messages", redactions)
	r.events = all
	if all == nil {
		all = []events.Event{}
	}
	n, err := r.dir.WriteJSON(bundle.EventsJSON, all)
	if err != nil {
		rec.errorf("write %s: %v", bundle.EventsJSON, err)
	} else {
		rec.add(len(all), n, bundle.EventsJSON)
	}
	var buf bytes.Buffer
	_ = events.WriteTable(&buf, all)
	if n, err := r.dir.WriteFile(bundle.EventsText, buf.Bytes()); err != nil {
		rec.errorf("write %s: %v", bundle.EventsText, err)
	} else {
		rec.add(0, n, bundle.EventsText)
	}
}

// pages lists page by page (500 a page) until the last; an error keeps what came before.
func pages[L interface{ GetContinue() string }, T any](ctx context.Context, list func(context.Context, metav1.ListOptions) (L, error), items func(L) []T) ([]T, error) {
	var out []T
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := list(ctx, opts)
		if err != nil {
			return out, err
		}
		next := l.GetContinue()
		out = append(out, items(l)...)
		if opts.Continue = next; next == "" || ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
}

// keepEvents adds the events watch saw that the API server no longer has, and keeps
// those of --since and, with a selector, those about objects that were collected.
func (r *run) keepEvents(all []events.Event) []events.Event {
	if r.watch != nil {
		var seen []events.Event
		for _, e := range r.watch.events {
			if r.inScope(e.Namespace) {
				seen = append(seen, e)
			}
		}
		if before := len(all); len(seen) > 0 {
			all = mergeEvents(all, seen)
			r.log.Info("events kept from watch", "events", len(all)-before)
		}
	}
	keep := func(ok func(events.Event) bool) {
		kept := all[:0]
		for _, e := range all {
			if ok(e) {
				kept = append(kept, e)
			}
		}
		all = kept
	}
	if r.opts.Since > 0 {
		cutoff := r.manifest.StartedAt.Add(-r.opts.Since)
		keep(func(e events.Event) bool { return !e.LastSeen.Before(cutoff) })
	}
	if r.opts.Selector != "" {
		uids := r.res.uids()
		keep(func(e events.Event) bool { return uids[e.Object.UID] })
	}
	return all
}
