package demo

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/org/k8s-e2e-report/internal/testenv"
)

// zap renders one controller-runtime (zap JSON) log line.
func zap(t time.Time, level, logger, msg string, kv ...any) testenv.LogLine {
	m := map[string]any{"level": level, "ts": t.UTC().Format("2006-01-02T15:04:05.000Z07:00"), "logger": logger, "msg": msg}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	stream := "stdout"
	if level == "error" {
		stream = "stderr"
	}
	return testenv.LogLine{Time: t, Stream: stream, Text: string(b)}
}

// reconcile renders the fields controller-runtime adds to every reconcile log line.
func reconcile(name, id string, extra ...any) []any {
	kv := []any{
		"controller", "apigraph", "controllerGroup", "turboengine.io", "controllerKind", "APIGraph",
		"APIGraph", map[string]string{"name": name, "namespace": Namespace},
		"namespace", Namespace, "name", name, "reconcileID", id,
	}
	return append(kv, extra...)
}

// operatorLog is the operator's current log: startup, a clean reconcile of "users",
// and failing reconciles of "orders".
func operatorLog(t0 time.Time) []testenv.LogLine {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	const (
		usersID   = "0f5b6a1e-3c9d-4d6e-9a52-1b1f7e3c2a10"
		orders1   = "7c2e9d44-8b1a-4f0e-b5d3-2a6c9e1f4b21"
		orders2   = "b8d1f3a2-6e4c-4a9b-8f7d-3c5e2a1b9d32"
		orders3   = "e4a7c9b1-2d3f-4e5a-9b8c-7d6e5f4a3b43"
		ordersErr = `create Deployment turbo-engine-e2e/deploy-orders: admission webhook "validate.envmanager.turboengine.io" denied the request: image "registry.turbo-engine-e2e.svc:5000/orders:e2e" not found`
	)
	lines := []testenv.LogLine{
		zap(at(0), "info", "setup", "starting manager", "version", "v0.14.2-e2e"),
		zap(at(0.2), "info", "controller-runtime.metrics", "Starting metrics server"),
		zap(at(0.3), "info", "", "Starting EventSource", "controller", "apigraph", "controllerGroup", "turboengine.io", "controllerKind", "APIGraph", "source", "kind source: *v1alpha1.APIGraph"),
		zap(at(0.4), "info", "", "Starting Controller", "controller", "apigraph", "controllerGroup", "turboengine.io", "controllerKind", "APIGraph"),
		zap(at(0.5), "info", "", "Starting workers", "controller", "apigraph", "controllerGroup", "turboengine.io", "controllerKind", "APIGraph", "worker count", 1),
		zap(at(30), "info", "controller.apigraph", "Reconciling APIGraph", reconcile("users", usersID)...),
		zap(at(30.1), "info", "controller.apigraph", "Created Deployment", reconcile("users", usersID, "Deployment", map[string]string{"name": "deploy-users", "namespace": Namespace})...),
		zap(at(30.2), "info", "controller.apigraph", "Created Service", reconcile("users", usersID, "Service", map[string]string{"name": "svc-users", "namespace": Namespace})...),
		zap(at(30.3), "info", "controller.apigraph", "Created ConfigMap", reconcile("users", usersID, "ConfigMap", map[string]string{"name": "cm-users", "namespace": Namespace})...),
		zap(at(31), "info", "controller.apigraph", "APIGraph is Ready", reconcile("users", usersID)...),
		zap(at(40), "info", "controller.apigraph", "Reconciling APIGraph", reconcile("orders", orders1)...),
		zap(at(40.4), "error", "controller.apigraph", "Reconciler error", reconcile("orders", orders1, "error", ordersErr,
			"stacktrace", "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).reconcileHandler\n\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.21.0/pkg/internal/controller/controller.go:353")...),
		zap(at(41.5), "info", "controller.apigraph", "Reconciling APIGraph", reconcile("orders", orders2)...),
		zap(at(41.9), "error", "controller.apigraph", "Reconciler error", reconcile("orders", orders2, "error", ordersErr)...),
		zap(at(45), "info", "controller.apigraph", "Reconciling APIGraph", reconcile("orders", orders3)...),
		zap(at(45.3), "info", "controller.apigraph", "Updated status", reconcile("orders", orders3, "condition", "Ready=False", "reason", "DependencyNotReady")...),
		zap(at(45.4), "error", "controller.apigraph", "Reconciler error", reconcile("orders", orders3, "error", ordersErr)...),
	}
	return lines
}

func textLog(t0 time.Time, step time.Duration, text ...string) []testenv.LogLine {
	out := make([]testenv.LogLine, len(text))
	for i, s := range text {
		out[i] = testenv.LogLine{Time: t0.Add(time.Duration(i) * step), Text: s}
	}
	return out
}

