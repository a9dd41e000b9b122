package model

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/timeline"
	"github.com/org/k8s-e2e-report/internal/traces"
)

// TracesFile is where collect writes the fetched traces (see package traces).
const TracesFile = bundle.TracesJSON

// TraceSummary summarises traces.json.
type TraceSummary struct {
	Traces        int             `json:"traces"`
	Spans         int             `json:"spans"`
	Services      []ServiceStat   `json:"services"`
	ErrorSpans    []findings.Span `json:"errorSpans,omitempty"`
	Slowest       []OperationStat `json:"slowest,omitempty"`
	CriticalPaths []CriticalPath  `json:"criticalPaths,omitempty"`
}

// ServiceStat counts a service's spans.
type ServiceStat struct {
	Name   string `json:"name"`
	Spans  int    `json:"spans"`
	Errors int    `json:"errors"`
}

// OperationStat is one operation's latency.
type OperationStat struct {
	Service   string        `json:"service"`
	Operation string        `json:"operation"`
	Count     int           `json:"count"`
	P50       time.Duration `json:"p50Ns"`
	P95       time.Duration `json:"p95Ns"`
	Max       time.Duration `json:"maxNs"`
}

// CriticalPath is the chain of spans that decided a trace's duration: from the root,
// each time the child that finished last.
type CriticalPath struct {
	TraceID string        `json:"traceID"`
	Why     string        `json:"why"` // "slowest" or "failing"
	Total   time.Duration `json:"totalNs"`
	Steps   []PathStep    `json:"steps"`
}

// PathStep is one span on a critical path.
type PathStep struct {
	Service   string        `json:"service"`
	Operation string        `json:"operation"`
	Duration  time.Duration `json:"durationNs"`
	Error     bool          `json:"error,omitempty"`
}

// loadTraces summarises traces.json if present; its root and error spans join the
// timeline.
func loadTraces(ctx context.Context, br *bundle.Reader, rd *redact.Redactor, gap func(string, error)) (*TraceSummary, []timeline.Entry, map[string]bool) {
	if _, err := br.Stat(TracesFile); err != nil {
		return nil, nil, nil
	}
	var doc traces.Doc
	if err := readJSON(br, TracesFile, &doc); err != nil {
		gap("render", fmt.Errorf("%s: %v", TracesFile, err))
		return nil, nil, nil
	}
	if ctx.Err() != nil {
		return nil, nil, nil
	}
	if rd != nil {
		doc.Redact(rd) // tags by their key names, before anything reads them
	}
	known := map[string]bool{}
	for _, t := range doc.Data {
		known[strings.ToLower(t.TraceID)] = true
	}
	s, entries := summarise(doc)
	return s, entries, known
}

// linkTraces links log lines and failed tests to the traces of traces.json they name
// (a trace ID in a log line, a test's message or output).
func (r *Report) linkTraces(known map[string]bool) {
	if len(known) == 0 {
		return
	}
	find := func(text string) []string {
		var out []string
		for _, id := range traces.IDsIn(text, 5) {
			if known[id] {
				out = append(out, id)
			}
		}
		return out
	}
	for i := range r.Logs {
		for j := range r.Logs[i].Lines {
			if ids := find(r.Logs[i].Lines[j].Text); len(ids) > 0 {
				r.Logs[i].Lines[j].TraceID = ids[0]
			}
		}
	}
	for i := range r.FailedTests {
		ft := &r.FailedTests[i]
		ft.Traces = find(ft.Case.Message + "\n" + ft.Case.Details)
		for j := range ft.LogLines {
			if ids := find(ft.LogLines[j].Text); len(ids) > 0 {
				ft.LogLines[j].TraceID = ids[0]
				if !slices.Contains(ft.Traces, ids[0]) {
					ft.Traces = append(ft.Traces, ids[0])
				}
			}
		}
	}
}

