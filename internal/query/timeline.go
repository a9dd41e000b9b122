package query

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// Kinds are the kinds of timeline entry.
var Kinds = []string{"pod", "phase", "container", "event", "condition", "reconcile", "job", "test", "span", "watch"}

// TimelineQuery narrows timeline.
type TimelineQuery struct {
	From, To string   // RFC 3339; empty: the whole run
	Kinds    []string // empty: all
	Object   string   // a substring of Kind/namespace/name
	Severity string   // warning: warnings and errors; error: errors only
	Paging
}

// Timeline is a page of the run's timeline.
type Timeline struct {
	Entries []Entry `json:"entries"`
	Page
}

// entries is the run's timeline with its pods' phases and test cases, in time order.
func (r *Run) entries() []timeline.Entry {
	es := append(slices.Clone(r.Report.Timeline), r.Report.Phases...)
	if r.Report.Tests != nil {
		for _, c := range r.Report.Tests.Cases {
			if c.Start.IsZero() {
				continue
			}
			e := timeline.Entry{Time: c.Start.UTC(), End: c.End().UTC(), Source: "test", Object: kube.Ref("Test", "", c.Name), Reason: string(c.Status), Message: c.Name}
			if c.Status.Failing() {
				e.Severity = "error"
				if msg, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n"); msg != "" {
					e.Message += ": " + msg
				}
			}
			es = append(es, e)
		}
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Time.Before(es[j].Time) })
	return es
}

// Timeline answers timeline.
func (r *Run) Timeline(q TimelineQuery) (*Timeline, string, error) {
	var from, to time.Time
	for _, t := range []struct {
		s   string
		v   *time.Time
		arg string
	}{{q.From, &from, "from"}, {q.To, &to, "to"}} {
		if t.s == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.s)
		if err != nil {
			return nil, "", argErrorf("%s %s: want an RFC 3339 time such as 2026-11-21T23:38:15Z", t.arg, quote(t.s, 60))
		}
		*t.v = v
	}
	for _, k := range q.Kinds {
		if !slices.Contains(Kinds, k) {
			return nil, "", argErrorf("kind %s: want some of %s", quote(k, 40), strings.Join(Kinds, ", "))
		}
	}
	switch q.Severity {
	case "", "warning", "error":
	default:
		return nil, "", argErrorf("severity %s: want warning or error", quote(q.Severity, 40))
	}
	var match []Entry
	for _, e := range r.entries() {
		end := e.End
		if end.IsZero() {
			end = e.Time
		}
		if !from.IsZero() && end.Before(from) || !to.IsZero() && e.Time.After(to) {
			continue
		}
		if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, kindOf(e.Source)) {
			continue
		}
		if q.Severity == "error" && e.Severity != "error" || q.Severity == "warning" && e.Severity == "" {
			continue
		}
		if q.Object != "" && !strings.Contains(strings.ToLower(e.Object.String()), strings.ToLower(q.Object)) {
			continue
		}
		match = append(match, entryOf(e))
	}
	p := newPager(q.limit())
	p.head(fmt.Sprintf("%d timeline entries match (time kind [severity] object: what happened; times UTC):\n", len(match)))
	page, shown, err := items(p, q.Paging, len(match), func(i int) string { return match[i].line() })
	if err != nil {
		return nil, "", err
	}
	out := &Timeline{Entries: []Entry{}, Page: page}
	for _, i := range shown {
		out.Entries = append(out.Entries, match[i])
	}
	return out, p.String(), nil
}
