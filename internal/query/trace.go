package query

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/traces"
)

// SpanLine is one span of a trace answer.
type SpanLine struct {
	Start     string `json:"start"`    // offset from the trace's first span
	Duration  string `json:"duration"` // of the span
	Depth     int    `json:"depth"`
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Error     bool   `json:"error,omitempty"`
	Message   string `json:"message,omitempty"` // an error span's error message tag
	TraceID   string `json:"traceID,omitempty"` // by service: the span's trace
	At        string `json:"at,omitempty"`      // by service: its time
}

// TraceAnswer is a trace's spans, or a service's error spans.
type TraceAnswer struct {
	TraceID string     `json:"traceID,omitempty"`
	Service string     `json:"service,omitempty"`
	Spans   []SpanLine `json:"spans"`
	Page
}

func (r *Run) traceDoc() (*traces.Doc, error) {
	if r.Bundle == nil {
		return nil, argErrorf("this run has no bundle files")
	}
	b, err := r.Bundle.ReadFile(bundle.TracesJSON, bundle.MaxJSON)
	if err != nil {
		return nil, argErrorf("no traces in this run (%s: %v)", bundle.TracesJSON, err)
	}
	var doc traces.Doc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", bundle.TracesJSON, err)
	}
	if r.Redactor != nil {
		doc.Redact(r.Redactor)
	}
	return &doc, nil
}

func errorMessage(s traces.Span) string {
	for _, t := range s.Tags {
		if t.Key == "error.message" || t.Key == "otel.status_description" || t.Key == "exception.message" {
			if v, ok := t.Value.(string); ok {
				return v
			}
		}
	}
	return ""
}

// Trace answers trace: a trace's spans by id (in start order, indented by depth), or
// the error spans of a service across the collected traces.
func (r *Run) Trace(id, service string, pg Paging) (*TraceAnswer, string, error) {
	if (id == "") == (service == "") {
		return nil, "", argErrorf("give id (a trace id) or service (a service name), one of them")
	}
	if id != "" && !traces.ValidID(id) {
		return nil, "", argErrorf("id %s is not a trace id (16 or 32 hex digits)", quote(id, 60))
	}
	doc, err := r.traceDoc()
	if err != nil {
		return nil, "", err
	}
	out := &TraceAnswer{TraceID: strings.ToLower(id), Service: one(service, 100), Spans: []SpanLine{}}
	var lines []SpanLine
	if id != "" {
		var tr *traces.Trace
		for i := range doc.Data {
			if strings.EqualFold(doc.Data[i].TraceID, id) {
				tr = &doc.Data[i]
			}
		}
		if tr == nil {
			return nil, "", argErrorf("no trace %s among the %d collected (summary and test_slice name the traces)", quote(id, 60), len(doc.Data))
		}
		lines = spanTree(*tr)
	} else {
		for _, tr := range doc.Data {
			for _, s := range tr.Spans {
				if tr.Processes[s.ProcessID].ServiceName != service || !s.IsError() {
					continue
				}
				lines = append(lines, SpanLine{At: time.UnixMicro(s.StartTime).UTC().Format(time.RFC3339Nano), Duration: (time.Duration(s.Duration) * time.Microsecond).String(),
					Service: one(service, 100), Operation: one(s.OperationName, 200), Error: true, Message: one(errorMessage(s), lineBytes), TraceID: one(tr.TraceID, 40)})
			}
		}
		sort.Slice(lines, func(i, j int) bool { return lines[i].At < lines[j].At })
	}
	p := newPager(pg.limit())
	if id != "" {
		p.head(fmt.Sprintf("Trace %s: %d spans (start offset, duration, service operation; ! marks an error):\n", out.TraceID, len(lines)))
	} else {
		p.head(fmt.Sprintf("Error spans of service %s: %d\n", quote(service, 100), len(lines)))
	}
	page, shown, err := items(p, pg, len(lines), func(i int) string { return lines[i].line() })
	if err != nil {
		return nil, "", err
	}
	out.Page = page
	for _, i := range shown {
		out.Spans = append(out.Spans, lines[i])
	}
	return out, p.String(), nil
}

func (s SpanLine) line() string {
	mark := " "
	if s.Error {
		mark = "!"
	}
	msg := ""
	if s.Message != "" {
		msg = ": " + s.Message
	}
	if s.TraceID != "" {
		return fmt.Sprintf("%s %s %s %s trace %s%s\n", mark, s.At, s.Duration, s.Operation, s.TraceID, msg)
	}
	return fmt.Sprintf("%s +%s %s %s%s %s%s\n", mark, s.Start, s.Duration, strings.Repeat("  ", min(s.Depth, 20)), s.Service, s.Operation, msg)
}

// spanTree orders a trace's spans depth first by start time.
func spanTree(tr traces.Trace) []SpanLine {
	children := map[string][]traces.Span{}
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	var roots []traces.Span
	t0 := int64(0)
	for i, s := range tr.Spans {
		if i == 0 || s.StartTime < t0 {
			t0 = s.StartTime
		}
		parent := ""
		for _, ref := range s.References {
			if ref.RefType == "CHILD_OF" && ids[ref.SpanID] {
				parent = ref.SpanID
			}
		}
		if parent == "" {
			roots = append(roots, s)
		} else {
			children[parent] = append(children[parent], s)
		}
	}
	byStart := func(ss []traces.Span) {
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].StartTime < ss[j].StartTime })
	}
	var out []SpanLine
	seen := map[string]bool{}
	var walk func(s traces.Span, depth int)
	walk = func(s traces.Span, depth int) {
		if seen[s.SpanID] || len(out) > 10000 {
			return
		}
		seen[s.SpanID] = true
		l := SpanLine{Start: (time.Duration(s.StartTime-t0) * time.Microsecond).String(), Duration: (time.Duration(s.Duration) * time.Microsecond).String(),
			Depth: depth, Service: one(tr.Processes[s.ProcessID].ServiceName, 100), Operation: one(s.OperationName, 200), Error: s.IsError()}
		if l.Error {
			l.Message = one(errorMessage(s), lineBytes)
		}
		out = append(out, l)
		kids := children[s.SpanID]
		byStart(kids)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	byStart(roots)
	for _, s := range roots {
		walk(s, 0)
	}
	return out
}