func summarise(doc traces.Doc) (*TraceSummary, []timeline.Entry) {
	s := &TraceSummary{Services: []ServiceStat{}}
	services := map[string]*ServiceStat{}
	ops := map[[2]string][]time.Duration{}
	var entries []timeline.Entry
	var errs []findings.Span
	type rooted struct {
		t        traces.Trace
		duration time.Duration
		failing  bool
	}
	var all []rooted
	for _, t := range doc.Data {
		s.Traces++
		var rootDur time.Duration
		var origins map[string]findings.Span
		if t.HasError() {
			origins = markOrigins(t)
		}
		for _, sp := range t.Spans {
			s.Spans++
			svc := t.Processes[sp.ProcessID].ServiceName
			st := services[svc]
			if st == nil {
				st = &ServiceStat{Name: svc}
				services[svc] = st
			}
			st.Spans++
			d := time.Duration(sp.Duration) * time.Microsecond
			ops[[2]string{svc, sp.OperationName}] = append(ops[[2]string{svc, sp.OperationName}], d)
			start := time.UnixMicro(sp.StartTime).UTC()
			if sp.IsError() {
				st.Errors++
				es := origins[sp.SpanID]
				errs = append(errs, es)
				entries = append(entries, timeline.Entry{Time: start, Source: "trace", Object: kube.Ref("Service", "", svc),
					Message: fmt.Sprintf("%s failed: %s (trace %s)", sp.OperationName, es.Message, short(t.TraceID)), Severity: "error"})
			}
			if len(sp.References) == 0 {
				rootDur = max(rootDur, d)
				entries = append(entries, timeline.Entry{Time: start, Source: "trace", Object: kube.Ref("Service", "", svc),
					Message: fmt.Sprintf("%s took %s (trace %s)", sp.OperationName, d.Round(time.Millisecond), short(t.TraceID))})
			}
		}
		all = append(all, rooted{t, rootDur, t.HasError()})
	}
	// At most 50 error spans, where errors started first: those are the findings.
	sort.SliceStable(errs, func(i, j int) bool { return !errs[i].Downstream && errs[j].Downstream })
	s.ErrorSpans = errs[:min(len(errs), 50)]
	s.Services, s.Slowest = serviceStats(services), slowest(ops)
	// Critical paths: the slowest trace's, and each failing one's (at most 10).
	sort.SliceStable(all, func(i, j int) bool { return all[i].duration > all[j].duration })
	if len(all) > 0 {
		s.CriticalPaths = append(s.CriticalPaths, criticalPath(all[0].t, "slowest"))
	}
	for _, r := range all {
		if r.failing && len(s.CriticalPaths) < 11 && (len(s.CriticalPaths) == 0 || r.t.TraceID != s.CriticalPaths[0].TraceID) {
			s.CriticalPaths = append(s.CriticalPaths, criticalPath(r.t, "failing"))
		}
	}
	return s, entries
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (p*len(sorted)+99)/100 - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func criticalPath(t traces.Trace, why string) CriticalPath {
	children := map[string][]traces.Span{}
	var root *traces.Span
	for i, sp := range t.Spans {
		if len(sp.References) == 0 {
			if root == nil || sp.Duration > root.Duration {
				root = &t.Spans[i]
			}
			continue
		}
		children[sp.References[0].SpanID] = append(children[sp.References[0].SpanID], sp)
	}
	cp := CriticalPath{TraceID: t.TraceID, Why: why}
	if root == nil {
		return cp
	}
	cp.Total = time.Duration(root.Duration) * time.Microsecond
	cur := *root
	for depth := 0; depth < 64; depth++ {
		cp.Steps = append(cp.Steps, PathStep{Service: t.Processes[cur.ProcessID].ServiceName, Operation: cur.OperationName,
			Duration: time.Duration(cur.Duration) * time.Microsecond, Error: cur.IsError()})
		kids := children[cur.SpanID]
		if len(kids) == 0 {
			break
		}
		last := kids[0]
		for _, k := range kids[1:] {
			if k.StartTime+k.Duration > last.StartTime+last.Duration {
				last = k
			}
		}
		cur = last
	}
	return cp
}

func errorMessage(sp traces.Span) string {
	msg := ""
	for _, tag := range sp.Tags {
		switch tag.Key {
		case "otel.status_description", "error.message", "exception.message":
			if msg == "" {
				msg = fmt.Sprint(tag.Value)
			}
		}
	}
	return msg
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// markOrigins tells, for each error span of a trace, whether the error started there or
// came up from a failed span below it (Downstream), and which failed spans above it it
// caused (Propagated). Spans are told apart by their IDs (a server span and its client
// child often share a name); a parent that is missing or that closes a cycle is no
// parent, so every failing trace has at least one span where its error started. The
// work is linear in the spans: each walk up stops where an earlier walk passed.
func markOrigins(t traces.Trace) map[string]findings.Span {
	parent := make(map[string]string, len(t.Spans))
	byID := make(map[string]*traces.Span, len(t.Spans))
	for i := range t.Spans {
		sp := &t.Spans[i]
		byID[sp.SpanID] = sp
	}
	for _, sp := range t.Spans {
		if len(sp.References) > 0 && sp.References[0].SpanID != sp.SpanID && byID[sp.References[0].SpanID] != nil {
			parent[sp.SpanID] = sp.References[0].SpanID
		}
	}
	breakCycles(parent)
	// below[id]: some span under id failed.
	below := map[string]bool{}
	for _, sp := range t.Spans {
		if !sp.IsError() {
			continue
		}
		for p := parent[sp.SpanID]; p != "" && !below[p]; p = parent[p] {
			below[p] = true
		}
	}
	out := map[string]findings.Span{}
	for _, sp := range t.Spans {
		if !sp.IsError() {
			continue
		}
		es := findings.Span{TraceID: t.TraceID, Service: t.Processes[sp.ProcessID].ServiceName, Operation: sp.OperationName,
			Message: errorMessage(sp), Time: time.UnixMicro(sp.StartTime).UTC(), Downstream: below[sp.SpanID]}
		if !es.Downstream {
			for p, steps := parent[sp.SpanID], 0; p != "" && len(es.Propagated) < 10 && steps < 10000; p, steps = parent[p], steps+1 {
				if a := byID[p]; a.IsError() {
					es.Propagated = append(es.Propagated, t.Processes[a.ProcessID].ServiceName+" "+a.OperationName)
				}
			}
		}
		out[sp.SpanID] = es
	}
	return out
}

// breakCycles removes the parent links that close a cycle, in place: each span is
// walked up once (colouring the path) and a walk that meets its own path cuts there.
func breakCycles(parent map[string]string) {
	const (
		onPath = 1
		done   = 2
	)
	state := make(map[string]uint8, len(parent))
	ids := make([]string, 0, len(parent))
	for id := range parent {
		ids = append(ids, id)
	}
	sort.Strings(ids) // which link is cut does not depend on map order
	var path []string
	for _, id := range ids {
		path = path[:0]
		cur := id
		for cur != "" && state[cur] == 0 {
			state[cur] = onPath
			path = append(path, cur)
			next := parent[cur]
			if next != "" && state[next] == onPath {
				delete(parent, cur) // cur -> next closes a cycle
				next = ""
			}
			cur = next
		}
		for _, p := range path {
			state[p] = done
		}
	}
}

// serviceStats are the services, those with the most errors first.
func serviceStats(services map[string]*ServiceStat) []ServiceStat {
	out := []ServiceStat{}
	for _, st := range services {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Errors != out[j].Errors {
			return out[i].Errors > out[j].Errors
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// slowest are the ten operations with the slowest span, with their percentiles.
func slowest(ops map[[2]string][]time.Duration) []OperationStat {
	var out []OperationStat
	for k, ds := range ops {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		out = append(out, OperationStat{Service: k[0], Operation: k[1], Count: len(ds),
			P50: percentile(ds, 50), P95: percentile(ds, 95), Max: ds[len(ds)-1]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Max != out[j].Max {
			return out[i].Max > out[j].Max
		}
		return out[i].Service+out[i].Operation < out[j].Service+out[j].Operation
	})
	out = out[:min(len(out), 10)]
	return out
}