func registryLog(t0 time.Time) []testenv.LogLine {
	return textLog(t0, 2*time.Second,
		`time="`+t0.UTC().Format(time.RFC3339)+`" level=info msg="configuring endpoints" go.version=go1.22.5 version=v2.8.3`,
		`time="`+t0.UTC().Format(time.RFC3339)+`" level=info msg="listening on [::]:5000" go.version=go1.22.5`,
		`10.0.0.7 - - [01/Jan/2026:00:00:12 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "containerd/v1.7.13"`,
		`time="`+t0.Add(40*time.Second).UTC().Format(time.RFC3339)+`" level=warning msg="error resolving manifest" err="manifest unknown: orders:e2e" http.request.uri="/v2/orders/manifests/e2e"`,
		`10.0.0.9 - - [01/Jan/2026:00:00:40 +0000] "HEAD /v2/orders/manifests/e2e HTTP/1.1" 404 96 "" "envmanager/0.9"`,
	)
}

// builderPrevious is the builder's previous run: it ends in a Go panic.
func builderPrevious(t0 time.Time) []testenv.LogLine {
	lines := textLog(t0, 500*time.Millisecond,
		`{"time":"`+t0.UTC().Format(time.RFC3339Nano)+`","level":"INFO","msg":"builder starting","version":"0.9.1"}`,
		`{"time":"`+t0.Add(500*time.Millisecond).UTC().Format(time.RFC3339Nano)+`","level":"INFO","msg":"loading build plan","path":"/etc/builder/plan.yaml"}`,
		`panic: assignment to entry in nil map`,
		``,
		`goroutine 1 [running]:`,
		`main.(*Planner).addStep(0xc000124000, {0xc00001a0c0, 0x6})`,
		`	/src/cmd/builder/plan.go:88 +0x1a5`,
		`main.main()`,
		`	/src/cmd/builder/main.go:41 +0x2f3`,
	)
	for i := 2; i < len(lines); i++ {
		lines[i].Stream = "stderr"
	}
	return lines
}

func builderCurrent(t0 time.Time) []testenv.LogLine {
	return textLog(t0, 500*time.Millisecond,
		`{"time":"`+t0.UTC().Format(time.RFC3339Nano)+`","level":"INFO","msg":"builder starting","version":"0.9.1"}`,
		`{"time":"`+t0.Add(500*time.Millisecond).UTC().Format(time.RFC3339Nano)+`","level":"INFO","msg":"loading build plan","path":"/etc/builder/plan.yaml"}`,
	)
}

func envmanagerPrevious(t0 time.Time) []testenv.LogLine {
	lines := textLog(t0, time.Second,
		`I0101 00:00:01.000000       1 main.go:52] envmanager starting, pool size 64`,
		`I0101 00:00:02.000000       1 pool.go:118] warming environment pool: 0/64`,
		`I0101 00:00:09.000000       1 pool.go:118] warming environment pool: 48/64`,
		`W0101 00:00:10.000000       1 pool.go:131] memory usage 498Mi of 512Mi limit`,
	)
	return lines
}

func envmanagerCurrent(t0 time.Time) []testenv.LogLine {
	return textLog(t0, time.Second,
		`I0101 00:01:01.000000       1 main.go:52] envmanager starting, pool size 64`,
		`I0101 00:01:02.000000       1 pool.go:118] warming environment pool: 0/64`,
		`E0101 00:01:40.000000       1 webhook.go:77] denied Deployment turbo-engine-e2e/deploy-orders: image "registry.turbo-engine-e2e.svc:5000/orders:e2e" not found`,
	)
}

func gatewayLog(t0 time.Time) []testenv.LogLine {
	return textLog(t0, 3*time.Second,
		`[2026-01-01 00:00:00.000][1][info][main] envoy started, version 1.31.2`,
		`[2026-01-01 00:00:03.000][1][info][upstream] cds: add 5 cluster(s), remove 0 cluster(s)`,
		`[2026-01-01T00:00:41.000Z] "GET /api/orders HTTP/1.1" 503 UH 0 19 0 - "10.0.0.12" "e2e-tests/1.0" "c1f3" "gateway" "-"`,
		`[2026-01-01T00:00:44.000Z] "GET /api/users HTTP/1.1" 200 - 0 512 4 3 "10.0.0.12" "e2e-tests/1.0" "c1f4" "gateway" "10.0.0.21:8080"`,
	)
}

func consoleLog(t0 time.Time) []testenv.LogLine {
	return textLog(t0, time.Second,
		`> turbo-console@2.3.0 start`,
		`> next start -p 3000`,
		`  ▲ Next.js 14.2.3`,
		`  - Local:        http://localhost:3000`,
		` ✓ Ready in 812ms`,
		`GET /graphs/orders 500 in 41ms - Error: upstream gateway returned 503 for /api/orders`,
	)
}

func usersLog(t0 time.Time) []testenv.LogLine {
	return textLog(t0, time.Second,
		`{"level":"info","msg":"users service listening","addr":":8080"}`,
		fmt.Sprintf(`{"level":"info","msg":"served","path":"/api/users","status":200,"duration_ms":%d}`, 3),
	)
}

func testRunnerLog(t0 time.Time) []testenv.LogLine {
	return textLog(t0, time.Second,
		`=== RUN   TestOrdersAPI`,
		`    orders_test.go:42: GET /api/orders: got 503, want 200`,
		`--- FAIL: TestOrdersAPI (30.02s)`,
		`FAIL`,
	)
}
