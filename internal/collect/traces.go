package collect

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/traces"
)

// TracesFile is the bundle path of the fetched traces.
const TracesFile = bundle.TracesJSON

// Jaeger is where the run's traces are and which to fetch.
type Jaeger struct {
	URL     string      // the query service, reachable directly
	Service *ServiceRef // or in the cluster, through a port-forward collect opens itself
	// GRPCAddr (host:port) or GRPCService: its gRPC API, tried before the HTTP ones.
	GRPCAddr    string
	GRPCService *ServiceRef
	Services    []string // empty: all but Jaeger's own
	Limit       int      // traces per service (traces with an error span are always kept)
}

// collectTraces fetches the run's traces from Jaeger into traces.json. Jaeger down or
// slow is a gap; nothing else is affected.
func (r *run) collectTraces(ctx context.Context) {
	j := r.opts.Jaeger
	if j == nil || (j.URL == "" && j.Service == nil && j.GRPCAddr == "" && j.GRPCService == nil) {
		return
	}
	rec := r.newRecord("traces")
	defer rec.done()
	var base, grpcAddr string
	if j.URL != "" || j.Service != nil {
		u, closeFn, err := r.reach(ctx, j.URL, j.Service, "--jaeger-service")
		if err != nil {
			rec.fail(err)
			return
		}
		defer closeFn()
		base = u
	}
	if j.GRPCAddr != "" || j.GRPCService != nil {
		u, closeFn, err := r.reach(ctx, j.GRPCAddr, j.GRPCService, "--jaeger-grpc-service")
		switch {
		case err != nil && base == "":
			rec.fail(err)
			return
		case err != nil:
			rec.errorf("traces: %v; reading over HTTP", err)
		default:
			defer closeFn()
			grpcAddr = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
		}
	}
	// The run's window: --since, else from the earliest pod start, else the last hour.
	until := r.opts.Now()
	since := until.Add(-time.Hour)
	if r.opts.Since > 0 {
		since = until.Add(-r.opts.Since)
	} else if t := r.earliestPodStart(); !t.IsZero() {
		since = t.Add(-time.Minute)
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.CollectorTimeout)
	defer cancel()
	res, err := traces.Fetch(ctx, traces.Options{BaseURL: base, GRPCAddr: grpcAddr, Services: j.Services, Since: since, Until: until, Limit: j.Limit})
	if err != nil {
		rec.fail(fmt.Errorf("traces: %w", err))
		return
	}
	for _, p := range res.Problems {
		rec.errorf("traces: %s", p)
	}
	// Span names, span tags and process tags are untrusted text like any log.
	res.Doc.Redact(r.opts.Redactor)
	n, err := r.dir.WriteJSON(TracesFile, res.Doc)
	if err != nil {
		rec.errorf("write %s: %v", TracesFile, err)
		return
	}
	rec.add(len(res.Doc.Data), n, TracesFile)
	r.log.Info("traces", "api", res.API, "services", len(res.Services), "traces", len(res.Doc.Data))
}

// earliestPodStart is when the first pod of the namespaces started.
func (r *run) earliestPodStart() time.Time {
	var first time.Time
	if r.res == nil {
		return first
	}
	for _, p := range r.res.pods() {
		if t := p.Status.StartTime; t != nil && (first.IsZero() || t.Time.Before(first)) {
			first = t.Time
		}
	}
	return first
}
