package collect

import (
	"os"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// collectOperatorActions parses the operator pods' logs already in the bundle.
func (r *run) collectOperatorActions() {
	rec := r.newRecord("operator-actions")
	defer rec.done()
	var sel labels.Selector
	if r.opts.OperatorSelector != "" {
		s, err := labels.Parse(r.opts.OperatorSelector)
		if err != nil {
			rec.fail(err)
			return
		}
		sel = s
	}
	r.manifest.Operator = &bundle.OperatorConfig{Selector: r.opts.OperatorSelector, Fields: r.opts.OperatorFields}
	pods := opactions.Pods(r.res.pods(), sel)
	p := &opactions.Parser{Fields: r.opts.OperatorFields, Year: r.manifest.StartedAt.Year()}
	actions := []opactions.Action{}
	for _, t := range logTargets(pods, r.res.isGone) {
		rel := bundle.LogPath(t.pod.Namespace, t.pod.Name, t.container, t.previous)
		f, err := os.Open(r.dir.Path(rel))
		if err != nil {
			continue // the logs collector recorded why
		}
		got, err := p.ParseReader(f, opactions.Action{Namespace: t.pod.Namespace, Pod: t.pod.Name, Container: t.container, Previous: t.previous})
		f.Close()
		if err != nil {
			rec.errorf("parse %s: %v", rel, err)
		}
		actions = append(actions, got...)
	}
	sort.SliceStable(actions, func(i, j int) bool { return actions[i].Time.Before(actions[j].Time) })
	r.actions = actions
	if len(pods) == 0 {
		rec.skip("no operator pods found (set --operator-selector)")
	}
	n, err := r.dir.WriteJSON(bundle.OperatorActionsJSON, actions)
	if err != nil {
		rec.errorf("write %s: %v", bundle.OperatorActionsJSON, err)
		return
	}
	rec.add(len(actions), n, bundle.OperatorActionsJSON)
}

// writeTimeline writes what watch observed (observed.json), and everything timed merged
// into timeline.txt and timeline.json for people reading the bundle.
func (r *run) writeTimeline() {
	rec := r.newRecord("timeline")
	defer rec.done()
	var b timeline.Builder
	b.Events(r.events)
	b.Pods(r.res.pods())
	b.Jobs(r.res.jobs())
	var conds []unstructured.Unstructured
	for _, t := range r.res.types {
		if t.GVR == podsGVR || t.GVR == jobsGVR {
			continue
		}
		conds = append(conds, r.res.objects(t.GVR)...)
	}
	b.Conditions(conds)
	b.Operator(r.actions)
	entries := b.Entries()
	// What watch saw is a fact of its own (observed.json): the model derives the rest of
	// the timeline itself, with its own rules. timeline.txt and .json are for people.
	observed := []timeline.Entry{}
	if r.watch != nil {
		observed = append(observed, r.watch.timeline...)
		entries = timeline.Merge(entries, r.watch.timeline) // observed entries; the same fact once
	}
	if n, err := r.dir.WriteJSON(bundle.ObservedJSON, observed); err != nil {
		rec.errorf("write %s: %v", bundle.ObservedJSON, err)
	} else {
		rec.add(0, n, bundle.ObservedJSON)
	}
	var sb strings.Builder
	_ = timeline.Write(&sb, entries)
	n, err := r.dir.WriteFile(bundle.TimelineText, []byte(sb.String()))
	if err != nil {
		rec.errorf("write %s: %v", bundle.TimelineText, err)
		return
	}
	if entries == nil {
		entries = []timeline.Entry{}
	}
	nj, err := r.dir.WriteJSON(bundle.TimelineJSON, entries)
	if err != nil {
		rec.errorf("write %s: %v", bundle.TimelineJSON, err)
	}
	rec.add(len(entries), n+nj, bundle.TimelineText, bundle.TimelineJSON)
}
