package model

import (
	"context"
	"reflect"
	"sync"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// Redact scrubs every string of the report in place: test names, messages and output,
// log lines, events, conditions, spans, metrics, gaps, shard names — whatever a bundle,
// a results file or a shard's report.json put there. Collect scrubs what it writes, but a
// report may be rendered from anyone's bundle and from test output collect never saw.
func (r *Report) Redact(rd *redact.Redactor) { r.redact(rd, true) }

// redact is Redact, with or without the log tails (Load scrubs them as streams).
func (r *Report) redact(rd *redact.Redactor, logs bool) {
	r.redactBut(rd, logs, nil)
}

// redactBut is redact but for the named fields, which the load scrubbed as it read them.
func (r *Report) redactBut(rd *redact.Redactor, logs bool, done map[string]bool) {
	// The log tails, most of the strings, are scrubbed beside everything else.
	v := reflect.ValueOf(r).Elem()
	var wg sync.WaitGroup
	if logs {
		wg.Go(func() {
			for i := range r.Logs {
				r.Logs[i].scrub(rd)
			}
		})
	}
	sc := newScrubber(rd)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Type().Field(i); f.IsExported() && f.Name != "Logs" && !done[f.Name] {
			scrub(v.Field(i), sc)
		}
	}
	wg.Wait()
}

// scrubLines scrubs consecutive lines of one log as a stream (a private key spans
// lines), in place. A nil redactor leaves them.
func scrubLines(rd *redact.Redactor, lines []string) []string {
	if rd == nil || len(lines) == 0 {
		return lines
	}
	return rd.NewLines().Block(lines)
}

// scrubLogLines scrubs log lines' texts as one stream, in place.
func scrubLogLines(rd *redact.Redactor, ls []LogLine) {
	texts := make([]string, len(ls))
	for i, l := range ls {
		texts[i] = l.Text
	}
	scrubLines(rd, texts)
	for i := range ls {
		ls[i].Text = texts[i]
	}
}

// scrub scrubs a tail's lines as one stream, and its other strings.
func (t *LogTail) scrub(rd *redact.Redactor) {
	scrubLogLines(rd, t.Lines)
	lines := t.Lines
	t.Lines = nil
	scrub(reflect.ValueOf(t).Elem(), newScrubber(rd))
	t.Lines = lines
}

// inputParts are the detectors' input as the two read chains fill it: the objects, and
// the records (events, operator actions, tests, metrics, spans, pages). Every field but
// the log reader and the file namer is in one (a test checks).
func inputParts(in *findings.Input) (objects, records []any) {
	return []any{&in.Pods, &in.ReplicaSets, &in.Deployments, &in.Jobs, &in.PVCs, &in.Namespaces, &in.StatefulSets, &in.DaemonSets, &in.Services, &in.Ingresses, &in.MutatingWebhooks, &in.ValidatingWebhooks, &in.Objects, &in.PDBs, &in.Secrets},
		[]any{&in.Events, &in.Actions, &in.Tests, &in.Sources, &in.Metrics, &in.ErrorSpans, &in.Pages, &in.Collected}
}

// scrubAll scrubs every string the pointed-to values hold.
func scrubAll(rd *redact.Redactor, ptrs ...any) {
	sc := newScrubber(rd)
	for _, p := range ptrs {
		scrub(reflect.ValueOf(p).Elem(), sc)
	}
}

// scrubber redacts the strings of one pass, remembering short ones: a report repeats
// the same texts thousands of times (10,000 events with 3 messages, every object's
// namespace), and the same text always redacts the same way.
type scrubber struct {
	rd   *redact.Redactor
	memo map[string]string
}

// maxMemo is the longest string remembered.
const maxMemo = 1024

func newScrubber(rd *redact.Redactor) *scrubber {
	return &scrubber{rd: rd, memo: map[string]string{}}
}

// String is rd.String, remembered: the redacted text and whether it changed.
func (sc *scrubber) String(s string) (string, bool) {
	if len(s) > maxMemo {
		out, n := sc.rd.String(s)
		return out, n > 0
	}
	if out, ok := sc.memo[s]; ok {
		return out, out != s
	}
	out, _ := sc.rd.String(s)
	sc.memo[s] = out
	return out, out != s
}

