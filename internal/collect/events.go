package collect

import (
	"bytes"
	"context"

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
		opts := metav1.ListOptions{Limit: 500}
		var items []corev1.Event
		for {
			l, err := r.client.CoreV1().Events(ns).List(ctx, opts)
			if err != nil {
				rec.errorf("%s", describeListError(resourceType{Resource: kube.Resource{GVR: eventsGVR("")}}, ns, err))
				break
			}
			for i := range l.Items {
				core = append(core, events.FromCore(&l.Items[i]))
			}
			items = append(items, l.Items...)
			if opts.Continue = l.Continue; opts.Continue == "" {
				r.podEvents.add(ns, items)
				break
			}
		}
		opts = metav1.ListOptions{Limit: 500}
		for {
			l, err := r.client.EventsV1().Events(ns).List(ctx, opts)
			if err != nil {
				rec.errorf("%s", describeListError(resourceType{Resource: kube.Resource{GVR: eventsGVR("events.k8s.io")}}, ns, err))
				break
			}
			for i := range l.Items {
				v1 = append(v1, events.FromEventsV1(&l.Items[i]))
			}
			if opts.Continue = l.Continue; opts.Continue == "" {
				break
			}
		}
	}
	all := events.Merge(core, v1)
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
	if r.opts.Since > 0 {
		cutoff := r.manifest.StartedAt.Add(-r.opts.Since)
		kept := all[:0]
		for _, e := range all {
			if !e.LastSeen.Before(cutoff) {
				kept = append(kept, e)
			}
		}
		all = kept
	}
	if r.opts.Selector != "" {
		// With a selector, keep the events about objects that were collected.
		uids := r.res.uids()
		kept := all[:0]
		for _, e := range all {
			if uids[e.Object.UID] {
				kept = append(kept, e)
			}
		}
		all = kept
	}
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
