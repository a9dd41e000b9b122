package jaegertest

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Send plants, with the real OpenTelemetry SDK over OTLP/HTTP, the traces of a small
// system: gateway → orders → db where db fails, and a slow gateway → users call.
func Send(endpoint string, base time.Time) error {
	ctx := context.Background()
	provider := func(service string) *sdktrace.TracerProvider {
		exp, _ := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
		return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(service))))
	}
	gw, orders, db, users := provider("gateway"), provider("orders"), provider("db"), provider("users")
	providers := []*sdktrace.TracerProvider{gw, orders, db, users}
	at := func(d time.Duration) trace.SpanStartEventOption { return trace.WithTimestamp(base.Add(d)) }

	// The failing call.
	c1, root := gw.Tracer("gw").Start(ctx, "GET /api/orders", trace.WithSpanKind(trace.SpanKindServer), at(0))
	c2, o := orders.Tracer("orders").Start(c1, "ListOrders", trace.WithSpanKind(trace.SpanKindServer), at(10*time.Millisecond))
	_, q := db.Tracer("db").Start(c2, "SELECT orders", trace.WithSpanKind(trace.SpanKindClient), at(20*time.Millisecond))
	q.SetAttributes(attribute.String("db.system", "postgresql"))
	q.SetStatus(codes.Error, "connection refused: db-0.db:5432")
	q.End(trace.WithTimestamp(base.Add(60 * time.Millisecond)))
	o.SetStatus(codes.Error, "list orders: connection refused")
	o.End(trace.WithTimestamp(base.Add(70 * time.Millisecond)))
	root.SetAttributes(attribute.Int("http.response.status_code", 500))
	root.SetStatus(codes.Error, "500")
	root.End(trace.WithTimestamp(base.Add(80 * time.Millisecond)))

	// The slow call, and a few ordinary ones.
	for i := 0; i < 3; i++ {
		off := time.Duration(i+1) * time.Second
		c, r := gw.Tracer("gw").Start(ctx, "GET /api/users", trace.WithSpanKind(trace.SpanKindServer), at(off))
		_, u := users.Tracer("users").Start(c, "ListUsers", at(off+5*time.Millisecond))
		d := 30 * time.Millisecond
		if i == 2 {
			d = 2400 * time.Millisecond // the slow one
		}
		u.End(trace.WithTimestamp(base.Add(off + 5*time.Millisecond + d)))
		r.End(trace.WithTimestamp(base.Add(off + 10*time.Millisecond + d)))
	}
	var errs []error
	for _, p := range providers {
		errs = append(errs, p.Shutdown(ctx)) // flushes; a refused export shows here
	}
	return errors.Join(errs...)
}

// SendOrdinary sends n successful gateway → users traces, the newest after base+offset.
func SendOrdinary(endpoint string, base time.Time, n int) error {
	ctx := context.Background()
	exp, _ := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	p := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("gateway"))))
	for i := 0; i < n; i++ {
		at := base.Add(time.Duration(10+i) * time.Second)
		_, s := p.Tracer("gw").Start(ctx, "GET /healthz", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at))
		s.End(trace.WithTimestamp(at.Add(time.Millisecond)))
	}
	return p.Shutdown(ctx)
}
