package traces

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// APIGRPC is Jaeger's query service over gRPC (api_v2's QueryService, port 16685 by
// default), read with jaeger-idl's generated client.
const APIGRPC API = "api_v2 gRPC"

// gogoCodec marshals jaeger-idl's messages with their own (gogo-generated) methods: they
// hold time.Time and custom ID types that the reflection-based protobuf codec cannot.
type gogoCodec struct{}

type gogoMessage interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

func (gogoCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(gogoMessage)
	if !ok {
		return nil, fmt.Errorf("jaeger gRPC: %T is not a jaeger-idl message", v)
	}
	return m.Marshal()
}

func (gogoCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(gogoMessage)
	if !ok {
		return fmt.Errorf("jaeger gRPC: %T is not a jaeger-idl message", v)
	}
	return m.Unmarshal(data)
}

func (gogoCodec) Name() string { return "proto" }

// grpcQuery is the part of api_v2.QueryServiceClient Fetch uses.
type grpcQuery interface {
	GetServices(ctx context.Context, in *api_v2.GetServicesRequest, opts ...grpc.CallOption) (*api_v2.GetServicesResponse, error)
	FindTraces(ctx context.Context, in *api_v2.FindTracesRequest, opts ...grpc.CallOption) (api_v2.QueryService_FindTracesClient, error)
}

// dialGRPC connects to Jaeger's query gRPC address (host:port, plaintext).
func dialGRPC(addr string) (*grpc.ClientConn, grpcQuery, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(gogoCodec{}), grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return nil, nil, fmt.Errorf("Jaeger query gRPC at %s: %w", addr, err)
	}
	return conn, api_v2.NewQueryServiceClient(conn), nil
}

func grpcServices(ctx context.Context, q grpcQuery) ([]string, error) {
	resp, err := q.GetServices(ctx, &api_v2.GetServicesRequest{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range resp.Services {
		if !own(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// grpcTraces finds a service's traces in the window (with tags, only those that carry
// them) and converts them to traces.json's format.
func grpcTraces(ctx context.Context, q grpcQuery, svc string, since, until time.Time, limit int, tags map[string]string) ([]Trace, error) {
	stream, err := q.FindTraces(ctx, &api_v2.FindTracesRequest{Query: &api_v2.TraceQueryParameters{
		ServiceName: svc, Tags: tags, StartTimeMin: since, StartTimeMax: until, SearchDepth: int32(limit)}})
	if err != nil {
		return nil, err
	}
	byTrace := map[model.TraceID][]model.Span{}
	var order []model.TraceID
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, sp := range chunk.Spans {
			if _, ok := byTrace[sp.TraceID]; !ok {
				order = append(order, sp.TraceID)
			}
			byTrace[sp.TraceID] = append(byTrace[sp.TraceID], sp)
		}
	}
	out := make([]Trace, 0, len(order))
	for _, id := range order {
		out = append(out, fromModel(id, byTrace[id]))
	}
	return out, nil
}

// fromModel converts one trace's jaeger-idl spans to the Jaeger UI format: processes
// are numbered p1, p2, … in order of first appearance, times in microseconds.
func fromModel(id model.TraceID, spans []model.Span) Trace {
	t := Trace{TraceID: id.String(), Processes: map[string]Process{}}
	procKey := map[string]string{}
	for _, sp := range spans {
		pid := ""
		if sp.Process != nil {
			key := processKey(sp.Process)
			if pid = procKey[key]; pid == "" {
				pid = fmt.Sprintf("p%d", len(procKey)+1)
				procKey[key] = pid
				t.Processes[pid] = Process{ServiceName: sp.Process.ServiceName, Tags: kvs(sp.Process.Tags)}
			}
		}
		s := Span{TraceID: sp.TraceID.String(), SpanID: sp.SpanID.String(), OperationName: sp.OperationName,
			References: []Ref{}, StartTime: sp.StartTime.UnixMicro(), Duration: sp.Duration.Microseconds(),
			Tags: kvs(sp.Tags), ProcessID: pid}
		for _, r := range sp.References {
			typ := "CHILD_OF"
			if r.RefType == model.SpanRefType_FOLLOWS_FROM {
				typ = "FOLLOWS_FROM"
			}
			s.References = append(s.References, Ref{RefType: typ, TraceID: r.TraceID.String(), SpanID: r.SpanID.String()})
		}
		t.Spans = append(t.Spans, s)
	}
	sort.SliceStable(t.Spans, func(i, j int) bool { return t.Spans[i].StartTime < t.Spans[j].StartTime })
	return t
}

func processKey(p *model.Process) string {
	var b strings.Builder
	b.WriteString(p.ServiceName)
	for _, kv := range p.Tags {
		b.WriteString("\x00" + kv.Key + "=" + kv.AsString())
	}
	return b.String()
}

func kvs(in []model.KeyValue) []KV {
	out := make([]KV, 0, len(in))
	for _, kv := range in {
		k := KV{Key: kv.Key}
		switch kv.VType {
		case model.ValueType_BOOL:
			k.Type, k.Value = "bool", kv.VBool
		case model.ValueType_INT64:
			k.Type, k.Value = "int64", kv.VInt64
		case model.ValueType_FLOAT64:
			k.Type, k.Value = "float64", kv.VFloat64
		case model.ValueType_BINARY:
			k.Type, k.Value = "binary", kv.AsString()
		default:
			k.Type, k.Value = "string", kv.VStr
		}
		out = append(out, k)
	}
	return out
}
