// Package traces fetches the traces of a run from Jaeger's query service and keeps them
// in one documented format, traces.json: the Jaeger UI API's
// ({"data": [{traceID, spans, processes}]}), which Jaeger's own UI and tools read too.
//
// The query API is tried in this order: Jaeger's QueryService over gRPC (api_v2, with
// jaeger-idl's generated client) when its address is given; api_v3 over HTTP
// (/api/v3/services and /api/v3/traces, whose results are OTLP TracesData, decoded with
// go.opentelemetry.io/proto/otlp); then the legacy UI endpoints (/api/services,
// /api/traces) as the last resort. api_v3 cannot filter by tag, so over HTTP the failed
// traces (error=true) are also asked of the legacy endpoint when it answers.
package traces

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Doc is traces.json.
type Doc struct {
	Data []Trace `json:"data"`
}

// Trace is one trace in the Jaeger UI format.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is one span; times are in microseconds.
type Span struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []Ref  `json:"references"`
	StartTime     int64  `json:"startTime"`
	Duration      int64  `json:"duration"`
	Tags          []KV   `json:"tags"`
	ProcessID     string `json:"processID"`
}

// Ref links a span to its parent.
type Ref struct {
	RefType string `json:"refType"` // CHILD_OF or FOLLOWS_FROM
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KV is a tag.
type KV struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Process is a span's service.
type Process struct {
	ServiceName string `json:"serviceName"`
	Tags        []KV   `json:"tags"`
}

// IsError reports whether a span failed: error=true, or an OpenTelemetry ERROR status.
func (s Span) IsError() bool {
	for _, t := range s.Tags {
		switch t.Key {
		case "error":
			if t.Value == true || t.Value == "true" {
				return true
			}
		case "otel.status_code":
			if t.Value == "ERROR" {
				return true
			}
		}
	}
	return false
}

// HasError reports whether any span of the trace failed.
func (t Trace) HasError() bool {
	for _, s := range t.Spans {
		if s.IsError() {
			return true
		}
	}
	return false
}

// Options for Fetch.
type Options struct {
	BaseURL  string   // the query service, e.g. http://127.0.0.1:16686 (or a port-forward's local end)
	GRPCAddr string   // its gRPC port, host:port (e.g. 127.0.0.1:16685): tried first when given
	Services []string // empty: every service Jaeger knows, except Jaeger's own
	Since    time.Time
	Until    time.Time
	Limit    int // traces per service; traces with an error span are kept beyond it
	Client   *http.Client
}

// API names the query API that answered.
type API string

const (
	APIv3     API = "api_v3"
	APILegacy API = "legacy /api/traces"
)

// Result is what Fetch got: the traces, the API used, and per-service problems.
type Result struct {
	Doc      Doc
	API      API
	Services []string
	Problems []string // one per service that could not be fetched
}

// Fetch lists the services and fetches each one's traces in the window: over gRPC
// when GRPCAddr is given (falling back to the HTTP APIs at BaseURL, if any, with the
// gRPC error kept as a problem), else over HTTP.
func Fetch(ctx context.Context, o Options) (*Result, error) {
	if o.Limit <= 0 {
		o.Limit = 20
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Until.IsZero() {
		o.Until = time.Now()
	}
	if o.Since.IsZero() {
		o.Since = o.Until.Add(-time.Hour)
	}
	if o.GRPCAddr != "" {
		conn, q, err := dialGRPC(o.GRPCAddr)
		if err == nil {
			defer conn.Close()
			var res *Result
			if res, err = fetchFrom(ctx, o, grpcSource(q, o)); err == nil {
				return res, nil
			}
			err = fmt.Errorf("Jaeger query gRPC at %s: %w", o.GRPCAddr, err)
		}
		if o.BaseURL == "" {
			return nil, err
		}
		res, herr := fetchFrom(ctx, o, httpSource(o))
		if herr != nil {
			return nil, errors.Join(err, herr)
		}
		res.Problems = append([]string{err.Error() + "; read over HTTP instead"}, res.Problems...)
		return res, nil
	}
	return fetchFrom(ctx, o, httpSource(o))
}

// source is one way to read Jaeger: its service list, a service's traces, and (when it
// can filter by tag) a service's failed traces.
type source struct {
	api      func() API
	services func(ctx context.Context) ([]string, error)
	traces   func(ctx context.Context, svc string, limit int) ([]Trace, error)
	failed   func(ctx context.Context, svc string) ([]Trace, error) // nil: cannot filter
}

func grpcSource(q grpcQuery, o Options) source {
	return source{
		api:      func() API { return APIGRPC },
		services: func(ctx context.Context) ([]string, error) { return grpcServices(ctx, q) },
		traces: func(ctx context.Context, svc string, limit int) ([]Trace, error) {
			return grpcTraces(ctx, q, svc, o.Since, o.Until, limit, nil)
		},
		failed: func(ctx context.Context, svc string) ([]Trace, error) {
			return grpcTraces(ctx, q, svc, o.Since, o.Until, 200, map[string]string{"error": "true"})
		},
	}
}

// httpSource is api_v3 over HTTP, else the legacy UI API; api_v3 cannot filter by tag,
// so the failed traces are asked of the legacy endpoint (best effort).
func httpSource(o Options) source {
	base := strings.TrimSuffix(o.BaseURL, "/")
	api := APIv3
	return source{
		api: func() API { return api },
		services: func(ctx context.Context) ([]string, error) {
			var list []string
			var err error
			list, api, err = listServices(ctx, o.Client, base)
			return list, err
		},
		traces: func(ctx context.Context, svc string, limit int) ([]Trace, error) {
			if api == APIv3 {
				return fetchV3(ctx, o.Client, base, svc, o.Since, o.Until, limit)
			}
			return fetchLegacy(ctx, o.Client, base, svc, o.Since, o.Until, limit)
		},
		failed: func(ctx context.Context, svc string) ([]Trace, error) {
			if api != APIv3 {
				return nil, nil // the legacy listing has them already
			}
			return fetchLegacyTagged(ctx, o.Client, base, svc, o.Since, o.Until, 200, `{"error":"true"}`)
		},
	}
}

func fetchFrom(ctx context.Context, o Options, src source) (*Result, error) {
	res := &Result{}
	listed, err := src.services(ctx)
	if err != nil {
		return nil, err
	}
	services := o.Services
	if len(services) == 0 {
		services = listed
	}
	res.API = src.api()
	services = append([]string(nil), services...)
	sort.Strings(services)
	res.Services = services
	seen := map[string]bool{}
	for _, svc := range services {
		fetch := min(o.Limit*4, 1500) // room for the traces with errors, kept whatever the limit
		traces, err := src.traces(ctx, svc, fetch)
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("service %s: %v", svc, err))
			continue
		}
		if failed, err := src.failed(ctx, svc); err == nil {
			traces = append(failed, traces...)
		}
		sort.SliceStable(traces, func(i, j int) bool { return traces[i].HasError() && !traces[j].HasError() })
		kept := 0
		for _, t := range traces {
			if seen[t.TraceID] {
				continue
			}
			if !t.HasError() {
				if kept >= o.Limit {
					continue
				}
				kept++
			}
			seen[t.TraceID] = true
			res.Doc.Data = append(res.Doc.Data, t)
		}
	}
	if res.Doc.Data == nil {
		res.Doc.Data = []Trace{}
	}
	return res, nil
}