func scrub(v reflect.Value, rd *scrubber) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() && v.Len() > 0 {
			if s, changed := rd.String(v.String()); changed {
				v.SetString(s)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface {
				// Values in interfaces cannot be set in place: scrub a copy and put it back.
				if e.Kind() == reflect.String {
					if s, changed := rd.String(e.String()); changed && v.CanSet() {
						v.Set(reflect.ValueOf(s))
					}
					return
				}
				if e.Kind() == reflect.Map || e.Kind() == reflect.Slice {
					scrub(e, rd)
				}
				return
			}
			scrub(e, rd)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scrub(v.Field(i), rd)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // image bytes
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String && v.Len() > 1 {
			// Lines (a finding's evidence, a shard's): one stream, since a private key
			// spans them.
			lines := make([]string, v.Len())
			for i := range lines {
				lines[i] = v.Index(i).String()
			}
			scrubLines(rd.rd, lines)
			for i := range lines {
				if v.Index(i).CanSet() && v.Index(i).String() != lines[i] {
					v.Index(i).Set(reflect.ValueOf(lines[i]).Convert(v.Type().Elem()))
				}
			}
		}
		if v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(LogLine{}) && v.Len() > 1 {
			scrubLogLines(rd.rd, v.Interface().([]LogLine))
		}
		for i := 0; i < v.Len(); i++ {
			scrub(v.Index(i), rd)
		}
	case reflect.Map:
		scrubMap(v, rd)
	}
}

// scrubMap scrubs a map's keys and values in place (a key that holds a secret is
// replaced by its masked form).
func scrubMap(v reflect.Value, rd *scrubber) {
	if v.IsNil() {
		return
	}
	iter := v.MapRange()
	type kv struct{ k, v reflect.Value }
	var changed []kv
	var removed []reflect.Value
	for iter.Next() {
		k, val := iter.Key(), iter.Value()
		nk := k
		if k.Kind() == reflect.String {
			if s, changed := rd.String(k.String()); changed {
				nk = reflect.ValueOf(s).Convert(k.Type())
				removed = append(removed, k)
			}
		}
		nv := reflect.New(val.Type()).Elem()
		nv.Set(val)
		scrub(nv, rd)
		changed = append(changed, kv{nk, nv})
	}
	for _, k := range removed {
		v.SetMapIndex(k, reflect.Value{})
	}
	for _, c := range changed {
		v.SetMapIndex(c.k, c.v)
	}
}

// scrubObjects and scrubRecords: what the detectors read is scrubbed as it enters the
// model, before findings split anything into evidence lines (a private key in a test's
// output is one secret, not a BEGIN line and a body): objects by their key names (a CR's
// spec.password) and every text whole. Each read chain scrubs what it read.
func (l *loader) scrubObjects(context.Context) error {
	if l.o.Redactor == nil {
		return nil
	}
	for i := range l.conds {
		l.o.Redactor.Object(l.conds[i].Object)
	}
	objects, _ := inputParts(l.in)
	for _, p := range objects {
		if p != any(&l.in.Pods) { // the pods: scrubPods
			scrubAll(l.o.Redactor, p)
		}
	}
	return nil
}

// scrubPods scrubs the pods, once their logs are read.
func (l *loader) scrubPods(context.Context) error {
	if l.o.Redactor != nil {
		scrubAll(l.o.Redactor, &l.in.Pods)
	}
	return nil
}

// scrubRecords: the events, operator actions, test results (in.Tests is r.Tests.Cases),
// metrics, error spans and pages, and the timeline.
func (l *loader) scrubRecords(context.Context) error {
	if l.o.Redactor == nil {
		return nil
	}
	_, records := inputParts(l.in)
	for _, p := range append(records, &l.observed) {
		if p == any(&l.in.Actions) && l.parsesActions() {
			continue // parsed, and scrubbed, by the other chain
		}
		scrubAll(l.o.Redactor, p)
	}
	return nil
}
