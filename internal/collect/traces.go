package collect

import (
	"context"
	"fmt"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/traces"
)

// TracesFile is the bundle path of the fetched traces.
const TracesFile = bundle.TracesJSON

// Jaeger is where the run's traces are and which to fetch.
type Jaeger struct {
	URL      string      // the query service, reachable directly
	Service  *ServiceRef // or in the cluster, through a port-forward collect opens itself
	Services []string    // empty: all but Jaeger's own
	Limit    int         // traces per service (traces with an error span are always kept)
}

// collectTraces fetches the run's traces from Jaeger into traces.json. Jaeger down or
// slow is a gap; nothing else is affected.
func (r *run) collectTraces(ctx context.Context) {
	j := r.opts.Jaeger
	if j == nil || (j.URL == "" && j.Service == nil) {
		return
	}
	rec := r.newRecord("traces")
	defer rec.done()
	base, closeFn, err := r.reach(ctx, j.URL, j.Service, "--jaeger-service")
	if err != nil {
		rec.fail(err)
		return
	}
	defer closeFn()
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
	res, err := traces.Fetch(ctx, traces.Options{BaseURL: base, Services: j.Services, Since: since, Until: until, Limit: j.Limit})
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