// own reports Jaeger's own services (it traces itself).
func own(s string) bool { return strings.HasPrefix(s, "jaeger") }

func listServices(ctx context.Context, c *http.Client, base string) ([]string, API, error) {
	var v3 struct {
		Services []string `json:"services"`
	}
	err := getJSON(ctx, c, base+"/api/v3/services", &v3)
	api := APIv3
	list := v3.Services
	if err != nil {
		var legacy struct {
			Data []string `json:"data"`
		}
		if lerr := getJSON(ctx, c, base+"/api/services", &legacy); lerr != nil {
			return nil, "", fmt.Errorf("Jaeger query service at %s: %w (legacy API: %v)", base, err, lerr)
		}
		api, list = APILegacy, legacy.Data
	}
	var out []string
	for _, s := range list {
		if !own(s) {
			out = append(out, s)
		}
	}
	return out, api, nil
}

// errNotFound is a 404, which is how an API that does not exist answers.
var errNotFound = errors.New("not found")

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s: %w", u, errNotFound)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s: HTTP %d: %.200s", u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	return nil
}

func fetchLegacy(ctx context.Context, c *http.Client, base, svc string, since, until time.Time, limit int) ([]Trace, error) {
	return fetchLegacyTagged(ctx, c, base, svc, since, until, limit, "")
}

func fetchLegacyTagged(ctx context.Context, c *http.Client, base, svc string, since, until time.Time, limit int, tags string) ([]Trace, error) {
	q := url.Values{"service": {svc}, "start": {fmt.Sprint(since.UnixMicro())}, "end": {fmt.Sprint(until.UnixMicro())},
		"limit": {fmt.Sprint(limit)}, "lookback": {"custom"}}
	if tags != "" {
		q.Set("tags", tags)
	}
	var doc Doc
	if err := getJSON(ctx, c, base+"/api/traces?"+q.Encode(), &doc); err != nil {
		return nil, err
	}
	return doc.Data, nil
}
