package traces_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/traces"
	"github.com/org/k8s-e2e-report/internal/traces/jaegertest"
)

func TestIntegrationFetchFromRealJaeger(t *testing.T) {
	ctx := context.Background()
	j, err := jaegertest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Stop()
	base := time.Now().Add(-5 * time.Minute).Truncate(time.Millisecond)
	if err := jaegertest.Send(j.OTLPHTTP, base); err != nil {
		t.Fatal(err)
	}

	res, err := traces.Fetch(ctx, traces.Options{BaseURL: j.QueryURL, Since: base.Add(-time.Minute), Until: time.Now().Add(time.Minute), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.API != traces.APIv3 {
		t.Errorf("API = %s, want api_v3", res.API)
	}
	if strings.Join(res.Services, ",") != "db,gateway,orders,users" || len(res.Problems) != 0 {
		t.Errorf("services %v (Jaeger's own must be left out), problems %v", res.Services, res.Problems)
	}
	if len(res.Doc.Data) != 4 {
		t.Fatalf("%d traces, want 4 (each once, though it spans services)", len(res.Doc.Data))
	}
	var failing *traces.Trace
	for i, tr := range res.Doc.Data {
		if tr.HasError() {
			failing = &res.Doc.Data[i]
		}
	}
	if failing == nil || len(failing.Spans) != 3 {
		t.Fatalf("the failing trace: %+v", failing)
	}
	var dbSpan traces.Span
	for _, s := range failing.Spans {
		if s.OperationName == "SELECT orders" {
			dbSpan = s
		}
	}
	if failing.Processes[dbSpan.ProcessID].ServiceName != "db" || !dbSpan.IsError() || dbSpan.Duration != 40000 || len(dbSpan.References) != 1 {
		t.Errorf("db span = %+v", dbSpan)
	}
	found := false
	for _, tag := range dbSpan.Tags {
		found = found || tag.Key == "otel.status_description" && tag.Value == "connection refused: db-0.db:5432"
	}
	if !found {
		t.Errorf("db span tags lack the status message: %+v", dbSpan.Tags)
	}

	// A limit of 1 per service still keeps the failing trace, though 12 newer ordinary
	// traces fill what the query returns.
	if err := jaegertest.SendOrdinary(j.OTLPHTTP, base, 12); err != nil {
		t.Fatal(err)
	}
	res, err = traces.Fetch(ctx, traces.Options{BaseURL: j.QueryURL, Services: []string{"gateway"}, Since: base.Add(-time.Minute), Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	errs := 0
	for _, tr := range res.Doc.Data {
		if tr.HasError() {
			errs++
		}
	}
	if len(res.Doc.Data) != 2 || errs != 1 {
		t.Errorf("limit 1: %d traces (%d with errors), want the failing one plus 1", len(res.Doc.Data), errs)
	}

	// Jaeger gone: an error for the caller to record as a gap, quickly.
	j.Stop()
	start := time.Now()
	_, err = traces.Fetch(ctx, traces.Options{BaseURL: j.QueryURL, Since: base})
	if err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("Jaeger stopped: err %v after %s", err, time.Since(start))
	}
}
