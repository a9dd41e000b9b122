package query

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/traces"
)

func traceRun(t *testing.T) *Run {
	t.Helper()
	dir := t.TempDir()
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	child := func(span, parent string) []traces.Ref {
		return []traces.Ref{{RefType: "CHILD_OF", TraceID: id, SpanID: parent}}
	}
	doc := traces.Doc{Data: []traces.Trace{{TraceID: id,
		Processes: map[string]traces.Process{"p1": {ServiceName: "gateway"}, "p2": {ServiceName: "orders"}},
		Spans: []traces.Span{
			{TraceID: id, SpanID: "a", OperationName: "GET /api/orders", StartTime: 1_000_000, Duration: 30_000, ProcessID: "p1",
				Tags: []traces.KV{{Key: "error", Value: true}, {Key: "error.message", Value: "upstream 503 token=ghp_CaNaRy0123456789abcdefghijklmnopqrstuv"}}},
			{TraceID: id, SpanID: "c", OperationName: "SELECT orders", StartTime: 1_010_000, Duration: 5_000, ProcessID: "p2", References: child("c", "b")},
			{TraceID: id, SpanID: "b", OperationName: "ListOrders", StartTime: 1_005_000, Duration: 20_000, ProcessID: "p2", References: child("b", "a"),
				Tags: []traces.KV{{Key: "otel.status_code", Value: "ERROR"}, {Key: "otel.status_description", Value: "builder unavailable"}}},
		}}}}
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(dir, bundle.TracesJSON), b, 0o644); err != nil {
		t.Fatal(err)
	}
	br, err := bundle.OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	rd, _ := redact.New(nil)
	return New(&model.Report{}, br, rd, "test")
}

// trace by id draws the spans as a tree in start order, errors marked and scrubbed; by
// service, its error spans.
func TestTrace(t *testing.T) {
	run := traceRun(t)
	out, text, err := run.Trace("4BF92F3577B34DA6A3CE929D0E0E4736", "", Paging{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Spans) != 3 || out.Spans[0].Operation != "GET /api/orders" || out.Spans[1].Depth != 1 || out.Spans[2].Operation != "SELECT orders" || out.Spans[2].Depth != 2 {
		t.Errorf("tree: %+v", out.Spans)
	}
	if !strings.Contains(text, "! +0s 30ms gateway GET /api/orders: upstream 503") || !strings.Contains(text, "! +5ms 20ms   orders ListOrders: builder unavailable") || strings.Contains(text, "ghp_CaNaRy") {
		t.Errorf("trace text:\n%s", text)
	}
	out, text, err = run.Trace("", "orders", Paging{})
	if err != nil || len(out.Spans) != 1 || !strings.Contains(text, "ListOrders") || !strings.Contains(text, "builder unavailable") {
		t.Errorf("error spans of orders: %v %+v\n%s", err, out, text)
	}
	for _, bad := range [][2]string{{"", ""}, {"abc", "x"}, {"../../etc/passwd", ""}, {"0123456789abcdef0123456789abcdef", ""}} {
		if _, _, err := run.Trace(bad[0], bad[1], Paging{}); err == nil {
			t.Errorf("Trace(%q, %q) answered", bad[0], bad[1])
		}
	}
}
