package traces

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"net/http"
)

// fetchV3 queries api_v3's /api/v3/traces and converts its OTLP result.
func fetchV3(ctx context.Context, c *http.Client, base, svc string, since, until time.Time, limit int) ([]Trace, error) {
	q := url.Values{
		"query.service_name":   {svc},
		"query.start_time_min": {since.UTC().Format(time.RFC3339Nano)},
		"query.start_time_max": {until.UTC().Format(time.RFC3339Nano)},
		"query.num_traces":     {fmt.Sprint(limit)},
	}
	var body struct {
		Result json.RawMessage `json:"result"`
	}
	if err := getJSON(ctx, c, base+"/api/v3/traces?"+q.Encode(), &body); err != nil {
		if errors.Is(err, errNotFound) {
			return nil, nil // api_v3 answers 404 when no trace matches
		}
		return nil, err
	}
	if len(body.Result) == 0 {
		return nil, nil
	}
	td, err := decodeTracesData(body.Result)
	if err != nil {
		return nil, err
	}
	return fromOTLP(td), nil
}

// decodeTracesData decodes OTLP TracesData JSON, accepting IDs in OTLP/JSON's hex as
// well as protojson's base64.
func decodeTracesData(raw []byte) (*tracepb.TracesData, error) {
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	fixIDs(generic)
	fixed, err := json.Marshal(generic)
	if err != nil {
		return nil, err
	}
	var td tracepb.TracesData
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(fixed, &td); err != nil {
		return nil, fmt.Errorf("decode OTLP traces: %w", err)
	}
	return &td, nil
}

func fixIDs(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if s, ok := child.(string); ok && (k == "traceId" || k == "spanId" || k == "parentSpanId") && ValidID(s) { // OTLP/JSON writes IDs in hex, protojson wants base64
				b, _ := hex.DecodeString(s)
				t[k] = base64.StdEncoding.EncodeToString(b)
				continue
			}
			fixIDs(child)
		}
	case []any:
		for _, child := range t {
			fixIDs(child)
		}
	}
}

// fromOTLP turns OTLP resource spans into Jaeger UI traces, one process per resource.
func fromOTLP(td *tracepb.TracesData) []Trace {
	byID := map[string]*Trace{}
	var order []string
	for _, rs := range td.GetResourceSpans() {
		proc := Process{ServiceName: "unknown"}
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				proc.ServiceName = a.GetValue().GetStringValue()
				continue
			}
			proc.Tags = append(proc.Tags, kv(a))
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				tid := hex.EncodeToString(sp.GetTraceId())
				t, ok := byID[tid]
				if !ok {
					t = &Trace{TraceID: tid, Processes: map[string]Process{}}
					byID[tid] = t
					order = append(order, tid)
				}
				pid := ""
				for id, p := range t.Processes {
					if p.ServiceName == proc.ServiceName {
						pid = id
					}
				}
				if pid == "" {
					pid = fmt.Sprintf("p%d", len(t.Processes)+1)
					t.Processes[pid] = proc
				}
				s := Span{TraceID: tid, SpanID: hex.EncodeToString(sp.GetSpanId()), OperationName: sp.GetName(), ProcessID: pid,
					StartTime: int64(sp.GetStartTimeUnixNano() / 1000), Duration: int64((sp.GetEndTimeUnixNano() - sp.GetStartTimeUnixNano()) / 1000),
					References: []Ref{}}
				if p := sp.GetParentSpanId(); len(p) > 0 {
					s.References = append(s.References, Ref{RefType: "CHILD_OF", TraceID: tid, SpanID: hex.EncodeToString(p)})
				}
				for _, a := range sp.GetAttributes() {
					s.Tags = append(s.Tags, kv(a))
				}
				if k := sp.GetKind(); k != tracepb.Span_SPAN_KIND_UNSPECIFIED {
					s.Tags = append(s.Tags, KV{Key: "span.kind", Type: "string", Value: kindName(k)})
				}
				if st := sp.GetStatus(); st.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
					s.Tags = append(s.Tags, KV{Key: "otel.status_code", Type: "string", Value: "ERROR"}, KV{Key: "error", Type: "bool", Value: true})
					if m := st.GetMessage(); m != "" {
						s.Tags = append(s.Tags, KV{Key: "otel.status_description", Type: "string", Value: m})
					}
				}
				for _, e := range sp.GetEvents() {
					if e.GetName() == "exception" {
						for _, a := range e.GetAttributes() {
							if a.GetKey() == "exception.message" {
								s.Tags = append(s.Tags, KV{Key: "exception.message", Type: "string", Value: a.GetValue().GetStringValue()})
							}
						}
					}
				}
				t.Spans = append(t.Spans, s)
			}
		}
	}
	out := make([]Trace, 0, len(order))
	for _, id := range order {
		t := byID[id]
		sort.SliceStable(t.Spans, func(i, j int) bool { return t.Spans[i].StartTime < t.Spans[j].StartTime })
		out = append(out, *t)
	}
	return out
}

var kindNames = map[tracepb.Span_SpanKind]string{tracepb.Span_SPAN_KIND_SERVER: "server", tracepb.Span_SPAN_KIND_CLIENT: "client",
	tracepb.Span_SPAN_KIND_PRODUCER: "producer", tracepb.Span_SPAN_KIND_CONSUMER: "consumer"}

func kindName(k tracepb.Span_SpanKind) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "internal"
}

func kv(a *commonpb.KeyValue) KV {
	v := a.GetValue()
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return KV{Key: a.GetKey(), Type: "string", Value: x.StringValue}
	case *commonpb.AnyValue_BoolValue:
		return KV{Key: a.GetKey(), Type: "bool", Value: x.BoolValue}
	case *commonpb.AnyValue_IntValue:
		return KV{Key: a.GetKey(), Type: "int64", Value: x.IntValue}
	case *commonpb.AnyValue_DoubleValue:
		return KV{Key: a.GetKey(), Type: "float64", Value: x.DoubleValue}
	}
	b, _ := protojson.Marshal(v)
	return KV{Key: a.GetKey(), Type: "string", Value: string(b)}
}
