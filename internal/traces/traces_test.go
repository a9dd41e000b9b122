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

	// The same traces over each API: gRPC (jaeger-idl's QueryService client), HTTP
	// api_v3, and HTTP when the gRPC address does not answer (the problem kept).
	for _, v := range []struct {
		name     string
		o        traces.Options
		api      traces.API
		problems int
	}{
		{"gRPC", traces.Options{GRPCAddr: j.QueryGRPC}, traces.APIGRPC, 0},
		{"HTTP api_v3", traces.Options{BaseURL: j.QueryURL}, traces.APIv3, 0},
		{"gRPC down, HTTP", traces.Options{GRPCAddr: "127.0.0.1:1", BaseURL: j.QueryURL}, traces.APIv3, 1},
	} {
		t.Run(v.name, func(t *testing.T) {
			o := v.o
			o.Since, o.Until, o.Limit = base.Add(-time.Minute), time.Now().Add(time.Minute), 10
			res, err := traces.Fetch(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.API != v.api {
				t.Errorf("API = %s, want %s", res.API, v.api)
			}
			if strings.Join(res.Services, ",") != "db,gateway,orders,users" || len(res.Problems) != v.problems {
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
		})
	}

	// A limit of 1 per service still keeps the failing trace, though 12 newer ordinary
	// traces fill what the query returns.
	if err := jaegertest.SendOrdinary(j.OTLPHTTP, base, 12); err != nil {
		t.Fatal(err)
	}
	for _, o := range []traces.Options{{BaseURL: j.QueryURL}, {GRPCAddr: j.QueryGRPC}} {
		o.Services, o.Since, o.Limit = []string{"gateway"}, base.Add(-time.Minute), 1
		res, err := traces.Fetch(ctx, o)
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
			t.Errorf("%s, limit 1: %d traces (%d with errors), want the failing one plus 1", res.API, len(res.Doc.Data), errs)
		}
	}

	// Jaeger gone: an error for the caller to record as a gap, quickly.
	j.Stop()
	start := time.Now()
	_, err = traces.Fetch(ctx, traces.Options{BaseURL: j.QueryURL, GRPCAddr: j.QueryGRPC, Since: base})
	if err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("Jaeger stopped: err %v after %s", err, time.Since(start))
	}
}
